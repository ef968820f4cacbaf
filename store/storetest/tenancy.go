package storetest

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/paymix/paymix/store"
)

func tenancy(t *testing.T, s store.Store) {
	acme := store.Organization{ID: "acme", DisplayName: "Acme", CreateTime: when}
	must(t, s.CreateOrganization(ctx, acme, []store.Policy{{ID: "default", DisplayName: "Default", Spec: "{}", CreateTime: when}}))
	must(t, s.CreateOrganization(ctx, store.Organization{ID: "globex", DisplayName: "Globex", CreateTime: when}, nil))
	if err := s.CreateOrganization(ctx, acme, nil); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate organisation: %v", err)
	}
	if o, err := s.GetOrganization(ctx, "acme"); err != nil || o != acme {
		t.Errorf("GetOrganization: %+v %v", o, err)
	}
	page, next, err := s.ListOrganizations(ctx, 1, "")
	must(t, err)
	page2, next2, _ := s.ListOrganizations(ctx, 1, next)
	if len(page) != 1 || page[0].ID != "acme" || len(page2) != 1 || page2[0].ID != "globex" || next2 != "" {
		t.Errorf("organisation pages %v %q %v %q", page, next, page2, next2)
	}

	// Policies: created at revision 1, updated only with the current etag.
	def, err := s.GetPolicy(ctx, "acme", "default")
	if err != nil || def.Revision != 1 || def.Etag() == "" {
		t.Fatalf("default policy: %+v %v", def, err)
	}
	p, err := s.CreatePolicy(ctx, store.Policy{Org: "acme", ID: "tokens", DisplayName: "Tokens", Preset: "no-tokens", Spec: `{"a":1}`, CreateTime: when})
	must(t, err)
	if _, err := s.CreatePolicy(ctx, store.Policy{Org: "acme", ID: "tokens", CreateTime: when}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate policy: %v", err)
	}
	if _, err := s.CreatePolicy(ctx, store.Policy{Org: "nobody", ID: "x", CreateTime: when}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("policy of an unknown organisation: %v", err)
	}
	later := when.Add(time.Hour)
	up, err := s.UpdatePolicy(ctx, store.Policy{Org: "acme", ID: "tokens", DisplayName: "Tokens 2", Spec: `{"a":2}`, UpdateTime: later}, p.Etag())
	must(t, err)
	if up.Revision != 2 || up.Spec != `{"a":2}` || up.Etag() == p.Etag() || !up.UpdateTime.Equal(later) || !up.CreateTime.Equal(when) || up.Preset != "no-tokens" {
		t.Errorf("updated policy %+v", up)
	}
	if _, err := s.UpdatePolicy(ctx, store.Policy{Org: "acme", ID: "tokens", Spec: "{}"}, p.Etag()); !errors.Is(err, store.ErrStale) {
		t.Errorf("stale update: %v", err)
	}
	if err := s.DeletePolicy(ctx, "acme", "tokens", p.Etag()); !errors.Is(err, store.ErrStale) {
		t.Errorf("stale delete: %v", err)
	}
	// Another organisation never sees the policy.
	if _, err := s.GetPolicy(ctx, "globex", "tokens"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("cross-organisation read: %v", err)
	}
	if list, _, _ := s.ListPolicies(ctx, "globex", 10, ""); len(list) != 0 {
		t.Errorf("cross-organisation list: %v", list)
	}
	list, _, err := s.ListPolicies(ctx, "acme", 10, "")
	if err != nil || len(list) != 2 || list[0].ID != "default" || list[1].ID != "tokens" {
		t.Errorf("policies %v %v", list, err)
	}
	must(t, s.DeletePolicy(ctx, "acme", "tokens", up.Etag()))
	if _, err := s.GetPolicy(ctx, "acme", "tokens"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted policy: %v", err)
	}

	// Keys: found by prefix, listed by organisation, revoked once.
	k := store.APIKey{Prefix: "pmx_abc", Org: "acme", DisplayName: "ci", Role: "admin", Hash: []byte{1, 2, 3}, CreateTime: when, ExpireTime: when.Add(24 * time.Hour)}
	must(t, s.CreateAPIKey(ctx, k))
	if err := s.CreateAPIKey(ctx, k); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate prefix: %v", err)
	}
	got, err := s.APIKeyByPrefix(ctx, "pmx_abc")
	if err != nil || got.Org != "acme" || !bytes.Equal(got.Hash, k.Hash) || !got.ExpireTime.Equal(k.ExpireTime) || !got.RevokeTime.IsZero() {
		t.Errorf("key %+v %v", got, err)
	}
	if n, _ := s.CountAPIKeys(ctx); n != 1 {
		t.Errorf("%d keys", n)
	}
	if keys, _ := s.ListAPIKeys(ctx, "globex"); len(keys) != 0 {
		t.Errorf("cross-organisation keys: %v", keys)
	}
	if _, err := s.RevokeAPIKey(ctx, "globex", "pmx_abc", later); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("cross-organisation revoke: %v", err)
	}
	r, err := s.RevokeAPIKey(ctx, "acme", "pmx_abc", later)
	r2, _ := s.RevokeAPIKey(ctx, "acme", "pmx_abc", later.Add(time.Hour))
	if err != nil || !r.RevokeTime.Equal(later) || !r2.RevokeTime.Equal(later) {
		t.Errorf("revoke: %+v %+v %v", r, r2, err)
	}
}
