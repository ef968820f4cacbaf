package server_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/server"
	"github.com/paymix/paymix/store"
)

var protoRoles = map[server.Role]pb.Role{
	server.RolePlatformAdmin: pb.Role_ROLE_PLATFORM_ADMIN, server.RoleAdmin: pb.Role_ROLE_ADMIN, server.RoleHRIS: pb.Role_ROLE_HRIS,
	server.RoleRecruiter: pb.Role_ROLE_RECRUITER, server.RoleAnalyst: pb.Role_ROLE_ANALYST,
}

// tenants is a server with two organisations and, in each, a valid, a revoked and an
// expiring key for every role (platform-admin keys live in the platform organisation).
type tenants struct {
	*testServer
	keys    map[string]map[server.Role]map[string]string // org -> role -> kind -> secret
	prefix  map[string]string                            // org -> a key prefix of that org, for RevokeApiKey names
	expired bool
}

func withKey(ctx context.Context, key string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+key)
}

func setUpTenants(t *testing.T) *tenants {
	s := start(t, nil).ready(t)
	ctx := context.Background()
	admin := pb.NewAdminServiceClient(s.conn)
	for _, org := range []string{"acme", "globex"} {
		if _, err := admin.CreateOrganization(ctx, &pb.CreateOrganizationRequest{OrganizationId: org}); err != nil {
			t.Fatal(err)
		}
	}
	tn := &tenants{testServer: s, keys: map[string]map[server.Role]map[string]string{}, prefix: map[string]string{}}
	var root string
	mk := func(org string, role server.Role, expire *timestamppb.Timestamp) *pb.CreateApiKeyResponse {
		c := ctx
		if root != "" {
			c = withKey(ctx, root)
		}
		r, err := admin.CreateApiKey(c, &pb.CreateApiKeyRequest{Parent: "organizations/" + org,
			ApiKey: &pb.ApiKey{DisplayName: string(role), Role: protoRoles[role], ExpireTime: expire}})
		if err != nil {
			t.Fatalf("key %s %s: %v", org, role, err)
		}
		return r
	}
	// The first key is made in open mode; from then on keys are required.
	root = mk(server.PlatformOrg, server.RolePlatformAdmin, nil).GetSecret()
	for _, org := range []string{"acme", "globex"} {
		tn.keys[org] = map[server.Role]map[string]string{}
		for _, role := range server.Roles {
			keyOrg := org
			if role == server.RolePlatformAdmin {
				keyOrg = server.PlatformOrg
			}
			valid := mk(keyOrg, role, nil)
			revoked := mk(keyOrg, role, nil)
			if _, err := admin.RevokeApiKey(withKey(ctx, root), &pb.RevokeApiKeyRequest{Name: revoked.GetApiKey().GetName()}); err != nil {
				t.Fatal(err)
			}
			expiring := mk(keyOrg, role, timestamppb.New(clock().Add(time.Hour)))
			tn.keys[org][role] = map[string]string{"valid": valid.GetSecret(), "revoked": revoked.GetSecret(), "expired": expiring.GetSecret(),
				"wrong secret": valid.GetApiKey().GetPrefix() + "_" + strings.Repeat("a", 52)}
			if keyOrg == org {
				tn.prefix[org] = valid.GetApiKey().GetPrefix()
			}
		}
	}
	skew.Store(int64(2 * time.Hour)) // the expiring keys have expired
	t.Cleanup(func() { skew.Store(0) })
	return tn
}

