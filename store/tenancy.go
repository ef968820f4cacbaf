package store

import (
	"context"
	"errors"
	"time"
)

// ErrStale: an update or delete named an etag that is no longer the current one.
var ErrStale = errors.New("stale etag")

// Organization is one customer of paymix.
type Organization struct {
	ID          string
	DisplayName string
	CreateTime  time.Time
}

// Policy is a stored policy. Spec is the policy's content as the server encodes it;
// the store versions it without reading it.
type Policy struct {
	Org, ID     string
	DisplayName string
	Preset      string
	Spec        string
	Revision    int64 // 1 at creation, +1 per update
	CreateTime  time.Time
	UpdateTime  time.Time
}

// Etag is the policy's concurrency token: it changes with every update.
func (p Policy) Etag() string { return etagOf(p.Revision, p.CreateTime) }

// PriceBook is an organisation's own price book. Spec is its content as the server
// encodes it; the store versions it without reading it.
type PriceBook struct {
	Org        string
	Spec       string
	Revision   int64 // 1 at the first update, +1 per update
	UpdateTime time.Time
}

// Etag is the book's concurrency token ("" before the first update).
func (b PriceBook) Etag() string {
	if b.Revision == 0 {
		return ""
	}
	return etagOf(b.Revision, b.UpdateTime)
}

// APIKey is a key's metadata and the SHA-256 of the whole key; the key itself is
// never stored.
type APIKey struct {
	Prefix      string
	Org         string
	DisplayName string
	Role        string
	Hash        []byte
	CreateTime  time.Time
	ExpireTime  time.Time // zero: never
	RevokeTime  time.Time // zero: not revoked
	// CreatedBy is the prefix of the key that made this one ("" for a key made in
	// open mode or by bootstrap).
	CreatedBy string
}

// ErrLastPlatformAdmin: a revocation would leave no active platform-admin key
// without an expiry, and nobody could manage the platform again.
var ErrLastPlatformAdmin = errors.New("no active platform-admin key without expiry would remain")

// Tenancy is the part of the store that keeps organisations, policies and keys. A
// method given an organisation never touches another organisation's records.
type Tenancy interface {
	// CreateOrganization records an organisation and, in the same transaction, its
	// first policies. ErrConflict when the id is taken.
	CreateOrganization(ctx context.Context, o Organization, policies []Policy) error
	GetOrganization(ctx context.Context, id string) (Organization, error)
	ListOrganizations(ctx context.Context, limit int, pageToken string) ([]Organization, string, error)

	// CreatePolicy stores a new policy at revision 1. ErrConflict when it exists,
	// ErrNotFound when its organisation does not.
	CreatePolicy(ctx context.Context, p Policy) (Policy, error)
	GetPolicy(ctx context.Context, org, id string) (Policy, error)
	ListPolicies(ctx context.Context, org string, limit int, pageToken string) ([]Policy, string, error)
	// UpdatePolicy replaces a policy's display name and spec if its etag is still
	// etag, and bumps its revision. ErrStale otherwise.
	UpdatePolicy(ctx context.Context, p Policy, etag string) (Policy, error)
	// DeletePolicy deletes a policy; with a non-empty etag, only if it is current.
	DeletePolicy(ctx context.Context, org, id, etag string) error

	// GetPriceBook returns an organisation's price book; revision 0 and no spec when
	// it has none yet. ErrNotFound when the organisation does not exist.
	GetPriceBook(ctx context.Context, org string) (PriceBook, error)
	// PutPriceBook replaces an organisation's price book and bumps its revision; with
	// a non-empty etag, only if it is the current one (ErrStale otherwise). ErrNotFound
	// when the organisation does not exist.
	PutPriceBook(ctx context.Context, b PriceBook, etag string) (PriceBook, error)

	CreateAPIKey(ctx context.Context, k APIKey) error
	// APIKeyByPrefix finds a key by its prefix, revoked or expired ones included.
	APIKeyByPrefix(ctx context.Context, prefix string) (APIKey, error)
	ListAPIKeys(ctx context.Context, org string) ([]APIKey, error)
	// RevokeAPIKey revokes an organisation's key and, in the same transaction, every
	// key whose chain of makers reaches it (once; a second revoke keeps the first
	// time). With transferTo set, the key's direct children are first given that maker
	// and so stay (transferTo itself, if one of them, takes the key's place). ErrLastPlatformAdmin, and nothing changed, when no active
	// platform-admin key without expiry would remain.
	RevokeAPIKey(ctx context.Context, org, prefix, transferTo string, at time.Time) (APIKey, error)
	// CountAPIKeys counts every key ever made: one is enough to require keys.
	CountAPIKeys(ctx context.Context) (int, error)

	// LoadTenancy reads every organisation, policy and key with the state version, as
	// of one moment: what the published state is built from.
	LoadTenancy(ctx context.Context) (TenancyData, error)
	// Versions counts the committed changes: all of them, and those to tenancy
	// (organisations, policies, keys) and to the market (ready datasets, maps) apart.
	// They only grow.
	Versions(ctx context.Context) (Versions, error)
}

// Versions are the store's change counters.
type Versions struct {
	State, Tenancy, Market int64
}

// TenancyData is every organisation, policy, key and price book, and the versions
// they were read at.
type TenancyData struct {
	Versions      Versions
	Organizations []Organization
	Policies      []Policy
	Keys          []APIKey
	PriceBooks    []PriceBook // the organisations that have one
}
