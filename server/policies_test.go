package server_test

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	pb "github.com/paymix/paymix/gen/paymix/v1"
)

func violatedFields(err error) []string {
	var out []string
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				out = append(out, v.GetField())
			}
		}
	}
	return out
}

func TestPolicyRoundTrip(t *testing.T) {
	s := start(t, nil).ready(t)
	ctx := context.Background()
	if _, err := pb.NewAdminServiceClient(s.conn).CreateOrganization(ctx, &pb.CreateOrganizationRequest{OrganizationId: "acme"}); err != nil {
		t.Fatal(err)
	}
	policies := pb.NewPolicyServiceClient(s.conn)

	// Validation errors name the fields.
	_, err := policies.CreatePolicy(ctx, &pb.CreatePolicyRequest{Parent: "organizations/acme", PolicyId: "bad", Policy: &pb.Policy{
		TargetPercentile: proto.Float64(120), TokenPolicy: &pb.TokenPolicy{CapUsd: proto.Float64(-1),
			UsageMix: &pb.UsageMix{InputPercent: 50, CachedInputPercent: 10, OutputPercent: 10}}}})
	fields := strings.Join(violatedFields(err), ",")
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(fields, "policy.target_percentile") ||
		!strings.Contains(fields, "policy.token_policy.cap_usd") || !strings.Contains(fields, "policy.token_policy.usage_mix") {
		t.Errorf("invalid policy: %v (fields %s)", err, fields)
	}
	_, err = policies.CreatePolicy(ctx, &pb.CreatePolicyRequest{Parent: "organizations/acme", PolicyId: "x", Preset: "nope"})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(strings.Join(violatedFields(err), ","), "preset") {
		t.Errorf("unknown preset: %v", err)
	}

	created, err := policies.CreatePolicy(ctx, &pb.CreatePolicyRequest{Parent: "organizations/acme", PolicyId: "half",
		Preset: "tokens-half-of-base", Policy: &pb.Policy{DisplayName: "Half of base", TargetPercentile: proto.Float64(60)}})
	if err != nil {
		t.Fatal(err)
	}
	p := created.GetPolicy()
	if p.GetName() != "organizations/acme/policies/half" || p.GetRevision() != 1 || p.GetEtag() == "" || p.GetPreset() != "tokens-half-of-base" ||
		p.GetTargetPercentile() != 60 || p.GetTokenPolicy().GetPercentOfBase() != 50 || p.GetTokenPolicy().GetCapUsd() != 250000 {
		t.Fatalf("created %v", p)
	}
	if _, err := policies.CreatePolicy(ctx, &pb.CreatePolicyRequest{Parent: "organizations/acme", PolicyId: "half"}); status.Code(err) != codes.AlreadyExists {
		t.Errorf("duplicate: %v", err)
	}
	got, err := policies.GetPolicy(ctx, &pb.GetPolicyRequest{Name: p.GetName()})
	if err != nil || !proto.Equal(got.GetPolicy(), p) {
		t.Errorf("get: %v %v", got, err)
	}

	// Update one field with the current etag; a stale etag is refused.
	upd, err := policies.UpdatePolicy(ctx, &pb.UpdatePolicyRequest{
		Policy:     &pb.Policy{Name: p.GetName(), Etag: p.GetEtag(), TargetPercentile: proto.Float64(75), RangeSpreadPercent: proto.Float64(5)},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"target_percentile", "token_policy.cap_usd"}}})
	if err != nil {
		t.Fatal(err)
	}
	u := upd.GetPolicy()
	if u.GetRevision() != 2 || u.GetEtag() == p.GetEtag() || u.GetTargetPercentile() != 75 || u.RangeSpreadPercent != nil ||
		u.GetTokenPolicy().CapUsd != nil || u.GetTokenPolicy().GetPercentOfBase() != 50 {
		t.Errorf("updated %v", u)
	}
	_, err = policies.UpdatePolicy(ctx, &pb.UpdatePolicyRequest{Policy: &pb.Policy{Name: p.GetName(), Etag: p.GetEtag()},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}}})
	if status.Code(err) != codes.Aborted {
		t.Errorf("stale etag: %v", err)
	}
	_, err = policies.UpdatePolicy(ctx, &pb.UpdatePolicyRequest{Policy: &pb.Policy{Name: p.GetName(), Etag: u.GetEtag(), MinSampleSize: proto.Int32(2)},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"min_sample_size"}}})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(strings.Join(violatedFields(err), ","), "policy.min_sample_size") {
		t.Errorf("invalid update: %v", err)
	}
	_, err = policies.UpdatePolicy(ctx, &pb.UpdatePolicyRequest{Policy: &pb.Policy{Name: p.GetName(), Etag: u.GetEtag()},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"revision"}}})
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("masking an output field: %v", err)
	}

	list, err := policies.ListPolicies(ctx, &pb.ListPoliciesRequest{Parent: "organizations/acme", PageSize: 1})
	if err != nil || len(list.GetPolicies()) != 1 || list.GetPolicies()[0].GetName() != "organizations/acme/policies/default" || list.GetNextPageToken() == "" {
		t.Errorf("list: %v %v", list, err)
	}
	if _, err := policies.DeletePolicy(ctx, &pb.DeletePolicyRequest{Name: p.GetName(), Etag: u.GetEtag()}); err != nil {
		t.Errorf("delete: %v", err)
	}
	if _, err := policies.GetPolicy(ctx, &pb.GetPolicyRequest{Name: p.GetName()}); status.Code(err) != codes.NotFound {
		t.Errorf("get after delete: %v", err)
	}
	if _, err := policies.DeletePolicy(ctx, &pb.DeletePolicyRequest{Name: "organizations/acme/policies/default"}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("delete default: %v", err)
	}
}

