package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	reflectionv1alpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
	"google.golang.org/grpc/status"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/state"
)

// Role and the roles are the application's; this file holds who may call what.
type Role = state.Role

const (
	RolePlatformAdmin = state.RolePlatformAdmin
	RoleAdmin         = state.RoleAdmin
	RoleHRIS          = state.RoleHRIS
	RoleRecruiter     = state.RoleRecruiter
	RoleAnalyst       = state.RoleAnalyst
)

// Roles lists every role.
var Roles = state.Roles

// PlatformOrg is the organisation of the platform's own administrators.
const PlatformOrg = state.PlatformOrg

func roles(rs ...Role) []Role { return rs }

var (
	everyone  = roles(RolePlatformAdmin, RoleAdmin, RoleHRIS, RoleRecruiter, RoleAnalyst)
	bandUsers = roles(RoleAdmin, RoleHRIS, RoleRecruiter, RoleAnalyst)
	platform  = roles(RolePlatformAdmin)
	// Bulk band queries are for analysts and organisation admins.
	analysts = roles(RoleAdmin, RoleAnalyst)
)

// access is the one table of who may call what (least privilege). A method missing
// here is refused to everyone, and a test walks every registered method against it.
// public marks methods that need no key at all.
var access = map[string][]Role{
	pb.BandService_RecommendBand_FullMethodName:        bandUsers,
	pb.BandService_BatchRecommendBands_FullMethodName:  analysts,
	pb.BandService_StreamBands_FullMethodName:          analysts,
	pb.OfferService_EvaluateOffer_FullMethodName:       bandUsers,
	pb.OfferService_CompareOffers_FullMethodName:       bandUsers,
	pb.CatalogService_GetCatalog_FullMethodName:        everyone,
	pb.DatasetService_ListDatasets_FullMethodName:      roles(RolePlatformAdmin, RoleAdmin, RoleAnalyst),
	pb.DatasetService_GetDataset_FullMethodName:        roles(RolePlatformAdmin, RoleAdmin, RoleAnalyst),
	pb.DatasetService_DeleteDataset_FullMethodName:     platform,
	pb.DatasetService_ActivateDataset_FullMethodName:   platform,
	pb.MarketService_ImportBenchmarks_FullMethodName:   platform,
	pb.MarketService_GetMarketStats_FullMethodName:     roles(RolePlatformAdmin, RoleAnalyst),
	pb.MarketService_ListCohorts_FullMethodName:        roles(RolePlatformAdmin, RoleAnalyst),
	pb.MarketService_ListDifferentials_FullMethodName:  everyone,
	pb.MarketService_ListUnmappedLevels_FullMethodName: platform,
	pb.MarketService_PutLevelMap_FullMethodName:        platform,
	pb.MarketService_ListLevelMaps_FullMethodName:      platform,
	pb.MarketService_PutLocationMap_FullMethodName:     platform,
	pb.MarketService_ListLocationMap_FullMethodName:    platform,
	pb.PolicyService_CreatePolicy_FullMethodName:       roles(RoleAdmin),
	pb.PolicyService_GetPolicy_FullMethodName:          roles(RoleAdmin, RoleHRIS),
	pb.PolicyService_ListPolicies_FullMethodName:       roles(RoleAdmin, RoleHRIS),
	pb.PolicyService_UpdatePolicy_FullMethodName:       roles(RoleAdmin),
	pb.PolicyService_DeletePolicy_FullMethodName:       roles(RoleAdmin),
	pb.PolicyService_ListPolicyPresets_FullMethodName:  roles(RoleAdmin, RoleHRIS),
	// An organisation's admins keep its price book; its every role reads it.
	pb.PriceBookService_GetPriceBook_FullMethodName:    roles(RolePlatformAdmin, RoleAdmin, RoleHRIS, RoleRecruiter, RoleAnalyst),
	pb.PriceBookService_UpdatePriceBook_FullMethodName: roles(RoleAdmin),
	pb.AdminService_CreateOrganization_FullMethodName:  platform,
	pb.AdminService_ListOrganizations_FullMethodName:   platform,
	pb.AdminService_GetOrganization_FullMethodName:     roles(RolePlatformAdmin, RoleAdmin),
	pb.AdminService_CreateApiKey_FullMethodName:        roles(RolePlatformAdmin, RoleAdmin),
	pb.AdminService_ListApiKeys_FullMethodName:         roles(RolePlatformAdmin, RoleAdmin),
	pb.AdminService_RevokeApiKey_FullMethodName:        roles(RolePlatformAdmin, RoleAdmin),
	// Reflection describes the API to any valid key.
	reflectionv1.ServerReflection_ServerReflectionInfo_FullMethodName:      everyone,
	reflectionv1alpha.ServerReflection_ServerReflectionInfo_FullMethodName: everyone,
}

// public methods need no key: probes must work without one.
var public = map[string]bool{
	healthpb.Health_Check_FullMethodName: true,
	healthpb.Health_Watch_FullMethodName: true,
	healthpb.Health_List_FullMethodName:  true,
}

type callerKey struct{}

