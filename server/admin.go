package server

import (
	"context"
	"errors"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/store"
)

// adminService manages organisations and API keys.
type adminService struct {
	pb.UnimplementedAdminServiceServer
	store store.Store
	auth  *auth
	now   func() time.Time
}

// newOrgPolicies are the policies every organisation starts with.
func newOrgPolicies(now time.Time) []store.Policy {
	return []store.Policy{{ID: "default", DisplayName: "Default policy", Spec: "{}", CreateTime: now}}
}

func (s *adminService) CreateOrganization(ctx context.Context, r *pb.CreateOrganizationRequest) (*pb.CreateOrganizationResponse, error) {
	o := store.Organization{ID: r.GetOrganizationId(), DisplayName: r.GetOrganization().GetDisplayName(), CreateTime: s.now().UTC()}
	if o.DisplayName == "" {
		o.DisplayName = o.ID
	}
	if err := s.store.CreateOrganization(ctx, o, newOrgPolicies(o.CreateTime)); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, &planner.Error{Kind: planner.KindAlreadyExists, Reason: "ALREADY_EXISTS", Message: "organizations/" + o.ID + " already exists"}
		}
		return nil, err
	}
	return &pb.CreateOrganizationResponse{Organization: orgProto(o)}, nil
}

func (s *adminService) ListOrganizations(ctx context.Context, r *pb.ListOrganizationsRequest) (*pb.ListOrganizationsResponse, error) {
	size := int(r.GetPageSize())
	if size == 0 {
		size = defaultPageSize
	}
	orgs, next, err := s.store.ListOrganizations(ctx, size, r.GetPageToken())
	if err != nil {
		return nil, storeError(err, "page", "page_token")
	}
	resp := &pb.ListOrganizationsResponse{NextPageToken: next}
	for _, o := range orgs {
		resp.Organizations = append(resp.Organizations, orgProto(o))
	}
	return resp, nil
}

func (s *adminService) GetOrganization(ctx context.Context, r *pb.GetOrganizationRequest) (*pb.GetOrganizationResponse, error) {
	id := strings.TrimPrefix(r.GetName(), "organizations/")
	if !CallerFrom(ctx).owns(id) {
		return nil, notFound(r.GetName())
	}
	o, err := s.store.GetOrganization(ctx, id)
	if err != nil {
		return nil, storeError(err, r.GetName(), "name")
	}
	return &pb.GetOrganizationResponse{Organization: orgProto(o)}, nil
}

// orgOf checks that the caller may act in the organisation named by parent and that it
// exists; another organisation's name gives NotFound, like a missing one.
func (s *adminService) orgOf(ctx context.Context, parent string) (string, error) {
	id := strings.TrimPrefix(parent, "organizations/")
	if !CallerFrom(ctx).owns(id) {
		return "", notFound(parent)
	}
	if _, err := s.store.GetOrganization(ctx, id); err != nil {
		return "", storeError(err, parent, "parent")
	}
	return id, nil
}

var roleProto = map[Role]pb.Role{
	RolePlatformAdmin: pb.Role_ROLE_PLATFORM_ADMIN, RoleAdmin: pb.Role_ROLE_ADMIN, RoleHRIS: pb.Role_ROLE_HRIS,
	RoleRecruiter: pb.Role_ROLE_RECRUITER, RoleAnalyst: pb.Role_ROLE_ANALYST,
}

func roleFromProto(r pb.Role) Role {
	for role, p := range roleProto {
		if p == r {
			return role
		}
	}
	return ""
}

