package server

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/state"
	"github.com/paymix/paymix/store"
)

// datasetService answers DatasetService through the application.
type datasetService struct {
	pb.UnimplementedDatasetServiceServer
	app *state.Service
}

func datasetID(name string) string { return strings.TrimPrefix(name, "datasets/") }

func (s *datasetService) ListDatasets(ctx context.Context, r *pb.ListDatasetsRequest) (*pb.ListDatasetsResponse, error) {
	page, next, err := s.app.ListDatasets(ctx, int(r.GetPageSize()), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &pb.ListDatasetsResponse{NextPageToken: next}
	for _, d := range page {
		resp.Datasets = append(resp.Datasets, datasetProto(d, s.app.Current()))
	}
	return resp, nil
}

func (s *datasetService) GetDataset(ctx context.Context, r *pb.GetDatasetRequest) (*pb.GetDatasetResponse, error) {
	d, err := s.app.GetDataset(ctx, datasetID(r.GetName()))
	if err != nil {
		return nil, err
	}
	return &pb.GetDatasetResponse{Dataset: datasetProto(d, s.app.Current())}, nil
}

func (s *datasetService) DeleteDataset(ctx context.Context, r *pb.DeleteDatasetRequest) (*pb.DeleteDatasetResponse, error) {
	if err := s.app.DeleteDataset(ctx, datasetID(r.GetName())); err != nil {
		return nil, err
	}
	return &pb.DeleteDatasetResponse{}, nil
}

func (s *datasetService) ActivateDataset(ctx context.Context, r *pb.ActivateDatasetRequest) (*pb.ActivateDatasetResponse, error) {
	d, err := s.app.ActivateDataset(ctx, datasetID(r.GetName()), r.Active == nil || r.GetActive(), r.Weight)
	if err != nil {
		return nil, err
	}
	return &pb.ActivateDatasetResponse{Dataset: datasetProto(d, s.app.Current())}, nil
}

// datasetProto is a dataset as the published state sees it (quarantined or not).
func datasetProto(d store.Dataset, pub *state.Published) *pb.Dataset {
	st := pb.DatasetState_DATASET_STATE_READY
	if d.State == store.Pending {
		st = pb.DatasetState_DATASET_STATE_PENDING
	}
	var q state.Quarantine
	if pub != nil {
		if x, ok := pub.Quarantined[d.ID]; ok {
			st, q = pb.DatasetState_DATASET_STATE_QUARANTINED, x
		}
	}
	return &pb.Dataset{
		QuarantineReason: q.Reason, QuarantineDetail: q.Detail,
		Name: fmt.Sprintf("datasets/%s", d.ID), DisplayName: d.DisplayName, SourceFormat: formatProto(d.Format),
		Owner: d.Owner, State: st, Synthetic: d.Synthetic, Active: d.Active, Weight: d.Weight,
		RowsAccepted: int32(d.RowsAccepted), RowsRejected: int32(d.RowsRejected), RowsUnmapped: int32(d.RowsUnmapped),
		RowsExcluded: int32(d.RowsExcluded), Checksum: d.Checksum, ImportTime: timestamppb.New(d.ImportTime),
		DataStartDate: date(d.DataStart), DataEndDate: date(d.DataEnd),
	}
}
