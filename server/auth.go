package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/paymix/paymix/store"
)

// Role is what a key may do.
type Role string

const (
	RolePlatformAdmin Role = "platform-admin" // shared datasets, maps, organisations
	RoleAdmin         Role = "admin"          // its organisation's keys and policies
	RoleHRIS          Role = "hris"           // bands, offers, reading policies
	RoleRecruiter     Role = "recruiter"      // bands, offers
	RoleAnalyst       Role = "analyst"        // bands, bulk queries, market statistics
)

// Roles lists every role.
var Roles = []Role{RolePlatformAdmin, RoleAdmin, RoleHRIS, RoleRecruiter, RoleAnalyst}

// PlatformOrg is the organisation of the platform's own administrators; it exists from
// the first start.
const PlatformOrg = "platform"

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
	"/paymix.v1.BandService/RecommendBand":        bandUsers,
	"/paymix.v1.BandService/BatchRecommendBands":  analysts,
	"/paymix.v1.BandService/StreamBands":          analysts,
	"/paymix.v1.OfferService/EvaluateOffer":       bandUsers,
	"/paymix.v1.OfferService/CompareOffers":       bandUsers,
	"/paymix.v1.CatalogService/GetCatalog":        everyone,
	"/paymix.v1.DatasetService/ListDatasets":      roles(RolePlatformAdmin, RoleAdmin, RoleAnalyst),
	"/paymix.v1.DatasetService/GetDataset":        roles(RolePlatformAdmin, RoleAdmin, RoleAnalyst),
	"/paymix.v1.DatasetService/DeleteDataset":     platform,
	"/paymix.v1.DatasetService/ActivateDataset":   platform,
	"/paymix.v1.MarketService/ImportBenchmarks":   platform,
	"/paymix.v1.MarketService/GetMarketStats":     roles(RolePlatformAdmin, RoleAnalyst),
	"/paymix.v1.MarketService/ListCohorts":        roles(RolePlatformAdmin, RoleAnalyst),
	"/paymix.v1.MarketService/ListUnmappedLevels": platform,
	"/paymix.v1.MarketService/PutLevelMap":        platform,
	"/paymix.v1.MarketService/ListLevelMaps":      platform,
	"/paymix.v1.MarketService/PutLocationMap":     platform,
	"/paymix.v1.MarketService/ListLocationMap":    platform,
	"/paymix.v1.PolicyService/CreatePolicy":       roles(RoleAdmin),
	"/paymix.v1.PolicyService/GetPolicy":          roles(RoleAdmin, RoleHRIS),
	"/paymix.v1.PolicyService/ListPolicies":       roles(RoleAdmin, RoleHRIS),
	"/paymix.v1.PolicyService/UpdatePolicy":       roles(RoleAdmin),
	"/paymix.v1.PolicyService/DeletePolicy":       roles(RoleAdmin),
	"/paymix.v1.PolicyService/ListPolicyPresets":  roles(RoleAdmin, RoleHRIS),
	"/paymix.v1.AdminService/CreateOrganization":  platform,
	"/paymix.v1.AdminService/ListOrganizations":   platform,
	"/paymix.v1.AdminService/GetOrganization":     roles(RolePlatformAdmin, RoleAdmin),
	"/paymix.v1.AdminService/CreateApiKey":        roles(RolePlatformAdmin, RoleAdmin),
	"/paymix.v1.AdminService/ListApiKeys":         roles(RolePlatformAdmin, RoleAdmin),
	"/paymix.v1.AdminService/RevokeApiKey":        roles(RolePlatformAdmin, RoleAdmin),
	// Reflection describes the API to any valid key.
	"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo":      everyone,
	"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": everyone,
}

// public methods need no key: probes must work without one.
var public = map[string]bool{
	"/grpc.health.v1.Health/Check": true,
	"/grpc.health.v1.Health/Watch": true,
	"/grpc.health.v1.Health/List":  true,
}

// Caller is who makes a call.
type Caller struct {
	Org  string
	Role Role
	// Open is true in open development mode: no key exists and every listener is on
	// loopback, so calls come without a key and may do anything.
	Open bool
	Key  string // the key's prefix
	// Expires is when the caller's key stops working (zero: never); keys it makes
	// expire no later.
	Expires time.Time
}

type callerKey struct{}

