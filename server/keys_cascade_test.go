package server_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/paymix/paymix/gen/paymix/v1"
)

// Keys that a revoked key made, and keys those made, stop working with it; transfer_to
// keeps a child (and what it made); a revocation that would leave no platform-admin
// key without expiry is refused, also when the cascade is what would take the last
// one; an expiring platform-admin key needs a lasting one beside it.
func TestKeyRevocationCascades(t *testing.T) {
	s := start(t, nil).ready(t)
	ctx := context.Background()
	admin := pb.NewAdminServiceClient(s.conn)
	mk := func(as, org string, role pb.Role, expire *timestamppb.Timestamp) *pb.CreateApiKeyResponse {
		t.Helper()
		c := ctx
		if as != "" {
			c = withKey(ctx, as)
		}
		r, err := admin.CreateApiKey(c, &pb.CreateApiKeyRequest{Parent: "organizations/" + org, ApiKey: &pb.ApiKey{Role: role, ExpireTime: expire}})
		if err != nil {
			t.Fatalf("key %s %s: %v", org, role, err)
		}
		return r
	}
	works := func(key string) bool {
		_, err := pb.NewCatalogServiceClient(s.conn).GetCatalog(withKey(ctx, key), &pb.GetCatalogRequest{})
		return err == nil
	}
	root := mk("", "platform", pb.Role_ROLE_PLATFORM_ADMIN, nil)
	if _, err := admin.CreateOrganization(withKey(ctx, root.GetSecret()), &pb.CreateOrganizationRequest{OrganizationId: "acme"}); err != nil {
		t.Fatal(err)
	}
	ops := mk(root.GetSecret(), "platform", pb.Role_ROLE_PLATFORM_ADMIN, nil)
	// ops -> acme admin -> second admin -> recruiter; acme admin -> analyst.
	acmeAdmin := mk(ops.GetSecret(), "acme", pb.Role_ROLE_ADMIN, nil)
	admin2 := mk(acmeAdmin.GetSecret(), "acme", pb.Role_ROLE_ADMIN, nil)
	recruiter := mk(admin2.GetSecret(), "acme", pb.Role_ROLE_RECRUITER, nil)
	analyst := mk(acmeAdmin.GetSecret(), "acme", pb.Role_ROLE_ANALYST, nil)
	if admin2.GetApiKey().GetCreatedBy() != acmeAdmin.GetApiKey().GetPrefix() || root.GetApiKey().GetCreatedBy() != "" {
		t.Fatalf("created_by: %q, %q", admin2.GetApiKey().GetCreatedBy(), root.GetApiKey().GetCreatedBy())
	}
	revoke := func(as, name, to string) error {
		_, err := admin.RevokeApiKey(withKey(ctx, as), &pb.RevokeApiKeyRequest{Name: name, TransferTo: to})
		return err
	}
	// The acme admin goes, handing its children to the analyst, one of them: it takes
	// the admin's place.
	if err := revoke(ops.GetSecret(), acmeAdmin.GetApiKey().GetName(), analyst.GetApiKey().GetName()); err != nil {
		t.Fatalf("revoke with transfer: %v", err)
	}
	for name, c := range map[string]struct {
		key  string
		want bool
	}{"acme admin": {acmeAdmin.GetSecret(), false}, "second admin": {admin2.GetSecret(), true}, "recruiter": {recruiter.GetSecret(), true}, "analyst": {analyst.GetSecret(), true}} {
		if works(c.key) != c.want {
			t.Errorf("after the transfer, %s works: %v", name, !c.want)
		}
	}
	// Now the analyst, without a transfer: three generations (analyst -> the second
	// admin -> recruiter) go with it.
	if err := revoke(ops.GetSecret(), analyst.GetApiKey().GetName(), ""); err != nil {
		t.Fatal(err)
	}
	if works(analyst.GetSecret()) || works(admin2.GetSecret()) || works(recruiter.GetSecret()) {
		t.Error("keys made by a revoked key still work")
	}
	// Revoking root would take ops (which root made) with it: no platform admin would
	// remain, so it is refused and nothing changes.
	err := revoke(root.GetSecret(), root.GetApiKey().GetName(), "")
	if status.Code(err) != codes.FailedPrecondition || reasonOf(err) != "LAST_PLATFORM_ADMIN" || !works(root.GetSecret()) || !works(ops.GetSecret()) {
		t.Fatalf("revoking root with its cascade: %v", err)
	}
	// An expiring platform-admin key only beside a lasting one: ops is lasting.
	mk(ops.GetSecret(), "platform", pb.Role_ROLE_PLATFORM_ADMIN, timestamppb.New(time.Now().Add(24*time.Hour)))
	// Root rotated to ops: ops stays (and takes root's place), root goes.
	if err := revoke(root.GetSecret(), root.GetApiKey().GetName(), ops.GetApiKey().GetName()); err != nil {
		t.Fatal(err)
	}
	if works(root.GetSecret()) || !works(ops.GetSecret()) {
		t.Error("rotation: root still works or ops does not")
	}
	// ops is the last lasting platform admin now (the expiring one does not count).
	if err := revoke(ops.GetSecret(), ops.GetApiKey().GetName(), ""); reasonOf(err) != "LAST_PLATFORM_ADMIN" {
		t.Errorf("revoking the last lasting platform admin: %v", err)
	}
	// A transfer to a key of another organisation that is not a platform admin's is
	// refused, naming the field.
	acme2 := mk(ops.GetSecret(), "acme", pb.Role_ROLE_ADMIN, nil)
	if err := revoke(ops.GetSecret(), ops.GetApiKey().GetName(), acme2.GetApiKey().GetName()); status.Code(err) != codes.InvalidArgument {
		t.Errorf("transfer across organisations: %v", err)
	}
}

// With no lasting platform-admin key, an expiring one cannot be made: the first key
// made in open mode with an expiry is refused.
func TestExpiringPlatformAdminNeedsALastingOne(t *testing.T) {
	s := start(t, nil).ready(t)
	_, err := pb.NewAdminServiceClient(s.conn).CreateApiKey(context.Background(), &pb.CreateApiKeyRequest{Parent: "organizations/platform",
		ApiKey: &pb.ApiKey{Role: pb.Role_ROLE_PLATFORM_ADMIN, ExpireTime: timestamppb.New(time.Now().Add(time.Hour))}})
	if status.Code(err) != codes.FailedPrecondition || reasonOf(err) != "LAST_PLATFORM_ADMIN" {
		t.Errorf("an expiring first key: %v", err)
	}
}
