package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/store"
)

// policyService keeps organisations' policies. Another organisation's policy is
// NotFound, whatever the caller guesses.
type policyService struct {
	pb.UnimplementedPolicyServiceServer
	store store.Store
	now   func() time.Time
}

// splitPolicyName reads organizations/{org}/policies/{policy}.
func splitPolicyName(name string) (org, id string) {
	rest := strings.TrimPrefix(name, "organizations/")
	org, id, _ = strings.Cut(rest, "/policies/")
	return org, id
}

// requestPolicy is the policy a band or offer request uses: the stored one it names; or
// the inline one, stripped of any stored identity it claims (provenance must not name
// a policy that was not used); or else the caller's organisation's default policy. nil
// means paymix's built-in defaults (open development mode, platform admins).
func requestPolicy(ctx context.Context, st store.Store, inline *pb.Policy, name string) (*pb.Policy, error) {
	if name != "" {
		return loadPolicy(ctx, st, name)
	}
	if inline != nil {
		p := proto.Clone(inline).(*pb.Policy)
		p.Name, p.Revision, p.Etag, p.Preset = "", 0, "", ""
		return p, nil
	}
	if c := CallerFrom(ctx); c.Org != "" && c.Org != PlatformOrg {
		return loadPolicy(ctx, st, "organizations/"+c.Org+"/policies/default")
	}
	return nil, nil
}

// loadPolicy reads a policy the caller may see.
func loadPolicy(ctx context.Context, st store.Store, name string) (*pb.Policy, error) {
	org, id := splitPolicyName(name)
	if !CallerFrom(ctx).owns(org) {
		return nil, notFound(name)
	}
	p, err := st.GetPolicy(ctx, org, id)
	if err != nil {
		return nil, storeError(err, name, "name")
	}
	return decodePolicy(p)
}

// The stored spec is the policy's content as protojson; metadata lives beside it.
func encodePolicy(p *pb.Policy) (string, error) {
	content := proto.Clone(p).(*pb.Policy)
	content.Name, content.DisplayName, content.Revision, content.Etag, content.Preset = "", "", 0, "", ""
	b, err := protojson.Marshal(content)
	return string(b), err
}

func decodePolicy(p store.Policy) (*pb.Policy, error) {
	out := &pb.Policy{}
	if err := protojson.Unmarshal([]byte(p.Spec), out); err != nil {
		return nil, fmt.Errorf("stored policy %s/%s: %w", p.Org, p.ID, err)
	}
	out.Name = "organizations/" + p.Org + "/policies/" + p.ID
	out.DisplayName, out.Revision, out.Etag, out.Preset = p.DisplayName, int32(p.Revision), p.Etag(), p.Preset
	return out, nil
}

// validatePolicy checks a policy's content as every band would use it.
func validatePolicy(p *pb.Policy) error {
	pp, vs := policyFromProto(p)
	if len(vs) > 0 {
		return planner.Invalid(vs...)
	}
	return pp.Validate()
}

func (s *policyService) CreatePolicy(ctx context.Context, r *pb.CreatePolicyRequest) (*pb.CreatePolicyResponse, error) {
	org := strings.TrimPrefix(r.GetParent(), "organizations/")
	if !CallerFrom(ctx).owns(org) {
		return nil, notFound(r.GetParent())
	}
	policy := &pb.Policy{}
	if id := r.GetPreset(); id != "" {
		preset, ok := planner.PresetByID(id)
		if !ok {
			return nil, planner.Invalid(planner.Violation{Field: "preset", Description: "unknown preset " + id + "; see GET /v1/policyPresets"})
		}
		policy = policyProto(preset.Policy)
	}
	if r.GetPolicy() != nil {
		proto.Merge(policy, r.GetPolicy()) // the request's fields win over the preset's
	}
	if err := validatePolicy(policy); err != nil {
		return nil, err
	}
	spec, err := encodePolicy(policy)
	if err != nil {
		return nil, err
	}
	saved, err := s.store.CreatePolicy(ctx, store.Policy{Org: org, ID: r.GetPolicyId(), DisplayName: r.GetPolicy().GetDisplayName(),
		Preset: r.GetPreset(), Spec: spec, CreateTime: s.now().UTC()})
	switch {
	case errors.Is(err, store.ErrConflict):
		return nil, &planner.Error{Kind: planner.KindAlreadyExists, Reason: "ALREADY_EXISTS", Message: r.GetParent() + "/policies/" + r.GetPolicyId() + " already exists"}
	case err != nil:
		return nil, storeError(err, r.GetParent(), "parent")
	}
	out, err := decodePolicy(saved)
	return &pb.CreatePolicyResponse{Policy: out}, err
}

