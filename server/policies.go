package server

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/state"
)

// policyService keeps organisations' policies: reads come from the published state,
// changes go through the application.
type policyService struct {
	pb.UnimplementedPolicyServiceServer
	app *state.Service
}

func orgID(parent string) string { return strings.TrimPrefix(parent, "organizations/") }

// storedPolicyProto is a stored policy on the wire.
func storedPolicyProto(p *state.Policy) *pb.Policy {
	out := policyProto(p.Content)
	out.Name, out.DisplayName, out.Revision, out.Etag, out.Preset = p.Name(), p.DisplayName, int32(p.Revision), p.Etag, p.Preset
	return out
}

// policySpec converts a policy's content from the wire; dates that do not exist are
// the only thing conversion can find wrong.
func policySpec(org, id string, p *pb.Policy) (state.PolicySpec, error) {
	if p == nil {
		return state.PolicySpec{Org: org, ID: id}, nil
	}
	content, vs := policyFromProto(p)
	if len(vs) > 0 {
		return state.PolicySpec{}, planner.Invalid(vs...)
	}
	return state.PolicySpec{Org: org, ID: id, DisplayName: p.GetDisplayName(), Content: content}, nil
}

func (s *policyService) CreatePolicy(ctx context.Context, r *pb.CreatePolicyRequest) (*pb.CreatePolicyResponse, error) {
	spec, err := policySpec(orgID(r.GetParent()), r.GetPolicyId(), r.GetPolicy())
	if err != nil {
		return nil, err
	}
	p, err := s.app.CreatePolicy(ctx, CallerFrom(ctx), spec, r.GetPreset())
	if err != nil {
		return nil, err
	}
	return &pb.CreatePolicyResponse{Policy: storedPolicyProto(p)}, nil
}

func (s *policyService) GetPolicy(ctx context.Context, r *pb.GetPolicyRequest) (*pb.GetPolicyResponse, error) {
	org, id := state.SplitPolicyName(r.GetName())
	p, err := s.app.Current().Policy(CallerFrom(ctx), org, id)
	if err != nil {
		return nil, err
	}
	return &pb.GetPolicyResponse{Policy: storedPolicyProto(p)}, nil
}

func (s *policyService) ListPolicies(ctx context.Context, r *pb.ListPoliciesRequest) (*pb.ListPoliciesResponse, error) {
	list, next, err := s.app.Current().Policies(CallerFrom(ctx), orgID(r.GetParent()), int(r.GetPageSize()), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &pb.ListPoliciesResponse{NextPageToken: next}
	for _, p := range list {
		resp.Policies = append(resp.Policies, storedPolicyProto(p))
	}
	return resp, nil
}

// updatable are the policy fields an update mask may name; token_policy may also be
// named field by field ("token_policy.cap_usd").
var updatable = map[string]bool{
	"display_name": true, "target_percentile": true, "range_spread_percent": true, "range_spread_percent_by_level": true,
	"min_sample_size": true, "aging_rate_percent": true, "rounding_usd": true, "token_policy": true,
}

// applyMask copies the masked fields from src to dst; a field absent in src is cleared.
// Paths may use proto or JSON names ("target_percentile" or "targetPercentile"); name
// and etag identify the policy and are not fields to change, so they are passed over
// (the gateway puts every field of a PATCH body into the mask).
func applyMask(dst, src *pb.Policy, paths []string) error {
	for _, path := range paths {
		notUpdatable := planner.Invalid(planner.Violation{Field: "update_mask", Description: fmt.Sprintf("%q is not an updatable field", path)})
		parts := strings.Split(path, ".")
		if len(parts) > 2 {
			return notUpdatable
		}
		d, s := dst.ProtoReflect(), src.ProtoReflect()
		top := field(d, parts[0])
		switch {
		case top == nil:
			return notUpdatable
		case len(parts) == 1 && (top.Name() == "name" || top.Name() == "etag"):
			continue
		case !updatable[string(top.Name())] || (len(parts) == 2 && top.Name() != "token_policy"):
			return notUpdatable
		}
		fd := top
		if len(parts) == 2 {
			d, s = d.Mutable(top).Message(), s.Get(top).Message()
			if fd = field(d, parts[1]); fd == nil {
				return notUpdatable
			}
		}
		if s.Has(fd) {
			d.Set(fd, s.Get(fd))
		} else {
			d.Clear(fd)
		}
	}
	return nil
}

// field finds a message's field by proto or JSON name.
func field(m protoreflect.Message, name string) protoreflect.FieldDescriptor {
	fields := m.Descriptor().Fields()
	if fd := fields.ByName(protoreflect.Name(name)); fd != nil {
		return fd
	}
	return fields.ByJSONName(name)
}

func (s *policyService) UpdatePolicy(ctx context.Context, r *pb.UpdatePolicyRequest) (*pb.UpdatePolicyResponse, error) {
	caller := CallerFrom(ctx)
	org, id := state.SplitPolicyName(r.GetPolicy().GetName())
	cur, err := s.app.Current().Policy(caller, org, id)
	if err != nil {
		return nil, err
	}
	if r.GetPolicy().GetEtag() == "" {
		return nil, planner.Invalid(planner.Violation{Field: "policy.etag", Description: "required: send the etag of the policy you read"})
	}
	// The mask is the wire's: it applies to the policy as the wire shows it.
	next := storedPolicyProto(cur)
	if err := applyMask(next, r.GetPolicy(), r.GetUpdateMask().GetPaths()); err != nil {
		return nil, err
	}
	spec, err := policySpec(org, id, next)
	if err != nil {
		return nil, err
	}
	p, err := s.app.UpdatePolicy(ctx, caller, spec, r.GetPolicy().GetEtag())
	if err != nil {
		return nil, err
	}
	return &pb.UpdatePolicyResponse{Policy: storedPolicyProto(p)}, nil
}

func (s *policyService) DeletePolicy(ctx context.Context, r *pb.DeletePolicyRequest) (*pb.DeletePolicyResponse, error) {
	org, id := state.SplitPolicyName(r.GetName())
	if err := s.app.DeletePolicy(ctx, CallerFrom(ctx), org, id, r.GetEtag()); err != nil {
		return nil, err
	}
	return &pb.DeletePolicyResponse{}, nil
}

func (s *policyService) ListPolicyPresets(context.Context, *pb.ListPolicyPresetsRequest) (*pb.ListPolicyPresetsResponse, error) {
	resp := &pb.ListPolicyPresetsResponse{}
	for _, p := range planner.Presets {
		resp.Presets = append(resp.Presets, &pb.PolicyPreset{Id: p.ID, Description: p.Description, Policy: policyProto(p.Policy)})
	}
	return resp, nil
}
