package server

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/planner/demo"
	"github.com/paymix/paymix/store"
)

// datasetService answers DatasetService from the store; changes rebuild the snapshot.
type datasetService struct {
	pb.UnimplementedDatasetServiceServer
	data *marketData
}

const defaultPageSize = 50

func datasetID(name string) string { return strings.TrimPrefix(name, "datasets/") }

func notFound(what string) error {
	return &planner.Error{Kind: planner.KindNotFound, Reason: "NOT_FOUND", Message: what + " not found"}
}

// storeError maps the store's sentinel errors onto domain errors naming the request
// field at fault; anything else is left for the translator, which hides it as Internal.
func storeError(err error, what, field string) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return notFound(what)
	case errors.Is(err, store.ErrInvalid):
		return planner.Invalid(planner.Violation{Field: field, Description: err.Error()})
	}
	return err
}

func (s *datasetService) ListDatasets(ctx context.Context, r *pb.ListDatasetsRequest) (*pb.ListDatasetsResponse, error) {
	size := int(r.GetPageSize())
	if size == 0 {
		size = defaultPageSize
	}
	page, next, err := s.data.store.List(ctx, size, r.GetPageToken())
	if err != nil {
		return nil, storeError(err, "page", "page_token")
	}
	resp := &pb.ListDatasetsResponse{NextPageToken: next}
	for _, d := range page {
		resp.Datasets = append(resp.Datasets, datasetProto(d))
	}
	return resp, nil
}

func (s *datasetService) GetDataset(ctx context.Context, r *pb.GetDatasetRequest) (*pb.GetDatasetResponse, error) {
	d, err := s.data.store.Get(ctx, datasetID(r.GetName()))
	if err != nil {
		return nil, storeError(err, r.GetName(), "name")
	}
	return &pb.GetDatasetResponse{Dataset: datasetProto(d)}, nil
}

func (s *datasetService) DeleteDataset(ctx context.Context, r *pb.DeleteDatasetRequest) (*pb.DeleteDatasetResponse, error) {
	id := datasetID(r.GetName())
	if id == demo.Name {
		return nil, &planner.Error{Kind: planner.KindFailedPrecondition, Reason: "BUILTIN_DATASET",
			Message: "the built-in demo dataset cannot be deleted; deactivate it with :activate and \"active\": false"}
	}
	err := s.data.change(ctx, func() error { return s.data.store.Delete(ctx, id) })
	if err != nil {
		return nil, storeError(err, r.GetName(), "name")
	}
	return &pb.DeleteDatasetResponse{}, nil
}

func (s *datasetService) ActivateDataset(ctx context.Context, r *pb.ActivateDatasetRequest) (*pb.ActivateDatasetResponse, error) {
	id := datasetID(r.GetName())
	var d store.Dataset
	err := s.data.change(ctx, func() error {
		cur, err := s.data.store.Get(ctx, id)
		if err != nil {
			return err
		}
		weight := cur.Weight
		if r.Weight != nil {
			weight = r.GetWeight()
		}
		d, err = s.data.store.SetActive(ctx, id, r.Active == nil || r.GetActive(), weight)
		return err
	})
	if err != nil {
		return nil, storeError(err, r.GetName(), "name")
	}
	return &pb.ActivateDatasetResponse{Dataset: datasetProto(d)}, nil
}

func datasetProto(d store.Dataset) *pb.Dataset {
	state := pb.DatasetState_DATASET_STATE_READY
	if d.State == store.Pending {
		state = pb.DatasetState_DATASET_STATE_PENDING
	}
	return &pb.Dataset{
		Name: fmt.Sprintf("datasets/%s", d.ID), DisplayName: d.DisplayName, SourceFormat: formatProto(d.Format),
		Owner: d.Owner, State: state, Synthetic: d.Synthetic, Active: d.Active, Weight: d.Weight,
		RowsAccepted: int32(d.RowsAccepted), RowsRejected: int32(d.RowsRejected), RowsUnmapped: int32(d.RowsUnmapped),
		RowsExcluded: int32(d.RowsExcluded), Checksum: d.Checksum, ImportTime: timestamppb.New(d.ImportTime),
		DataStartDate: date(d.DataStart), DataEndDate: date(d.DataEnd),
	}
}
