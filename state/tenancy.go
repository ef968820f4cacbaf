package state

import (
	"context"
	"errors"
	"time"

	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/store"
)

// newOrgPolicies are the policies every organisation starts with.
func newOrgPolicies(now time.Time) []store.Policy {
	spec, _ := encodePolicy(planner.Policy{})
	return []store.Policy{{ID: DefaultPolicyID, DisplayName: "Default policy", Spec: spec, CreateTime: now}}
}

// CreateOrganization records an organisation with its default policy.
func (s *Service) CreateOrganization(ctx context.Context, id, displayName string) (store.Organization, error) {
	o := store.Organization{ID: id, DisplayName: displayName, CreateTime: s.now().UTC()}
	if o.DisplayName == "" {
		o.DisplayName = o.ID
	}
	err := s.change(ctx, rebuildTenancy, func() error {
		return storeError(s.store.CreateOrganization(ctx, o, newOrgPolicies(o.CreateTime)), "organizations/"+id)
	})
	return o, err
}

// ListOrganizations lists organisations by id, a page at a time.
func (s *Service) ListOrganizations(ctx context.Context, size int, token string) ([]store.Organization, string, error) {
	if size <= 0 {
		size = 50
	}
	orgs, next, err := s.store.ListOrganizations(ctx, size, token)
	return orgs, next, storeError(err, "page")
}

// KeySpec is what a new key is to be.
type KeySpec struct {
	Org         string
	DisplayName string
	Role        Role
	ExpireTime  time.Time // zero: never
}

// CreateKey makes a key for an organisation the caller may act in; the secret is
// returned once and only its hash is stored.
func (s *Service) CreateKey(ctx context.Context, c Caller, spec KeySpec) (store.APIKey, string, error) {
	if _, err := s.Current().Organization(c, spec.Org); err != nil {
		return store.APIKey{}, "", err
	}
	roleField := func(desc string) error {
		return planner.Invalid(planner.Violation{Field: "Key.Role", Description: desc})
	}
	// Platform admins live in the platform organisation and nobody else does; only
	// platform admins make more; and the very first key is a platform admin's, so that
	// someone can always make the others.
	switch {
	case spec.Role == RolePlatformAdmin && (spec.Org != PlatformOrg || c.Role != RolePlatformAdmin):
		return store.APIKey{}, "", roleField("platform-admin keys are made by platform admins, in organizations/" + PlatformOrg)
	case spec.Role != RolePlatformAdmin && spec.Org == PlatformOrg:
		return store.APIKey{}, "", roleField("organizations/" + PlatformOrg + " holds platform-admin keys only")
	case c.Open && spec.Role != RolePlatformAdmin:
		return store.APIKey{}, "", roleField("the first key must be a platform-admin key of organizations/" + PlatformOrg)
	}
	now := s.now().UTC()
	k := store.APIKey{Org: spec.Org, DisplayName: spec.DisplayName, Role: string(spec.Role), CreateTime: now, ExpireTime: spec.ExpireTime}
	if !k.ExpireTime.IsZero() && !k.ExpireTime.After(now) {
		return store.APIKey{}, "", planner.Invalid(planner.Violation{Field: "Key.ExpireTime", Description: "must be in the future"})
	}
	// A key never outlives the key that made it.
	if !c.Expires.IsZero() && (k.ExpireTime.IsZero() || k.ExpireTime.After(c.Expires)) {
		k.ExpireTime = c.Expires
	}
	// The platform must always keep a way in: an expiring platform-admin key only
	// while one that does not expire exists.
	if spec.Role == RolePlatformAdmin && !k.ExpireTime.IsZero() && !s.Current().lastingPlatformAdmin(now) {
		return store.APIKey{}, "", &planner.Error{Kind: planner.KindFailedPrecondition, Reason: "LAST_PLATFORM_ADMIN", Message: "an expiring platform-admin key " +
			"can be made only while a platform-admin key that does not expire exists: make one without expire_time first"}
	}
	secret, prefix, hash := NewKey()
	k.Prefix, k.Hash, k.CreatedBy = prefix, hash, c.Key
	err := s.change(ctx, rebuildTenancy, func() error { return s.store.CreateAPIKey(ctx, k) })
	if err != nil {
		return store.APIKey{}, "", err
	}
	return k, secret, nil
}

// KeyRef names a key: its organisation and prefix (zero: none).
type KeyRef struct{ Org, Prefix string }

var errLastPlatformAdmin = &planner.Error{Kind: planner.KindFailedPrecondition, Reason: "LAST_PLATFORM_ADMIN",
	Message: "this would leave no active platform-admin key without an expiry, and nobody could manage the platform again: " +
		"make another platform-admin key first (or pass transfer_to to keep the keys this one made)"}