// request builds a valid-looking request for a method, naming resources of org.
func (tn *tenants) request(t *testing.T, method, org string) proto.Message {
	svc, name, _ := strings.Cut(strings.TrimPrefix(method, "/"), "/")
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc))
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	md := d.(protoreflect.ServiceDescriptor).Methods().ByName(protoreflect.Name(name))
	mt, err := protoregistry.GlobalTypes.FindMessageByName(md.Input().FullName())
	if err != nil {
		t.Fatal(err)
	}
	msg := mt.New().Interface()
	orgName := "organizations/" + org
	switch r := msg.(type) {
	case *pb.RecommendBandRequest:
		r.JobFamily, r.Level, r.Location, r.PolicyName = "software-engineer", "IC3", "Seattle, WA", orgName+"/policies/default"
	case *pb.GetOrganizationRequest:
		r.Name = orgName
	case *pb.CreateOrganizationRequest:
		r.OrganizationId = fmt.Sprintf("org-%d", time.Now().UnixNano())
	case *pb.CreateApiKeyRequest:
		r.Parent, r.ApiKey = orgName, &pb.ApiKey{Role: pb.Role_ROLE_RECRUITER}
	case *pb.ListApiKeysRequest:
		r.Parent = orgName
	case *pb.RevokeApiKeyRequest:
		r.Name = orgName + "/apiKeys/pmx_unknownkey00" // a guessed name: NotFound whoever asks
	case *pb.CreatePolicyRequest:
		r.Parent, r.PolicyId = orgName, fmt.Sprintf("p%d", time.Now().UnixNano())
	case *pb.GetPolicyRequest:
		r.Name = orgName + "/policies/default"
	case *pb.ListPoliciesRequest:
		r.Parent = orgName
	case *pb.UpdatePolicyRequest:
		r.Policy = &pb.Policy{Name: orgName + "/policies/default", Etag: "r0"}
		r.UpdateMask = &fieldmaskpb.FieldMask{Paths: []string{"display_name"}}
	case *pb.DeletePolicyRequest:
		r.Name = orgName + "/policies/default" // refused after authorisation: it cannot go
	case *pb.GetPriceBookRequest:
		r.Name = orgName + "/priceBook"
	case *pb.UpdatePriceBookRequest:
		r.PriceBook = &pb.PriceBook{Name: orgName + "/priceBook"}
	case *pb.GetDatasetRequest:
		r.Name = "datasets/demo-synthetic"
	case *pb.DeleteDatasetRequest:
		r.Name = "datasets/demo-synthetic" // built in: refused after authorisation
	case *pb.ActivateDatasetRequest:
		r.Name = "datasets/demo-synthetic"
	case *pb.BatchRecommendBandsRequest:
		r.Requests = []*pb.RecommendBandRequest{{JobFamily: "software-engineer", Level: "IC3", Location: "Seattle, WA"}}
	case *pb.StreamBandsRequest:
		r.JobFamilies, r.Levels, r.Locations, r.PolicyName = []string{"software-engineer"}, []string{"IC3"}, []string{"Seattle, WA"}, orgName+"/policies/default"
	case *pb.EvaluateOfferRequest:
		r.Offer, r.PolicyName = &pb.Offer{JobFamily: "software-engineer", Level: "IC3", Location: "Seattle, WA", Base: 200000}, orgName+"/policies/default"
	case *pb.CompareOffersRequest:
		o := &pb.Offer{JobFamily: "software-engineer", Level: "IC3", Location: "Seattle, WA", Base: 200000}
		r.Offers, r.PolicyName = []*pb.Offer{o, o}, orgName+"/policies/default"
	case *pb.GetMarketStatsRequest:
		r.JobFamily, r.Level, r.Location = "software-engineer", "IC3", "Seattle, WA"
	case *pb.PutLevelMapRequest:
		r.Company, r.Entries = "Acme", []*pb.LevelMapEntry{{CompanyLevel: "P3", IcLevel: "IC3"}}
	case *pb.PutLocationMapRequest:
		r.Entries = []*pb.LocationMapEntry{{Text: "Omaha, NE", CountryCode: "US"}}
	}
	return msg
}

// call invokes any method, unary or streaming, and returns its status code.
func (tn *tenants) call(ctx context.Context, t *testing.T, method string, req proto.Message) codes.Code {
	svc, name, _ := strings.Cut(strings.TrimPrefix(method, "/"), "/")
	d, _ := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc))
	md := d.(protoreflect.ServiceDescriptor).Methods().ByName(protoreflect.Name(name))
	mt, _ := protoregistry.GlobalTypes.FindMessageByName(md.Output().FullName())
	resp := mt.New().Interface()
	if !md.IsStreamingClient() && !md.IsStreamingServer() {
		return status.Code(tn.conn.Invoke(ctx, method, req, resp))
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	stream, err := tn.conn.NewStream(ctx, &grpc.StreamDesc{ClientStreams: md.IsStreamingClient(), ServerStreams: md.IsStreamingServer()}, method)
	if err != nil {
		return status.Code(err)
	}
	if r, ok := req.(*pb.ImportBenchmarksRequest); ok {
		r.Part = &pb.ImportBenchmarksRequest_Header{Header: &pb.ImportHeader{Format: pb.ImportFormat_IMPORT_FORMAT_PAYMIX_CSV}}
	}
	if method == "/grpc.health.v1.Health/Watch" {
		stream.SendMsg(req)
		stream.CloseSend()
		return status.Code(stream.RecvMsg(resp))
	}
	if strings.Contains(method, "ServerReflection") { // ask for the list of services
		m := req.ProtoReflect()
		m.Set(m.Descriptor().Fields().ByName("list_services"), protoreflect.ValueOfString("*"))
	}
	stream.SendMsg(req)
	stream.CloseSend()
	return status.Code(stream.RecvMsg(resp))
}

