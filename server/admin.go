package server

import (
	"context"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/state"
	"github.com/paymix/paymix/store"
)

// adminService manages organisations and API keys through the application.
type adminService struct {
	pb.UnimplementedAdminServiceServer
	app *state.Service
}

func (s *adminService) CreateOrganization(ctx context.Context, r *pb.CreateOrganizationRequest) (*pb.CreateOrganizationResponse, error) {
	o, err := s.app.CreateOrganization(ctx, r.GetOrganizationId(), r.GetOrganization().GetDisplayName())
	if err != nil {
		return nil, err
	}
	return &pb.CreateOrganizationResponse{Organization: orgProto(o)}, nil
}

func (s *adminService) ListOrganizations(ctx context.Context, r *pb.ListOrganizationsRequest) (*pb.ListOrganizationsResponse, error) {
	orgs, next, err := s.app.ListOrganizations(ctx, int(r.GetPageSize()), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &pb.ListOrganizationsResponse{NextPageToken: next}
	for _, o := range orgs {
		resp.Organizations = append(resp.Organizations, orgProto(o))
	}
	return resp, nil
}

func (s *adminService) GetOrganization(ctx context.Context, r *pb.GetOrganizationRequest) (*pb.GetOrganizationResponse, error) {
	o, err := s.app.Current().Organization(CallerFrom(ctx), orgID(r.GetName()))
	if err != nil {
		return nil, err
	}
	return &pb.GetOrganizationResponse{Organization: orgProto(o)}, nil
}

var roleProto = map[state.Role]pb.Role{
	RolePlatformAdmin: pb.Role_ROLE_PLATFORM_ADMIN, RoleAdmin: pb.Role_ROLE_ADMIN, RoleHRIS: pb.Role_ROLE_HRIS,
	RoleRecruiter: pb.Role_ROLE_RECRUITER, RoleAnalyst: pb.Role_ROLE_ANALYST,
}

func roleFromProto(r pb.Role) state.Role {
	for role, p := range roleProto {
		if p == r {
			return role
		}
	}
	return ""
}

func (s *adminService) CreateApiKey(ctx context.Context, r *pb.CreateApiKeyRequest) (*pb.CreateApiKeyResponse, error) {
	spec := state.KeySpec{Org: orgID(r.GetParent()), DisplayName: r.GetApiKey().GetDisplayName(), Role: roleFromProto(r.GetApiKey().GetRole())}
	if exp := r.GetApiKey().GetExpireTime(); exp != nil {
		spec.ExpireTime = exp.AsTime()
	}
	k, secret, err := s.app.CreateKey(ctx, CallerFrom(ctx), spec)
	if err != nil {
		return nil, err
	}
	return &pb.CreateApiKeyResponse{ApiKey: keyProto(k), Secret: secret}, nil
}

func (s *adminService) ListApiKeys(ctx context.Context, r *pb.ListApiKeysRequest) (*pb.ListApiKeysResponse, error) {
	keys, err := s.app.Current().Keys(CallerFrom(ctx), orgID(r.GetParent()))
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
	org, prefix, _ := strings.Cut(orgID(r.GetName()), "/apiKeys/")
	toOrg, to, _ := strings.Cut(orgID(r.GetTransferTo()), "/apiKeys/")
	k, err := s.app.RevokeKey(ctx, CallerFrom(ctx), org, prefix, state.KeyRef{Org: toOrg, Prefix: to})
	if err != nil {
		return nil, err
	}
	return &pb.RevokeApiKeyResponse{ApiKey: keyProto(k)}, nil
}

func orgProto(o store.Organization) *pb.Organization {
	return &pb.Organization{Name: "organizations/" + o.ID, DisplayName: o.DisplayName, CreateTime: timestamppb.New(o.CreateTime)}
}

func keyProto(k store.APIKey) *pb.ApiKey {
	out := &pb.ApiKey{Name: "organizations/" + k.Org + "/apiKeys/" + k.Prefix, DisplayName: k.DisplayName,
		Role: roleProto[state.Role(k.Role)], Prefix: k.Prefix, CreateTime: timestamppb.New(k.CreateTime), CreatedBy: k.CreatedBy}
	if !k.ExpireTime.IsZero() {
		out.ExpireTime = timestamppb.New(k.ExpireTime)
	}
	if !k.RevokeTime.IsZero() {
		out.RevokeTime = timestamppb.New(k.RevokeTime)
	}
	return out
}