// RevokeKey revokes one of an organisation's keys and every key whose chain of makers
// reaches it. With transfer set, the key's direct children first get that key as
// their maker, and stay: it must be an active key of the same organisation, or a
// platform-admin key, and not one the revocation would take, except a direct child,
// which then takes the revoked key's place (a key rotated).
func (s *Service) RevokeKey(ctx context.Context, c Caller, org, prefix string, transfer KeyRef) (store.APIKey, error) {
	pub := s.Current()
	if _, err := pub.Organization(c, org); err != nil {
		return store.APIKey{}, err
	}
	name := "organizations/" + org + "/apiKeys/" + prefix
	if transfer.Prefix != "" {
		invalid := func(desc string) error {
			return planner.Invalid(planner.Violation{Field: "TransferTo", Description: desc})
		}
		to, ok := pub.keys[transfer.Prefix]
		switch {
		case !ok || to.Org != transfer.Org || !c.Owns(to.Org) && Role(to.Role) != RolePlatformAdmin:
			return store.APIKey{}, invalid("no such key: organizations/" + transfer.Org + "/apiKeys/" + transfer.Prefix)
		case !usable(to, s.now()):
			return store.APIKey{}, invalid("the key is revoked or expired")
		case to.Org != org && Role(to.Role) != RolePlatformAdmin:
			return store.APIKey{}, invalid("keys are handed to a key of the same organisation, or to a platform-admin key")
		case transfer.Prefix == prefix || pub.madeBy(transfer.Prefix, prefix) && to.CreatedBy != prefix:
			// A direct child may take over (rotating a key); a deeper one would end up
			// made by its own descendant.
			return store.APIKey{}, invalid("the key is " + name + " or was made by one of its children, so the revocation would take it too")
		}
	}
	var k store.APIKey
	err := s.change(ctx, rebuildTenancy, func() error {
		var err error
		k, err = s.store.RevokeAPIKey(ctx, org, prefix, transfer.Prefix, s.now().UTC())
		if errors.Is(err, store.ErrLastPlatformAdmin) {
			return errLastPlatformAdmin
		}
		return storeError(err, name)
	})
	return k, err
}

// PolicySpec is a policy's content and metadata as a caller writes it.
type PolicySpec struct {
	Org, ID     string
	DisplayName string
	Content     planner.Policy
}

// CreatePolicy stores a new policy: a preset's content (if one is named) overridden
// by the spec's.
func (s *Service) CreatePolicy(ctx context.Context, c Caller, spec PolicySpec, preset string) (*Policy, error) {
	if _, err := s.Current().Organization(c, spec.Org); err != nil {
		return nil, err
	}
	content := spec.Content
	if preset != "" {
		p, ok := planner.PresetByID(preset)
		if !ok {
			return nil, planner.Invalid(planner.Violation{Field: "Preset", Description: "unknown preset " + preset + "; see GET /v1/policyPresets"})
		}
		content = p.Policy.Override(spec.Content)
	}
	if err := content.Validate(); err != nil {
		return nil, err
	}
	doc, err := encodePolicy(content)
	if err != nil {
		return nil, err
	}
	var saved store.Policy
	err = s.change(ctx, rebuildTenancy, func() error {
		var err error
		saved, err = s.store.CreatePolicy(ctx, store.Policy{Org: spec.Org, ID: spec.ID, DisplayName: spec.DisplayName,
			Preset: preset, Spec: doc, CreateTime: s.now().UTC()})
		return storeError(err, PolicyName(spec.Org, spec.ID))
	})
	if err != nil {
		return nil, err
	}
	return readPolicy(saved, s.Current().Book(saved.Org))
}

// UpdatePolicy replaces a policy's content and display name if etag is still current.
func (s *Service) UpdatePolicy(ctx context.Context, c Caller, spec PolicySpec, etag string) (*Policy, error) {
	if _, err := s.Current().Policy(c, spec.Org, spec.ID); err != nil {
		return nil, err
	}
	if err := spec.Content.Validate(); err != nil {
		return nil, err
	}
	doc, err := encodePolicy(spec.Content)
	if err != nil {
		return nil, err
	}
	var saved store.Policy
	err = s.change(ctx, rebuildTenancy, func() error {
		var err error
		saved, err = s.store.UpdatePolicy(ctx, store.Policy{Org: spec.Org, ID: spec.ID, DisplayName: spec.DisplayName, Spec: doc,
			UpdateTime: s.now().UTC()}, etag)
		if errors.Is(err, store.ErrStale) {
			return staleEtag(PolicyName(spec.Org, spec.ID))
		}
		return storeError(err, PolicyName(spec.Org, spec.ID))
	})
	if err != nil {
		return nil, err
	}
	return readPolicy(saved, s.Current().Book(saved.Org))
}

// DeletePolicy deletes a policy (with a non-empty etag, only if it is current); the
// default policy stays.
func (s *Service) DeletePolicy(ctx context.Context, c Caller, org, id, etag string) error {
	if _, err := s.Current().Policy(c, org, id); err != nil {
		return err
	}
	if id == DefaultPolicyID {
		return &planner.Error{Kind: planner.KindFailedPrecondition, Reason: "DEFAULT_POLICY", Message: "the default policy cannot be deleted; update it instead"}
	}
	return s.change(ctx, rebuildTenancy, func() error {
		err := s.store.DeletePolicy(ctx, org, id, etag)
		if errors.Is(err, store.ErrStale) {
			return staleEtag(PolicyName(org, id))
		}
		return storeError(err, PolicyName(org, id))
	})
}

func staleEtag(name string) error {
	return &planner.Error{Kind: planner.KindAborted, Reason: "STALE_ETAG",
		Message: name + " changed since it was read: get it again, then retry with its new etag"}
}

// Bootstrap makes a platform-admin key directly in a store, outside the API: the way
// back in when no key that can manage the platform is left (or was ever made). The
// key does not expire and has no maker. On SQLite the store can be opened only while
// paymixd is stopped; on PostgreSQL running replicas see the key at once.
func Bootstrap(ctx context.Context, st store.Store, now time.Time) (store.APIKey, string, error) {
	now = now.UTC()
	if err := ensurePlatformOrg(ctx, st, now); err != nil {
		return store.APIKey{}, "", err
	}
	secret, prefix, hash := NewKey()
	k := store.APIKey{Prefix: prefix, Org: PlatformOrg, DisplayName: "bootstrap " + now.Format(time.DateOnly), Role: string(RolePlatformAdmin),
		Hash: hash, CreateTime: now}
	if err := st.CreateAPIKey(ctx, k); err != nil {
		return store.APIKey{}, "", err
	}
	return k, secret, nil
}