// Every method x every role x every kind of caller: the expected code, over gRPC.
func TestEveryMethodEveryRole(t *testing.T) {
	tn := setUpTenants(t)
	methods := tn.srv.Methods()
	slices.Sort(methods)
	if len(methods) < 30 {
		t.Fatalf("only %d methods registered", len(methods))
	}
	ctx := context.Background()
	calls := 0
	for _, method := range methods {
		allowed, isPublic, known := server.Access(method)
		if !known {
			t.Errorf("%s has no entry in the role table", method)
			continue
		}
		orgScoped := orgScopedMethods[method]
		for _, role := range server.Roles {
			for _, org := range []string{"acme", "globex"} {
				other := map[string]string{"acme": "globex", "globex": "acme"}[org]
				keys := tn.keys[org][role]
				expect := func(kind, key, target string, want func(codes.Code) bool, what string) {
					t.Helper()
					c := ctx
					switch {
					case strings.HasPrefix(key, "raw:"):
						c = metadata.AppendToOutgoingContext(ctx, "authorization", strings.TrimPrefix(key, "raw:"))
					case key != "":
						c = withKey(ctx, key)
					}
					got := tn.call(c, t, method, tn.request(t, method, target))
					calls++
					if !want(got) {
						t.Errorf("%s as %s of %s, %s: %s, want %s", method, role, org, kind, got, what)
					}
				}
				is := func(c codes.Code) func(codes.Code) bool { return func(got codes.Code) bool { return got == c } }
				passes := func(got codes.Code) bool {
					return got != codes.Unauthenticated && got != codes.PermissionDenied && got != codes.NotFound && got != codes.Internal
				}
				if isPublic {
					expect("no key", "", org, passes, "to pass")
					continue
				}
				for _, kind := range []string{"revoked", "expired", "wrong secret"} {
					expect(kind, keys[kind], org, is(codes.Unauthenticated), "Unauthenticated")
				}
				expect("no key", "", org, is(codes.Unauthenticated), "Unauthenticated")
				expect("malformed key", "pmx_x", org, is(codes.Unauthenticated), "Unauthenticated")
				expect("not a bearer", "raw:Basic "+keys["valid"], org, is(codes.Unauthenticated), "Unauthenticated")
				if !slices.Contains(allowed, role) {
					expect("own org", keys["valid"], org, is(codes.PermissionDenied), "PermissionDenied")
					continue
				}
				if method == "/paymix.v1.AdminService/RevokeApiKey" {
					expect("guessed key name", keys["valid"], org, is(codes.NotFound), "NotFound")
				} else {
					expect("own org", keys["valid"], org, passes, "to pass authorisation")
				}
				if orgScoped && role != server.RolePlatformAdmin {
					expect("other org", keys["valid"], other, is(codes.NotFound), "NotFound")
				}
			}
		}
	}
	t.Logf("%d calls over %d methods", calls, len(methods))
}

// orgScopedMethods name another organisation's resources in their requests.
var orgScopedMethods = map[string]bool{
	"/paymix.v1.BandService/RecommendBand":             true,
	"/paymix.v1.BandService/StreamBands":               true,
	"/paymix.v1.OfferService/EvaluateOffer":            true,
	"/paymix.v1.OfferService/CompareOffers":            true,
	"/paymix.v1.AdminService/GetOrganization":          true,
	"/paymix.v1.AdminService/CreateApiKey":             true,
	"/paymix.v1.AdminService/ListApiKeys":              true,
	"/paymix.v1.AdminService/RevokeApiKey":             true,
	"/paymix.v1.PolicyService/CreatePolicy":            true,
	"/paymix.v1.PolicyService/GetPolicy":               true,
	"/paymix.v1.PolicyService/ListPolicies":            true,
	"/paymix.v1.PolicyService/UpdatePolicy":            true,
	"/paymix.v1.PolicyService/DeletePolicy":            true,
	pb.PriceBookService_GetPriceBook_FullMethodName:    true,
	pb.PriceBookService_UpdatePriceBook_FullMethodName: true,
}