// A band on a stored preset equals the band on the same policy given inline, and its
// provenance names the stored policy and its revision.
func TestStoredPresetEqualsInline(t *testing.T) {
	s := start(t, nil).ready(t)
	ctx := context.Background()
	if _, err := pb.NewAdminServiceClient(s.conn).CreateOrganization(ctx, &pb.CreateOrganizationRequest{OrganizationId: "acme"}); err != nil {
		t.Fatal(err)
	}
	presets, err := pb.NewPolicyServiceClient(s.conn).ListPolicyPresets(ctx, &pb.ListPolicyPresetsRequest{})
	if err != nil || len(presets.GetPresets()) < 4 {
		t.Fatalf("presets %v %v", presets, err)
	}
	bands := pb.NewBandServiceClient(s.conn)
	for _, preset := range presets.GetPresets() {
		if _, err := pb.NewPolicyServiceClient(s.conn).CreatePolicy(ctx, &pb.CreatePolicyRequest{Parent: "organizations/acme",
			PolicyId: preset.GetId(), Preset: preset.GetId()}); err != nil {
			t.Fatal(err)
		}
		base := &pb.RecommendBandRequest{JobFamily: "software-engineer", Level: "IC4", Location: "New York, NY"}
		stored := proto.Clone(base).(*pb.RecommendBandRequest)
		stored.PolicyName = "organizations/acme/policies/" + preset.GetId()
		inline := proto.Clone(base).(*pb.RecommendBandRequest)
		inline.Policy = preset.GetPolicy()
		a, err1 := bands.RecommendBand(ctx, stored)
		b, err2 := bands.RecommendBand(ctx, inline)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v %v", preset.GetId(), err1, err2)
		}
		if prov := a.GetBand().GetProvenance(); prov.GetPolicy() != stored.PolicyName || prov.GetPolicyRevision() != 1 {
			t.Errorf("%s: provenance %v", preset.GetId(), prov)
		}
		a.Band.Provenance.Policy, a.Band.Provenance.PolicyRevision = "inline", 0
		if !proto.Equal(a, b) {
			t.Errorf("%s: stored and inline bands differ", preset.GetId())
		}
	}
}

// A key's organisation default policy applies when a request names none, and
// provenance names it; an inline policy cannot claim a stored name.
func TestOrganisationDefaultPolicyApplies(t *testing.T) {
	s := start(t, nil).ready(t)
	ctx := context.Background()
	admin := pb.NewAdminServiceClient(s.conn)
	if _, err := admin.CreateOrganization(ctx, &pb.CreateOrganizationRequest{OrganizationId: "acme"}); err != nil {
		t.Fatal(err)
	}
	root, _ := admin.CreateApiKey(ctx, &pb.CreateApiKeyRequest{Parent: "organizations/platform", ApiKey: &pb.ApiKey{Role: pb.Role_ROLE_PLATFORM_ADMIN}})
	adm, _ := admin.CreateApiKey(withKey(ctx, root.GetSecret()), &pb.CreateApiKeyRequest{Parent: "organizations/acme", ApiKey: &pb.ApiKey{Role: pb.Role_ROLE_ADMIN}})
	rec, _ := admin.CreateApiKey(withKey(ctx, adm.GetSecret()), &pb.CreateApiKeyRequest{Parent: "organizations/acme", ApiKey: &pb.ApiKey{Role: pb.Role_ROLE_RECRUITER}})
	policies := pb.NewPolicyServiceClient(s.conn)
	asAdmin := withKey(ctx, adm.GetSecret())
	def, err := policies.GetPolicy(asAdmin, &pb.GetPolicyRequest{Name: "organizations/acme/policies/default"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := policies.UpdatePolicy(asAdmin, &pb.UpdatePolicyRequest{
		Policy:     &pb.Policy{Name: def.GetPolicy().GetName(), Etag: def.GetPolicy().GetEtag(), TargetPercentile: proto.Float64(75)},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"target_percentile"}}}); err != nil {
		t.Fatal(err)
	}
	asRecruiter := withKey(ctx, rec.GetSecret())
	bands := pb.NewBandServiceClient(s.conn)
	r, err := bands.RecommendBand(asRecruiter, &pb.RecommendBandRequest{JobFamily: "software-engineer", Level: "IC3", Location: "Seattle, WA"})
	if err != nil {
		t.Fatal(err)
	}
	if p := r.GetBand().GetProvenance(); p.GetPolicy() != "organizations/acme/policies/default" || p.GetPolicyRevision() != 2 || p.GetTargetPercentile() != 75 {
		t.Errorf("provenance %v", p)
	}
	r, err = bands.RecommendBand(asRecruiter, &pb.RecommendBandRequest{JobFamily: "software-engineer", Level: "IC3", Location: "Seattle, WA",
		Policy: &pb.Policy{Name: "organizations/globex/policies/secret", Revision: 7}})
	if err != nil || r.GetBand().GetProvenance().GetPolicy() != "inline" || r.GetBand().GetProvenance().GetPolicyRevision() != 0 {
		t.Errorf("inline policy claiming a name: %v %v", r.GetBand().GetProvenance(), err)
	}
}
