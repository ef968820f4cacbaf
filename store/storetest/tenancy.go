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
	if _, err := s.RevokeAPIKey(ctx, "globex", "pmx_abc", "", later); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("cross-organisation revoke: %v", err)
	}
	r, err := s.RevokeAPIKey(ctx, "acme", "pmx_abc", "", later)
	r2, _ := s.RevokeAPIKey(ctx, "acme", "pmx_abc", "", later.Add(time.Hour))
	if err != nil || !r.RevokeTime.Equal(later) || !r2.RevokeTime.Equal(later) {
		t.Errorf("revoke: %+v %+v %v", r, r2, err)
	}
}

// LoadTenancy returns everything at once with the state version, which grows with
// every committed change (and not with rows added to a pending dataset).
func loadTenancyAndStateVersion(t *testing.T, s store.Store) {
	version := func() store.Versions {
		v, err := s.Versions(ctx)
		must(t, err)
		return v
	}
	v0 := version()
	must(t, s.CreateOrganization(ctx, store.Organization{ID: "acme", DisplayName: "Acme", CreateTime: when},
		[]store.Policy{{ID: "default", DisplayName: "Default", Spec: "{}", CreateTime: when}}))
	v1 := version()
	must(t, s.CreateOrganization(ctx, store.Organization{ID: "globex", DisplayName: "Globex", CreateTime: when}, nil))
	_, err := s.CreatePolicy(ctx, store.Policy{Org: "globex", ID: "p", DisplayName: "P", Spec: `{"version":1}`, CreateTime: when})
	must(t, err)
	must(t, s.CreateAPIKey(ctx, store.APIKey{Prefix: "pmx_a", Org: "acme", Role: "admin", Hash: []byte{1}, CreateTime: when}))
	must(t, s.CreateAPIKey(ctx, store.APIKey{Prefix: "pmx_b", Org: "globex", Role: "hris", Hash: []byte{2}, CreateTime: when}))
	v2 := version()
	must(t, s.CreatePending(ctx, pending("ds-p", "sum-p")))
	must(t, s.AppendRows(ctx, "ds-p", sampleRows(3)))
	if v := version(); v != v2 {
		t.Errorf("a pending dataset moved the versions from %+v to %+v", v2, v)
	}
	must(t, s.Commit(ctx, pending("ds-p", "sum-p"), false))
	v3 := version()
	if !(v0.State < v1.State && v1.State < v2.State && v2.State < v3.State) {
		t.Errorf("state versions %+v %+v %+v %+v do not grow with each change", v0, v1, v2, v3)
	}
	// Tenancy changes move the tenancy count and not the market's; a commit the reverse.
	if !(v0.Tenancy < v1.Tenancy && v1.Tenancy < v2.Tenancy && v2.Tenancy == v3.Tenancy) || v2.Market != v0.Market || v3.Market <= v2.Market {
		t.Errorf("tenancy and market versions %+v %+v %+v %+v", v0, v1, v2, v3)
	}
	data, err := s.LoadTenancy(ctx)
	must(t, err)
	if data.Versions != v3 {
		t.Errorf("loaded at versions %+v, want %+v", data.Versions, v3)
	}
	if len(data.Organizations) != 2 || data.Organizations[0].ID != "acme" || data.Organizations[1].ID != "globex" {
		t.Errorf("organisations %+v", data.Organizations)
	}
	if len(data.Policies) != 2 || data.Policies[0].Org != "acme" || data.Policies[1].Spec != `{"version":1}` || data.Policies[1].Etag() == "" {
		t.Errorf("policies %+v", data.Policies)
	}
	if len(data.Keys) != 2 || data.Keys[0].Prefix != "pmx_a" || !bytes.Equal(data.Keys[1].Hash, []byte{2}) {
		t.Errorf("keys %+v", data.Keys)
	}
}

