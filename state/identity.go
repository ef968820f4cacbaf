package state

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"strings"
	"time"

	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/store"
)

// Role is what a key may do. The table of which role may call which method is the
// transport's (server/auth.go); roles themselves are the application's.
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

// OpenCaller is the caller of every call in open development mode.
var OpenCaller = Caller{Open: true, Role: RolePlatformAdmin}

// Owns reports whether the caller may see an organisation's resources: its own, any
// for a platform admin, all in open mode. Callers get NotFound otherwise, so that
// names of other organisations' resources never leak.
func (c Caller) Owns(org string) bool {
	return c.Open || c.Role == RolePlatformAdmin || c.Org == org
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

var (
	errNoKey = &planner.Error{Kind: planner.KindUnauthenticated, Reason: "API_KEY_REQUIRED",
		Message: "an API key is required: send \"authorization: Bearer <key>\""}
	errTwoKeys = &planner.Error{Kind: planner.KindUnauthenticated, Reason: "API_KEY_INVALID",
		Message: "send one authorization header, not several"}
	errMalformedKey = &planner.Error{Kind: planner.KindUnauthenticated, Reason: "API_KEY_INVALID",
		Message: "malformed authorization: want \"Bearer pmx_...\""}
	// The caller learns only that the key is not valid; the server's metrics say why.
	errUnknownKey  = badKey()
	errWrongSecret = badKey()
	errRevokedKey  = badKey()
	errExpiredKey  = badKey()
)

func badKey() *planner.Error {
	return &planner.Error{Kind: planner.KindUnauthenticated, Reason: "API_KEY_INVALID",
		Message: "the API key is not valid (unknown, revoked or expired)"}
}

// FailureReasons are the reasons AuthFailure gives, a fixed set (metric labels).
var FailureReasons = []string{"missing", "several", "malformed", "unknown", "wrong_secret", "revoked", "expired"}

// AuthFailure names why Authenticate refused a call, from FailureReasons ("" for an
// error that is not one of its refusals).
func AuthFailure(err error) string {
	switch err {
	case errNoKey:
		return "missing"
	case errTwoKeys:
		return "several"
	case errMalformedKey:
		return "malformed"
	case errUnknownKey:
		return "unknown"
	case errWrongSecret:
		return "wrong_secret"
	case errRevokedKey:
		return "revoked"
	case errExpiredKey:
		return "expired"
	}
	return ""
}

// Authenticate finds the caller of a call from its authorization values, in memory:
// the published key index holds every key's hash, expiry and revocation.
func (p *Published) Authenticate(authorization []string, now time.Time) (Caller, error) {
	if len(authorization) == 0 {
		if !p.KeysRequired {
			return OpenCaller, nil
		}
		return Caller{}, errNoKey
	}
	if len(authorization) > 1 {
		return Caller{}, errTwoKeys
	}
	scheme, key, _ := strings.Cut(authorization[0], " ")
	if !strings.EqualFold(scheme, "Bearer") || len(key) <= keyPrefixLen || !strings.HasPrefix(key, "pmx_") {
		return Caller{}, errMalformedKey
	}
	k, ok := p.keys[key[:keyPrefixLen]]
	if !ok {
		return Caller{}, errUnknownKey
	}
	sum := sha256.Sum256([]byte(key))
	switch {
	case subtle.ConstantTimeCompare(sum[:], k.Hash) != 1:
		return Caller{}, errWrongSecret
	case !k.RevokeTime.IsZero():
		return Caller{}, errRevokedKey
	case !usable(k, now):
		return Caller{}, errExpiredKey
	}
	return Caller{Org: k.Org, Role: Role(k.Role), Key: k.Prefix, Expires: k.ExpireTime}, nil
}

// KeyUsable reports whether the key with a prefix is in the index, not revoked and not
// expired at now, and when it expires (zero: never).
func (p *Published) KeyUsable(prefix string, now time.Time) (ok bool, expires time.Time) {
	k, found := p.keys[prefix]
	return found && usable(k, now), k.ExpireTime
}

// lastingPlatformAdmin reports whether an active platform-admin key without expiry
// exists.
func (p *Published) lastingPlatformAdmin(now time.Time) bool {
	for _, k := range p.keys {
		if Role(k.Role) == RolePlatformAdmin && k.ExpireTime.IsZero() && usable(k, now) {
			return true
		}
	}
	return false
}

// madeBy reports whether key is ancestor or was made, through any chain of makers, by
// ancestor.
func (p *Published) madeBy(key, ancestor string) bool {
	for seen := 0; key != "" && seen <= len(p.keys); seen++ {
		if key == ancestor {
			return true
		}
		key = p.keys[key].CreatedBy
	}
	return false
}

// usable reports whether a key is neither revoked nor expired at now.
func usable(k store.APIKey, now time.Time) bool {
	return k.RevokeTime.IsZero() && (k.ExpireTime.IsZero() || now.Before(k.ExpireTime))
}