func (s *policyService) GetPolicy(ctx context.Context, r *pb.GetPolicyRequest) (*pb.GetPolicyResponse, error) {
	p, err := loadPolicy(ctx, s.store, r.GetName())
	if err != nil {
		return nil, err
	}
	return &pb.GetPolicyResponse{Policy: p}, nil
}

func (s *policyService) ListPolicies(ctx context.Context, r *pb.ListPoliciesRequest) (*pb.ListPoliciesResponse, error) {
	org := strings.TrimPrefix(r.GetParent(), "organizations/")
	if !CallerFrom(ctx).owns(org) {
		return nil, notFound(r.GetParent())
	}
	if _, err := s.store.GetOrganization(ctx, org); err != nil {
		return nil, storeError(err, r.GetParent(), "parent")
	}
	size := int(r.GetPageSize())
	if size == 0 {
		size = defaultPageSize
	}
	list, next, err := s.store.ListPolicies(ctx, org, size, r.GetPageToken())
	if err != nil {
		return nil, storeError(err, "page", "page_token")
	}
	resp := &pb.ListPoliciesResponse{NextPageToken: next}
	for _, p := range list {
		out, err := decodePolicy(p)
		if err != nil {
			return nil, err
		}
		resp.Policies = append(resp.Policies, out)
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
	cur, err := loadPolicy(ctx, s.store, r.GetPolicy().GetName())
	if err != nil {
		return nil, err
	}
	if r.GetPolicy().GetEtag() == "" {
		return nil, planner.Invalid(planner.Violation{Field: "policy.etag", Description: "required: send the etag of the policy you read"})
	}
	if err := applyMask(cur, r.GetPolicy(), r.GetUpdateMask().GetPaths()); err != nil {
		return nil, err
	}
	if err := validatePolicy(cur); err != nil {
		return nil, err
	}
	spec, err := encodePolicy(cur)
	if err != nil {
		return nil, err
	}
	org, id := splitPolicyName(cur.GetName())
	saved, err := s.store.UpdatePolicy(ctx, store.Policy{Org: org, ID: id, DisplayName: cur.GetDisplayName(), Spec: spec, UpdateTime: s.now().UTC()},
		r.GetPolicy().GetEtag())
	if errors.Is(err, store.ErrStale) {
		return nil, staleEtag(cur.GetName())
	}
	if err != nil {
		return nil, storeError(err, cur.GetName(), "policy.name")
	}
	out, err := decodePolicy(saved)
	return &pb.UpdatePolicyResponse{Policy: out}, err
}

func staleEtag(name string) error {
	return &planner.Error{Kind: planner.KindAborted, Reason: "STALE_ETAG",
		Message: name + " changed since it was read: get it again, then retry with its new etag"}
}

func (s *policyService) DeletePolicy(ctx context.Context, r *pb.DeletePolicyRequest) (*pb.DeletePolicyResponse, error) {
	org, id := splitPolicyName(r.GetName())
	if !CallerFrom(ctx).owns(org) {
		return nil, notFound(r.GetName())
	}
	if id == "default" {
		return nil, &planner.Error{Kind: planner.KindFailedPrecondition, Reason: "DEFAULT_POLICY", Message: "the default policy cannot be deleted; update it instead"}
	}
	err := s.store.DeletePolicy(ctx, org, id, r.GetEtag())
	if errors.Is(err, store.ErrStale) {
		return nil, staleEtag(r.GetName())
	}
	if err != nil {
		return nil, storeError(err, r.GetName(), "name")
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
