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
	secret, prefix, hash := NewKey()
	k.Prefix, k.Hash = prefix, hash
	err := s.change(ctx, rebuildTenancy, func() error { return s.store.CreateAPIKey(ctx, k) })
	if err != nil {
		return store.APIKey{}, "", err
	}
	return k, secret, nil
}

// RevokeKey revokes one of an organisation's keys.
func (s *Service) RevokeKey(ctx context.Context, c Caller, org, prefix string) (store.APIKey, error) {
	if _, err := s.Current().Organization(c, org); err != nil {
		return store.APIKey{}, err
	}
	var k store.APIKey
	err := s.change(ctx, rebuildTenancy, func() error {
		var err error
		k, err = s.store.RevokeAPIKey(ctx, org, prefix, s.now().UTC())
		return storeError(err, "organizations/"+org+"/apiKeys/"+prefix)
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
	return readPolicy(saved)
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
	return readPolicy(saved)
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