// CallerFrom returns the caller of a call (set by the authentication interceptor).
func CallerFrom(ctx context.Context) state.Caller {
	c, _ := ctx.Value(callerKey{}).(state.Caller)
	return c
}

// auth authenticates calls from the published key index (no store on the path) and
// checks them against the role table. Whether keys are required is decided by the
// state (a key exists, or --require-auth), never by the caller's address (gateway
// calls all come from loopback).
type auth struct {
	app     *state.Service
	now     func() time.Time
	streams *keyStreams
	failed  func(reason string) // counts a refusal (metrics), by a reason of a fixed set
}

// NewKey makes a key (see state.NewKey).
func NewKey() (key, prefix string, hash []byte) { return state.NewKey() }

// authorize checks a method against the role table.
func authorize(c state.Caller, method string) error {
	if c.Open {
		return nil
	}
	for _, r := range access[method] {
		if r == c.Role {
			return nil
		}
	}
	return status.Errorf(codes.PermissionDenied, "the %s role may not call %s", c.Role, method)
}

func (a *auth) check(ctx context.Context, method string) (context.Context, error) {
	if public[method] {
		return ctx, nil
	}
	pub := a.app.Current()
	if pub == nil {
		return ctx, status.Error(codes.Unavailable, "paymix is starting; retry shortly")
	}
	c, err := pub.Authenticate(metadata.ValueFromIncomingContext(ctx, "authorization"), a.now())
	if err != nil {
		a.failed(state.AuthFailure(err))
		return ctx, err
	}
	if err := authorize(c, method); err != nil {
		a.failed(authRole)
		return ctx, err
	}
	return context.WithValue(ctx, callerKey{}, c), nil
}

func (a *auth) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	ctx, err := a.check(ctx, info.FullMethod)
	if err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

func (a *auth) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	ctx, err := a.check(ss.Context(), info.FullMethod)
	if err != nil {
		return err
	}
	if key := CallerFrom(ctx).Key; key != "" {
		return a.guardStream(ctx, key, func(ctx context.Context) error {
			return handler(srv, &contextStream{ServerStream: ss, ctx: ctx})
		})
	}
	return handler(srv, &contextStream{ServerStream: ss, ctx: ctx})
}

// beyondLoopback reports whether a listen address binds more than loopback ("",
// 0.0.0.0, a host name or a routable address). An address that does not parse is left
// for the listener to refuse with its own message.
func beyondLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "localhost" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// decide checks at start that keys can be required as configured, and refuses to
// serve beyond loopback with no key to require; open reports open development mode.
func decide(pub *state.Published, requireAuth bool, addrs ...string) (open bool, err error) {
	n := pub.KeyCount()
	if requireAuth && n == 0 {
		return false, fmt.Errorf("--require-auth with no API key yet would lock everyone out: start paymixd on loopback without it, "+
			"create the first platform-admin key with `paymix keys create --org %s --role platform-admin`, then restart with --require-auth", PlatformOrg)
	}
	if n > 0 {
		return false, nil
	}
	for _, addr := range addrs {
		if beyondLoopback(addr) {
			return false, fmt.Errorf("refusing to listen on %s without authentication: no API key exists yet. "+
				"Start paymixd on loopback (the default), create the first platform-admin key with "+
				"`paymix keys create --org %s --role platform-admin`, then restart on %s", addr, PlatformOrg, addr)
		}
	}
	return true, nil
}

// plaintextRule refuses a listener beyond loopback without TLS, unless the operator
// says that something in front terminates TLS (which is then logged as a warning):
// bearer keys and pay data must not cross a network in clear.
func plaintextRule(tlsOn, insecurePlaintext bool, log *slog.Logger, addrs ...string) error {
	if tlsOn {
		return nil
	}
	for _, addr := range addrs {
		if !beyondLoopback(addr) {
			continue
		}
		if !insecurePlaintext {
			return fmt.Errorf("refusing to listen on %s in plaintext: give --tls-cert and --tls-key, "+
				"or --insecure-plaintext when a proxy or mesh in front terminates TLS", addr)
		}
		log.Warn("serving plaintext beyond loopback (--insecure-plaintext): keys and pay data cross the network in clear unless something in front encrypts them", "addr", addr)
	}
	return nil
}

// Access reports who may call a method: the roles, whether it is public, and whether
// the table knows it at all.
func Access(method string) (allowed []Role, isPublic, known bool) {
	allowed, known = access[method]
	return allowed, public[method], known || public[method]
}

// AccessTable lists every method the role table names, public ones included, so that
// a test can hold it against the registered methods.
func AccessTable() []string {
	out := make([]string, 0, len(access)+len(public))
	for m := range access {
		out = append(out, m)
	}
	for m := range public {
		out = append(out, m)
	}
	return out
}

// Methods lists every method the server registers, so that a test can hold them all
// against the role table.
func (s *Server) Methods() []string {
	var out []string
	for name, info := range s.grpc.GetServiceInfo() {
		for _, m := range info.Methods {
			out = append(out, "/"+name+"/"+m.Name)
		}
	}
	return out
}