// CallerFrom returns the caller of a call (set by the authentication interceptor).
func CallerFrom(ctx context.Context) Caller {
	c, _ := ctx.Value(callerKey{}).(Caller)
	return c
}

// owns reports whether the caller may see an organisation's resources: its own, any
// for a platform admin, all in open mode. Callers get NotFound otherwise, so that
// names of other organisations' resources never leak.
func (c Caller) owns(org string) bool {
	return c.Open || c.Role == RolePlatformAdmin || c.Org == org
}

// auth authenticates calls. Whether keys are required is decided from configuration
// and listen addresses at start, and turns on for good when the first key is made;
// never from the caller's address (gateway calls all come from loopback).
type auth struct {
	store    store.Store
	required atomic.Bool
	now      func() time.Time
}

// keyPrefixLen is the identifiable start of a key: "pmx_" and 12 base32 characters.
const keyPrefixLen = 16

var keyEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewKey makes a key: an identifiable prefix, by which it is looked up, and a secret
// of 256 random bits. It returns the whole key and its SHA-256 hash, which is all
// that is stored.
func NewKey() (key, prefix string, hash []byte) {
	var id [8]byte
	var secret [32]byte
	_, _ = rand.Read(id[:])
	_, _ = rand.Read(secret[:])
	prefix = "pmx_" + strings.ToLower(keyEncoding.EncodeToString(id[:]))[:12]
	key = prefix + "_" + strings.ToLower(keyEncoding.EncodeToString(secret[:]))
	sum := sha256.Sum256([]byte(key))
	return key, prefix, sum[:]
}

var errNoKey = status.Error(codes.Unauthenticated, "an API key is required: send \"authorization: Bearer <key>\"")
var errBadKey = status.Error(codes.Unauthenticated, "the API key is not valid (unknown, revoked or expired)")

// authenticate finds the caller of a call from its metadata.
func (a *auth) authenticate(ctx context.Context) (Caller, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	values := md.Get("authorization")
	if len(values) == 0 {
		if !a.required.Load() {
			return Caller{Open: true, Role: RolePlatformAdmin}, nil
		}
		return Caller{}, errNoKey
	}
	if len(values) > 1 {
		return Caller{}, status.Error(codes.Unauthenticated, "send one authorization header, not several")
	}
	scheme, key, _ := strings.Cut(values[0], " ")
	if !strings.EqualFold(scheme, "Bearer") || len(key) <= keyPrefixLen || !strings.HasPrefix(key, "pmx_") {
		return Caller{}, status.Error(codes.Unauthenticated, "malformed authorization: want \"Bearer pmx_...\"")
	}
	k, err := a.store.APIKeyByPrefix(ctx, key[:keyPrefixLen])
	if errors.Is(err, store.ErrNotFound) {
		return Caller{}, errBadKey
	}
	if err != nil {
		return Caller{}, err
	}
	sum := sha256.Sum256([]byte(key))
	now := a.now()
	if subtle.ConstantTimeCompare(sum[:], k.Hash) != 1 || !k.RevokeTime.IsZero() || (!k.ExpireTime.IsZero() && !now.Before(k.ExpireTime)) {
		return Caller{}, errBadKey
	}
	return Caller{Org: k.Org, Role: Role(k.Role), Key: k.Prefix, Expires: k.ExpireTime}, nil
}

// authorize checks a method against the role table.
func authorize(c Caller, method string) error {
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
	c, err := a.authenticate(ctx)
	if err != nil {
		return ctx, err
	}
	if err := authorize(c, method); err != nil {
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

// authMode decides at start whether keys are required, and refuses to serve beyond
// loopback with no key to require.
func (a *auth) decide(ctx context.Context, requireAuth bool, addrs ...string) (open bool, err error) {
	n, err := a.store.CountAPIKeys(ctx)
	if err != nil {
		return false, err
	}
	if requireAuth && n == 0 {
		return false, fmt.Errorf("--require-auth with no API key yet would lock everyone out: start paymixd on loopback without it, "+
			"create the first platform-admin key with `paymix keys create --org %s --role platform-admin`, then restart with --require-auth", PlatformOrg)
	}
	if n > 0 {
		a.required.Store(true)
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

// Access reports who may call a method: the roles, whether it is public, and whether
// the table knows it at all.
func Access(method string) (allowed []Role, isPublic, known bool) {
	allowed, known = access[method]
	return allowed, public[method], known || public[method]
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