// The same over HTTP: 401, 403 and 404 with JSON bodies.
func TestHTTPAuthCodes(t *testing.T) {
	tn := setUpTenants(t)
	acme := tn.keys["acme"]
	cases := []struct {
		name, method, path, key string
		want                    int
	}{
		{"no key", "GET", "/v1/catalog", "", 401},
		{"malformed key", "GET", "/v1/catalog", "Bearer nope", 401},
		{"revoked key", "GET", "/v1/catalog", "Bearer " + acme[server.RoleHRIS]["revoked"], 401},
		{"expired key", "GET", "/v1/catalog", "Bearer " + acme[server.RoleHRIS]["expired"], 401},
		{"wrong secret", "GET", "/v1/catalog", "Bearer " + acme[server.RoleHRIS]["wrong secret"], 401},
		{"valid key", "GET", "/v1/catalog", "Bearer " + acme[server.RoleHRIS]["valid"], 200},
		{"recruiter on datasets", "GET", "/v1/datasets", "Bearer " + acme[server.RoleRecruiter]["valid"], 403},
		{"hris writes a policy", "DELETE", "/v1/organizations/acme/policies/default", "Bearer " + acme[server.RoleHRIS]["valid"], 403},
		{"own policy", "GET", "/v1/organizations/acme/policies/default", "Bearer " + acme[server.RoleHRIS]["valid"], 200},
		{"other org's policy", "GET", "/v1/organizations/globex/policies/default", "Bearer " + acme[server.RoleHRIS]["valid"], 404},
		{"guessed org", "GET", "/v1/organizations/initech/policies/default", "Bearer " + acme[server.RoleAdmin]["valid"], 404},
		{"other org's keys", "GET", "/v1/organizations/globex/apiKeys", "Bearer " + acme[server.RoleAdmin]["valid"], 404},
		{"band with another org's policy", "GET", "/v1/bands:recommend?jobFamily=software-engineer&level=IC3&location=Seattle&policyName=organizations/globex/policies/default",
			"Bearer " + acme[server.RoleRecruiter]["valid"], 404},
		{"health needs no key", "GET", "/healthz", "", 200},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, tn.base+c.path, nil)
		if c.key != "" {
			req.Header.Set("Authorization", c.key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		ct := resp.Header.Get("Content-Type")
		resp.Body.Close()
		if resp.StatusCode != c.want || !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s: HTTP %d (%s), want %d with JSON", c.name, resp.StatusCode, ct, c.want)
		}
	}
}

// Keys are stored as SHA-256 hashes: the store holds no secret.
func TestKeysAreStoredHashed(t *testing.T) {
	var st store.Store
	s := start(t, func(inner store.Store) store.Store { st = inner; return inner }).ready(t)
	r, err := pb.NewAdminServiceClient(s.conn).CreateApiKey(context.Background(), &pb.CreateApiKeyRequest{
		Parent: "organizations/platform", ApiKey: &pb.ApiKey{Role: pb.Role_ROLE_PLATFORM_ADMIN}})
	if err != nil {
		t.Fatal(err)
	}
	secret := r.GetSecret()
	k, err := st.APIKeyByPrefix(context.Background(), r.GetApiKey().GetPrefix())
	if err != nil || len(k.Hash) != 32 || strings.Contains(string(k.Hash), secret[len(k.Prefix):]) || !strings.HasPrefix(secret, k.Prefix+"_") {
		t.Errorf("stored key %+v (%v)", k, err)
	}
	// Nothing of the secret after the prefix appears in the database files either.
	for _, f := range []string{"paymix.db", "paymix.db-wal"} {
		raw, _ := os.ReadFile(filepath.Join(s.dir, f))
		if strings.Contains(string(raw), secret[len(k.Prefix)+1:len(k.Prefix)+20]) {
			t.Errorf("%s contains the secret", f)
		}
	}
	// The listed key never carries a secret.
	list, err := pb.NewAdminServiceClient(s.conn).ListApiKeys(withKey(context.Background(), secret), &pb.ListApiKeysRequest{Parent: "organizations/platform"})
	if err != nil || len(list.GetApiKeys()) != 1 || strings.Contains(list.String(), secret) {
		t.Errorf("list %v %v", list, err)
	}
}