func (s *adminService) CreateApiKey(ctx context.Context, r *pb.CreateApiKeyRequest) (*pb.CreateApiKeyResponse, error) {
	org, err := s.orgOf(ctx, r.GetParent())
	if err != nil {
		return nil, err
	}
	role := roleFromProto(r.GetApiKey().GetRole())
	caller := CallerFrom(ctx)
	// Platform admins live in the platform organisation and nobody else does; only
	// platform admins make more; and the very first key is a platform admin's, so that
	// someone can always make the others.
	switch {
	case role == RolePlatformAdmin && (org != PlatformOrg || caller.Role != RolePlatformAdmin):
		return nil, planner.Invalid(planner.Violation{Field: "api_key.role",
			Description: "platform-admin keys are made by platform admins, in organizations/" + PlatformOrg})
	case role != RolePlatformAdmin && org == PlatformOrg:
		return nil, planner.Invalid(planner.Violation{Field: "api_key.role", Description: "organizations/" + PlatformOrg + " holds platform-admin keys only"})
	case caller.Open && role != RolePlatformAdmin:
		return nil, planner.Invalid(planner.Violation{Field: "api_key.role",
			Description: "the first key must be a platform-admin key of organizations/" + PlatformOrg})
	}
	now := s.now().UTC()
	k := store.APIKey{Org: org, DisplayName: r.GetApiKey().GetDisplayName(), Role: string(role), CreateTime: now}
	if exp := r.GetApiKey().GetExpireTime(); exp != nil {
		if !exp.AsTime().After(now) {
			return nil, planner.Invalid(planner.Violation{Field: "api_key.expire_time", Description: "must be in the future"})
		}
		k.ExpireTime = exp.AsTime()
	}
	// A key never outlives the key that made it.
	if !caller.Expires.IsZero() && (k.ExpireTime.IsZero() || k.ExpireTime.After(caller.Expires)) {
		k.ExpireTime = caller.Expires
	}
	secret, prefix, hash := NewKey()
	k.Prefix, k.Hash = prefix, hash
	if err := s.store.CreateAPIKey(ctx, k); err != nil {
		return nil, err
	}
	s.auth.required.Store(true) // from the first key on, every call needs one
	return &pb.CreateApiKeyResponse{ApiKey: keyProto(k), Secret: secret}, nil
}

func (s *adminService) ListApiKeys(ctx context.Context, r *pb.ListApiKeysRequest) (*pb.ListApiKeysResponse, error) {
	org, err := s.orgOf(ctx, r.GetParent())
	if err != nil {
		return nil, err
	}
	keys, err := s.store.ListAPIKeys(ctx, org)
	if err != nil {
		return nil, err
	}
	resp := &pb.ListApiKeysResponse{}
	for _, k := range keys {
		resp.ApiKeys = append(resp.ApiKeys, keyProto(k))
	}
	return resp, nil
}

func (s *adminService) RevokeApiKey(ctx context.Context, r *pb.RevokeApiKeyRequest) (*pb.RevokeApiKeyResponse, error) {
	parent, prefix, _ := strings.Cut(strings.TrimPrefix(r.GetName(), "organizations/"), "/apiKeys/")
	org, err := s.orgOf(ctx, "organizations/"+parent)
	if err != nil {
		return nil, err
	}
	k, err := s.store.RevokeAPIKey(ctx, org, prefix, s.now().UTC())
	if err != nil {
		return nil, storeError(err, r.GetName(), "name")
	}
	return &pb.RevokeApiKeyResponse{ApiKey: keyProto(k)}, nil
}

func orgProto(o store.Organization) *pb.Organization {
	return &pb.Organization{Name: "organizations/" + o.ID, DisplayName: o.DisplayName, CreateTime: timestamppb.New(o.CreateTime)}
}

func keyProto(k store.APIKey) *pb.ApiKey {
	out := &pb.ApiKey{Name: "organizations/" + k.Org + "/apiKeys/" + k.Prefix, DisplayName: k.DisplayName,
		Role: roleProto[Role(k.Role)], Prefix: k.Prefix, CreateTime: timestamppb.New(k.CreateTime)}
	if !k.ExpireTime.IsZero() {
		out.ExpireTime = timestamppb.New(k.ExpireTime)
	}
	if !k.RevokeTime.IsZero() {
		out.RevokeTime = timestamppb.New(k.RevokeTime)
	}
	return out
}
