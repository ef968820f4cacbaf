package server_test

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/paymix/paymix/planner/normalize"
	"github.com/paymix/paymix/store"
)

// countingStore counts every call a server makes to its store (generated from the
// store.Store interface: a new method must be added here to compile).
type countingStore struct {
	inner store.Store
	calls *atomic.Int64
}

var _ store.Store = countingStore{}

func (c countingStore) Close() error { return c.inner.Close() }

func (c countingStore) CreatePending(ctx context.Context, d store.Dataset) error {
	c.calls.Add(1)
	return c.inner.CreatePending(ctx, d)
}

func (c countingStore) AppendRows(ctx context.Context, id string, rows []normalize.Row) error {
	c.calls.Add(1)
	return c.inner.AppendRows(ctx, id, rows)
}

func (c countingStore) Commit(ctx context.Context, d store.Dataset, deactivateSynthetic bool) error {
	c.calls.Add(1)
	return c.inner.Commit(ctx, d, deactivateSynthetic)
}

func (c countingStore) Abort(ctx context.Context, id string) error {
	c.calls.Add(1)
	return c.inner.Abort(ctx, id)
}

func (c countingStore) PurgePending(ctx context.Context) (int, error) {
	c.calls.Add(1)
	return c.inner.PurgePending(ctx)
}

func (c countingStore) EnsureBuiltin(ctx context.Context, d store.Dataset) error {
	c.calls.Add(1)
	return c.inner.EnsureBuiltin(ctx, d)
}

func (c countingStore) Get(ctx context.Context, id string) (store.Dataset, error) {
	c.calls.Add(1)
	return c.inner.Get(ctx, id)
}

func (c countingStore) FindByChecksum(ctx context.Context, checksum string) (store.Dataset, error) {
	c.calls.Add(1)
	return c.inner.FindByChecksum(ctx, checksum)
}

func (c countingStore) FindByRequestID(ctx context.Context, requestID string) (store.Dataset, error) {
	c.calls.Add(1)
	return c.inner.FindByRequestID(ctx, requestID)
}

func (c countingStore) List(ctx context.Context, limit int, pageToken string) (page []store.Dataset, next string, err error) {
	c.calls.Add(1)
	return c.inner.List(ctx, limit, pageToken)
}

func (c countingStore) Delete(ctx context.Context, id string) error {
	c.calls.Add(1)
	return c.inner.Delete(ctx, id)
}

func (c countingStore) SetActive(ctx context.Context, id string, active bool, weight float64) (store.Dataset, error) {
	c.calls.Add(1)
	return c.inner.SetActive(ctx, id, active, weight)
}

func (c countingStore) EachRow(ctx context.Context, id string, fn func(*normalize.Row) error) error {
	c.calls.Add(1)
	return c.inner.EachRow(ctx, id, fn)
}

func (c countingStore) PutLevelMap(ctx context.Context, company string, entries []normalize.LevelEntry) error {
	c.calls.Add(1)
	return c.inner.PutLevelMap(ctx, company, entries)
}

func (c countingStore) LevelMaps(ctx context.Context) ([]normalize.LevelEntry, error) {
	c.calls.Add(1)
	return c.inner.LevelMaps(ctx)
}

func (c countingStore) PutLocations(ctx context.Context, entries []normalize.LocationEntry) error {
	c.calls.Add(1)
	return c.inner.PutLocations(ctx, entries)
}

func (c countingStore) Locations(ctx context.Context) ([]normalize.LocationEntry, error) {
	c.calls.Add(1)
	return c.inner.Locations(ctx)
}

func (c countingStore) CreateOrganization(ctx context.Context, o store.Organization, policies []store.Policy) error {
	c.calls.Add(1)
	return c.inner.CreateOrganization(ctx, o, policies)
}

func (c countingStore) GetOrganization(ctx context.Context, id string) (store.Organization, error) {
	c.calls.Add(1)
	return c.inner.GetOrganization(ctx, id)
}

func (c countingStore) ListOrganizations(ctx context.Context, limit int, pageToken string) ([]store.Organization, string, error) {
	c.calls.Add(1)
	return c.inner.ListOrganizations(ctx, limit, pageToken)
}

func (c countingStore) CreatePolicy(ctx context.Context, p store.Policy) (store.Policy, error) {
	c.calls.Add(1)
	return c.inner.CreatePolicy(ctx, p)
}

func (c countingStore) GetPolicy(ctx context.Context, org, id string) (store.Policy, error) {
	c.calls.Add(1)
	return c.inner.GetPolicy(ctx, org, id)
}

func (c countingStore) ListPolicies(ctx context.Context, org string, limit int, pageToken string) ([]store.Policy, string, error) {
	c.calls.Add(1)
	return c.inner.ListPolicies(ctx, org, limit, pageToken)
}

func (c countingStore) UpdatePolicy(ctx context.Context, p store.Policy, etag string) (store.Policy, error) {
	c.calls.Add(1)
	return c.inner.UpdatePolicy(ctx, p, etag)
}

func (c countingStore) DeletePolicy(ctx context.Context, org, id, etag string) error {
	c.calls.Add(1)
	return c.inner.DeletePolicy(ctx, org, id, etag)
}

func (c countingStore) CreateAPIKey(ctx context.Context, k store.APIKey) error {
	c.calls.Add(1)
	return c.inner.CreateAPIKey(ctx, k)
}

func (c countingStore) APIKeyByPrefix(ctx context.Context, prefix string) (store.APIKey, error) {
	c.calls.Add(1)
	return c.inner.APIKeyByPrefix(ctx, prefix)
}

func (c countingStore) ListAPIKeys(ctx context.Context, org string) ([]store.APIKey, error) {
	c.calls.Add(1)
	return c.inner.ListAPIKeys(ctx, org)
}

func (c countingStore) RevokeAPIKey(ctx context.Context, org, prefix, transferTo string, at time.Time) (store.APIKey, error) {
	c.calls.Add(1)
	return c.inner.RevokeAPIKey(ctx, org, prefix, transferTo, at)
}

func (c countingStore) CountAPIKeys(ctx context.Context) (int, error) {
	c.calls.Add(1)
	return c.inner.CountAPIKeys(ctx)
}

func (c countingStore) LoadTenancy(ctx context.Context) (store.TenancyData, error) {
	c.calls.Add(1)
	return c.inner.LoadTenancy(ctx)
}

func (c countingStore) Versions(ctx context.Context) (store.Versions, error) {
	c.calls.Add(1)
	return c.inner.Versions(ctx)
}

func (c countingStore) GetPriceBook(ctx context.Context, org string) (store.PriceBook, error) {
	c.calls.Add(1)
	return c.inner.GetPriceBook(ctx, org)
}

func (c countingStore) PutPriceBook(ctx context.Context, b store.PriceBook, etag string) (store.PriceBook, error) {
	c.calls.Add(1)
	return c.inner.PutPriceBook(ctx, b, etag)
}