// Revoking a key revokes every key whose chain of makers reaches it, across
// organisations, in one transaction; transferTo keeps the direct children (and what
// they made); the last active platform-admin key without expiry cannot go.
func keyRevocationCascades(t *testing.T, s store.Store) {
	for _, org := range []string{"platform", "acme"} {
		must(t, s.CreateOrganization(ctx, store.Organization{ID: org, DisplayName: org, CreateTime: when}, nil))
	}
	mk := func(prefix, org, role, by string, expires time.Time) {
		must(t, s.CreateAPIKey(ctx, store.APIKey{Prefix: prefix, Org: org, DisplayName: prefix, Role: role, Hash: []byte(prefix),
			CreateTime: when, ExpireTime: expires, CreatedBy: by}))
	}
	// root -> admin (acme) -> hris (acme) -> recruiter (acme); root -> ops (platform);
	// ops -> analyst (acme).
	mk("pmx_root", "platform", "platform-admin", "", time.Time{})
	mk("pmx_admn", "acme", "admin", "pmx_root", time.Time{})
	mk("pmx_hris", "acme", "hris", "pmx_admn", time.Time{})
	mk("pmx_recr", "acme", "recruiter", "pmx_hris", time.Time{})
	mk("pmx_ops1", "platform", "platform-admin", "pmx_root", time.Time{})
	mk("pmx_anly", "acme", "analyst", "pmx_ops1", time.Time{})
	revoked := func(prefix string) bool {
		k, err := s.APIKeyByPrefix(ctx, prefix)
		must(t, err)
		return !k.RevokeTime.IsZero()
	}
	if k, _ := s.APIKeyByPrefix(ctx, "pmx_hris"); k.CreatedBy != "pmx_admn" {
		t.Fatalf("created_by %q", k.CreatedBy)
	}
	// Three generations go with the admin key.
	if _, err := s.RevokeAPIKey(ctx, "acme", "pmx_admn", "", when); err != nil {
		t.Fatal(err)
	}
	for prefix, want := range map[string]bool{"pmx_admn": true, "pmx_hris": true, "pmx_recr": true, "pmx_root": false, "pmx_ops1": false, "pmx_anly": false} {
		if revoked(prefix) != want {
			t.Errorf("%s revoked: %v, want %v", prefix, !want, want)
		}
	}
	// ops1 revoked with its children handed to root: the analyst stays, made by root.
	if _, err := s.RevokeAPIKey(ctx, "platform", "pmx_ops1", "pmx_root", when); err != nil {
		t.Fatal(err)
	}
	if k, _ := s.APIKeyByPrefix(ctx, "pmx_anly"); !revoked("pmx_ops1") || revoked("pmx_anly") || k.CreatedBy != "pmx_root" {
		t.Errorf("transfer: ops1 revoked %v, analyst revoked %v, made by %q", revoked("pmx_ops1"), revoked("pmx_anly"), k.CreatedBy)
	}
	// root is now the last platform admin without expiry: refused, and nothing changes
	// (an expiring one does not count).
	mk("pmx_temp", "platform", "platform-admin", "pmx_root", when.Add(time.Hour))
	if _, err := s.RevokeAPIKey(ctx, "platform", "pmx_root", "", when); !errors.Is(err, store.ErrLastPlatformAdmin) {
		t.Fatalf("revoking the last platform admin: %v", err)
	}
	if revoked("pmx_root") || revoked("pmx_anly") || revoked("pmx_temp") {
		t.Error("a refused revocation changed something")
	}
}

// An organisation's price book: none at first (revision 0, no etag), then each put
// bumps the revision and the tenancy version; a stale etag is refused and changes
// nothing; another organisation's book is its own; a missing organisation has none.
func priceBooks(t *testing.T, s store.Store) {
	must(t, s.CreateOrganization(ctx, store.Organization{ID: "acme", DisplayName: "Acme", CreateTime: when}, nil))
	must(t, s.CreateOrganization(ctx, store.Organization{ID: "globex", DisplayName: "Globex", CreateTime: when}, nil))
	b, err := s.GetPriceBook(ctx, "acme")
	must(t, err)
	if b.Revision != 0 || b.Spec != "" || b.Etag() != "" {
		t.Errorf("a book never written: %+v", b)
	}
	if _, err := s.GetPriceBook(ctx, "initech"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the book of an organisation that does not exist: %v", err)
	}
	if _, err := s.PutPriceBook(ctx, store.PriceBook{Org: "initech", Spec: "{}", UpdateTime: when}, ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a book for an organisation that does not exist: %v", err)
	}
	v0, err := s.Versions(ctx)
	must(t, err)
	b1, err := s.PutPriceBook(ctx, store.PriceBook{Org: "acme", Spec: `{"version":1,"n":1}`, UpdateTime: when}, "")
	must(t, err)
	if b1.Revision != 1 || b1.Etag() == "" {
		t.Errorf("the first put: %+v", b1)
	}
	b2, err := s.PutPriceBook(ctx, store.PriceBook{Org: "acme", Spec: `{"version":1,"n":2}`, UpdateTime: when.Add(time.Hour)}, b1.Etag())
	must(t, err)
	if b2.Revision != 2 || b2.Etag() == b1.Etag() {
		t.Errorf("the second put: %+v after %+v", b2, b1)
	}
	if _, err := s.PutPriceBook(ctx, store.PriceBook{Org: "acme", Spec: `{"stale":true}`, UpdateTime: when}, b1.Etag()); !errors.Is(err, store.ErrStale) {
		t.Errorf("a put with a stale etag: %v", err)
	}
	got, err := s.GetPriceBook(ctx, "acme")
	must(t, err)
	if got.Spec != `{"version":1,"n":2}` || got.Revision != 2 || !got.UpdateTime.Equal(when.Add(time.Hour)) {
		t.Errorf("read back: %+v", got)
	}
	v1, err := s.Versions(ctx)
	must(t, err)
	if v1.Tenancy != v0.Tenancy+2 || v1.Market != v0.Market {
		t.Errorf("two puts moved the versions from %+v to %+v", v0, v1)
	}
	if g, err := s.GetPriceBook(ctx, "globex"); err != nil || g.Revision != 0 {
		t.Errorf("another organisation's book: %+v %v", g, err)
	}
	data, err := s.LoadTenancy(ctx)
	must(t, err)
	if len(data.PriceBooks) != 1 || data.PriceBooks[0].Org != "acme" || data.PriceBooks[0].Spec != got.Spec || data.PriceBooks[0].Etag() != got.Etag() {
		t.Errorf("loaded books %+v", data.PriceBooks)
	}
}