// In open development mode a web page cannot use the API: requests must name a
// loopback host and come from no other origin.
func TestOpenModeRefusesBrowsersElsewhere(t *testing.T) {
	s := start(t, nil).ready(t)
	for _, c := range []struct {
		name, host, origin string
		want               int
	}{
		{"loopback", "", "", 200},
		{"loopback origin", "", "http://localhost:3000", 200},
		{"another origin", "", "https://evil.example", 403},
		{"rebound host name", "evil.example:8080", "", 403},
	} {
		req, _ := http.NewRequest("GET", s.base+"/v1/catalog", nil)
		if c.host != "" {
			req.Host = c.host
		}
		if c.origin != "" {
			req.Header.Set("Origin", c.origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: HTTP %d, want %d", c.name, resp.StatusCode, c.want)
		}
	}
}

// Keys cannot climb: no platform-admin key from an admin, no keys but platform-admin
// ones in the platform organisation, the first key a platform admin's, and a key made
// by an expiring key expires with it.
func TestKeysCannotEscalate(t *testing.T) {
	s := start(t, nil).ready(t)
	ctx := context.Background()
	admin := pb.NewAdminServiceClient(s.conn)
	if _, err := admin.CreateOrganization(ctx, &pb.CreateOrganizationRequest{OrganizationId: "acme"}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateApiKey(ctx, &pb.CreateApiKeyRequest{Parent: "organizations/acme", ApiKey: &pb.ApiKey{Role: pb.Role_ROLE_ADMIN}}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("first key not a platform admin's: %v", err)
	}
	root, err := admin.CreateApiKey(ctx, &pb.CreateApiKeyRequest{Parent: "organizations/platform", ApiKey: &pb.ApiKey{Role: pb.Role_ROLE_PLATFORM_ADMIN}})
	if err != nil {
		t.Fatal(err)
	}
	asRoot := withKey(ctx, root.GetSecret())
	if _, err := admin.CreateApiKey(asRoot, &pb.CreateApiKeyRequest{Parent: "organizations/platform", ApiKey: &pb.ApiKey{Role: pb.Role_ROLE_ADMIN}}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("an admin key in the platform organisation: %v", err)
	}
	exp := timestamppb.New(clock().Add(time.Hour))
	acmeAdmin, err := admin.CreateApiKey(asRoot, &pb.CreateApiKeyRequest{Parent: "organizations/acme", ApiKey: &pb.ApiKey{Role: pb.Role_ROLE_ADMIN, ExpireTime: exp}})
	if err != nil {
		t.Fatal(err)
	}
	asAdmin := withKey(ctx, acmeAdmin.GetSecret())
	if _, err := admin.CreateApiKey(asAdmin, &pb.CreateApiKeyRequest{Parent: "organizations/platform", ApiKey: &pb.ApiKey{Role: pb.Role_ROLE_PLATFORM_ADMIN}}); status.Code(err) != codes.NotFound {
		t.Errorf("an admin making a platform-admin key: %v", err)
	}
	if _, err := admin.CreateApiKey(asAdmin, &pb.CreateApiKeyRequest{Parent: "organizations/acme", ApiKey: &pb.ApiKey{Role: pb.Role_ROLE_PLATFORM_ADMIN}}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("an admin making a platform-admin key in its own organisation: %v", err)
	}
	child, err := admin.CreateApiKey(asAdmin, &pb.CreateApiKeyRequest{Parent: "organizations/acme", ApiKey: &pb.ApiKey{Role: pb.Role_ROLE_RECRUITER}})
	if err != nil || !child.GetApiKey().GetExpireTime().AsTime().Equal(exp.AsTime()) {
		t.Errorf("a key made by an expiring key: %v %v", child.GetApiKey().GetExpireTime(), err)
	}
	// Two authorization values are refused, whatever they are.
	both := metadata.AppendToOutgoingContext(asRoot, "authorization", "Bearer "+root.GetSecret())
	if _, err := admin.ListOrganizations(both, &pb.ListOrganizationsRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("two authorization values: %v", err)
	}
}

// The role table and the registered methods are the same set: a method added without
// an entry is refused to everyone, and an entry left behind by a removed method hides
// a stale grant.
func TestRoleTableMatchesRegisteredMethods(t *testing.T) {
	s := start(t, nil)
	registered := s.srv.Methods()
	table := server.AccessTable()
	for _, m := range registered {
		if !slices.Contains(table, m) {
			t.Errorf("%s is registered but has no entry in the role table", m)
		}
	}
	for _, m := range table {
		if !slices.Contains(registered, m) {
			t.Errorf("the role table names %s, which no service registers", m)
		}
	}
	if len(registered) < 30 || len(table) != len(registered) {
		t.Errorf("%d methods registered, %d in the table", len(registered), len(table))
	}
}
