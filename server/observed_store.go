package server

import (
	"context"
	"time"

	"github.com/paymix/paymix/planner/normalize"
	"github.com/paymix/paymix/store"
)

// observedStore counts the store's errors in the metrics (see metrics.storeError); it
// changes nothing else.
type observedStore struct {
	inner  store.Store
	m      *metrics
	engine string
}

var _ store.Store = observedStore{}

func (w observedStore) seen(err error) error {
	w.m.storeError(w.engine, err)
	return err
}

func (w observedStore) Close() error { return w.inner.Close() }

func (w observedStore) CreatePending(ctx context.Context, d store.Dataset) error {
	return w.seen(w.inner.CreatePending(ctx, d))
}

func (w observedStore) AppendRows(ctx context.Context, id string, rows []normalize.Row) error {
	return w.seen(w.inner.AppendRows(ctx, id, rows))
}

func (w observedStore) Commit(ctx context.Context, d store.Dataset, deactivateSynthetic bool) error {
	return w.seen(w.inner.Commit(ctx, d, deactivateSynthetic))
}

func (w observedStore) Abort(ctx context.Context, id string) error {
	return w.seen(w.inner.Abort(ctx, id))
}

func (w observedStore) PurgePending(ctx context.Context) (int, error) {
	a, err := w.inner.PurgePending(ctx)
	return a, w.seen(err)
}

func (w observedStore) EnsureBuiltin(ctx context.Context, d store.Dataset) error {
	return w.seen(w.inner.EnsureBuiltin(ctx, d))
}

func (w observedStore) Get(ctx context.Context, id string) (store.Dataset, error) {
	a, err := w.inner.Get(ctx, id)
	return a, w.seen(err)
}

func (w observedStore) FindByChecksum(ctx context.Context, checksum string) (store.Dataset, error) {
	a, err := w.inner.FindByChecksum(ctx, checksum)
	return a, w.seen(err)
}

func (w observedStore) FindByRequestID(ctx context.Context, requestID string) (store.Dataset, error) {
	a, err := w.inner.FindByRequestID(ctx, requestID)
	return a, w.seen(err)
}

func (w observedStore) List(ctx context.Context, limit int, pageToken string) ([]store.Dataset, string, error) {
	a, b, err := w.inner.List(ctx, limit, pageToken)
	return a, b, w.seen(err)
}

func (w observedStore) Delete(ctx context.Context, id string) error {
	return w.seen(w.inner.Delete(ctx, id))
}

func (w observedStore) SetActive(ctx context.Context, id string, active bool, weight float64) (store.Dataset, error) {
	a, err := w.inner.SetActive(ctx, id, active, weight)
	return a, w.seen(err)
}

func (w observedStore) EachRow(ctx context.Context, id string, fn func(*normalize.Row) error) error {
	return w.seen(w.inner.EachRow(ctx, id, fn))
}

func (w observedStore) PutLevelMap(ctx context.Context, company string, entries []normalize.LevelEntry) error {
	return w.seen(w.inner.PutLevelMap(ctx, company, entries))
}

func (w observedStore) LevelMaps(ctx context.Context) ([]normalize.LevelEntry, error) {
	a, err := w.inner.LevelMaps(ctx)
	return a, w.seen(err)
}

func (w observedStore) PutLocations(ctx context.Context, entries []normalize.LocationEntry) error {
	return w.seen(w.inner.PutLocations(ctx, entries))
}

func (w observedStore) Locations(ctx context.Context) ([]normalize.LocationEntry, error) {
	a, err := w.inner.Locations(ctx)
	return a, w.seen(err)
}

func (w observedStore) CreateOrganization(ctx context.Context, o store.Organization, policies []store.Policy) error {
	return w.seen(w.inner.CreateOrganization(ctx, o, policies))
}

func (w observedStore) GetOrganization(ctx context.Context, id string) (store.Organization, error) {
	a, err := w.inner.GetOrganization(ctx, id)
	return a, w.seen(err)
}

func (w observedStore) ListOrganizations(ctx context.Context, limit int, pageToken string) ([]store.Organization, string, error) {
	a, b, err := w.inner.ListOrganizations(ctx, limit, pageToken)
	return a, b, w.seen(err)
}

func (w observedStore) CreatePolicy(ctx context.Context, p store.Policy) (store.Policy, error) {
	a, err := w.inner.CreatePolicy(ctx, p)
	return a, w.seen(err)
}

func (w observedStore) GetPolicy(ctx context.Context, org, id string) (store.Policy, error) {
	a, err := w.inner.GetPolicy(ctx, org, id)
	return a, w.seen(err)
}

func (w observedStore) ListPolicies(ctx context.Context, org string, limit int, pageToken string) ([]store.Policy, string, error) {
	a, b, err := w.inner.ListPolicies(ctx, org, limit, pageToken)
	return a, b, w.seen(err)
}

func (w observedStore) UpdatePolicy(ctx context.Context, p store.Policy, etag string) (store.Policy, error) {
	a, err := w.inner.UpdatePolicy(ctx, p, etag)
	return a, w.seen(err)
}

func (w observedStore) DeletePolicy(ctx context.Context, org, id, etag string) error {
	return w.seen(w.inner.DeletePolicy(ctx, org, id, etag))
}

func (w observedStore) CreateAPIKey(ctx context.Context, k store.APIKey) error {
	return w.seen(w.inner.CreateAPIKey(ctx, k))
}

func (w observedStore) APIKeyByPrefix(ctx context.Context, prefix string) (store.APIKey, error) {
	a, err := w.inner.APIKeyByPrefix(ctx, prefix)
	return a, w.seen(err)
}

func (w observedStore) ListAPIKeys(ctx context.Context, org string) ([]store.APIKey, error) {
	a, err := w.inner.ListAPIKeys(ctx, org)
	return a, w.seen(err)
}

func (w observedStore) RevokeAPIKey(ctx context.Context, org, prefix, transferTo string, at time.Time) (store.APIKey, error) {
	a, err := w.inner.RevokeAPIKey(ctx, org, prefix, transferTo, at)
	return a, w.seen(err)
}

func (w observedStore) CountAPIKeys(ctx context.Context) (int, error) {
	a, err := w.inner.CountAPIKeys(ctx)
	return a, w.seen(err)
}

func (w observedStore) LoadTenancy(ctx context.Context) (store.TenancyData, error) {
	a, err := w.inner.LoadTenancy(ctx)
	return a, w.seen(err)
}

func (w observedStore) Versions(ctx context.Context) (store.Versions, error) {
	a, err := w.inner.Versions(ctx)
	return a, w.seen(err)
}

func (w observedStore) GetPriceBook(ctx context.Context, org string) (store.PriceBook, error) {
	a, err := w.inner.GetPriceBook(ctx, org)
	return a, w.seen(err)
}

func (w observedStore) PutPriceBook(ctx context.Context, b store.PriceBook, etag string) (store.PriceBook, error) {
	a, err := w.inner.PutPriceBook(ctx, b, etag)
	return a, w.seen(err)
}
