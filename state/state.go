// Package state is paymix's application layer. It owns the one published state that
// every request reads (Published: the market snapshot, the maps, every organisation's
// settled policies and the API-key index) and every change that writes it: imports and
// datasets, level and location maps, organisations, policies and keys. A change is
// validated, committed to the store, and then the next state is built and swapped in
// whole. It speaks domain types only: no generated proto, no gRPC.
package state

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/planner/ingest"
	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/planner/normalize"
	"github.com/paymix/paymix/planner/tokens"
	"github.com/paymix/paymix/store"
)

// Config is what the application needs.
type Config struct {
	Store store.Store
	// Now is the clock behind default effective dates and key expiry (time.Now when nil).
	Now func() time.Time
	Log *slog.Logger
	// RequireAuth requires keys even before the first one exists.
	RequireAuth bool
	// PurgeRetry is how often a purge of unfinished imports that failed at start is
	// retried (30 s when zero).
	PurgeRetry time.Duration
	// RetryMin and RetryMax bound the back-off of a failed rebuild (2 s doubling to 30 s
	// when zero).
	RetryMin, RetryMax time.Duration
	// Watch, for a store shared by replicas, announces changes committed anywhere
	// (store/postgres's Watch); the application then also polls the store's versions
	// every PollInterval (500 ms when zero) and catches up with whatever changed.
	Watch        func(ctx context.Context) <-chan struct{}
	PollInterval time.Duration
	// ImportLimits bound one import's file (ingest's defaults for zero fields).
	ImportLimits ingest.Limits
	// PartsDir, when set, is where each dataset's built market part is kept on disk,
	// so that a restart reads parts back instead of rebuilding them (partcache.go).
	PartsDir string
	// OnStore is told when the store becomes unreachable (with the reason) and when it
	// is back (reason ""); the transport reports it as health service paymix.store.
	OnStore func(reason string)
}

// Service is the application: the published state and the changes to it.
type Service struct {
	cfg   Config
	store store.Store
	now   func() time.Time
	log   *slog.Logger

	current atomic.Pointer[Published]
	// next is closed when the state after the current one is published: what waits
	// for a change (an open stream watching its key) selects on it.
	next  atomic.Pointer[chan struct{}]
	stale atomic.Pointer[string] // why the published state is behind the store; nil when it is not
	down  atomic.Pointer[string] // why the store is unreachable; nil when it is not
	// readOnly says why changes are refused while reads are served (unfinished
	// imports that could not be purged at start); nil when changes are accepted.
	readOnly atomic.Pointer[string]

	// behindSince is when a poll first found the store ahead of the published state
	// (Unix nanoseconds; 0 when a poll last found them in step): replica catch-up lag.
	behindSince atomic.Int64

	mu       sync.Mutex       // serialises changes and rebuilds
	market   marketPart       // what the last market rebuild made
	planner  *planner.Planner // the last published one, whose figures a state on the same market keeps
	tenancy  tenancyPart
	loaded   bool                  // the market has been built once
	parts    map[string]*builtPart // the active datasets' parts, by id
	demo     *builtPart
	retrying bool
	// recovering is true while a retry rebuilds everything; the caller holds mu.
	recovering bool
	closed     chan struct{}
	imports    chan struct{}   // one token per import running
	writers    sync.WaitGroup  // parts being written to PartsDir
	cacheMu    sync.Mutex      // orders a part's rename after PartsDir's pruning
	pruned     map[string]bool // deleted datasets, whose parts must not be written again
}

// marketPart is what a market rebuild produces.
type marketPart struct {
	snap *market.Snapshot
	maps *normalize.Maps
	// mapsFingerprint identifies the maps the parts were normalised with.
	mapsFingerprint string
	unmapped        []UnmappedLevel
	quarantined     map[string]Quarantine
	built           []any          // what the rebuild did, for the log line once published
	versions        store.Versions // read before the rows: a change after them is seen next time
}

// tenancyPart is what a tenancy load produces.
type tenancyPart struct {
	versions store.Versions
	orgs     map[string]store.Organization
	policies map[string][]*Policy
	keys     map[string]store.APIKey
	keysOf   map[string][]store.APIKey
	books    map[string]*PriceBook   // the organisations that have one
	stacks   map[string]*tokens.Book // built-in, then the organisation's book
}

// New makes the application on a store; Open loads it.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.RetryMin == 0 {
		cfg.RetryMin = 2 * time.Second
	}
	if cfg.RetryMax == 0 {
		cfg.RetryMax = 30 * time.Second
	}
	if cfg.PurgeRetry == 0 {
		cfg.PurgeRetry = 30 * time.Second
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 500 * time.Millisecond
	}
	return &Service{cfg: cfg, store: cfg.Store, now: cfg.Now, log: cfg.Log, parts: map[string]*builtPart{}, pruned: map[string]bool{},
		closed: make(chan struct{}), imports: make(chan struct{}, MaxConcurrentImports)}
}

// Current is the published state; nil before Open.
func (s *Service) Current() *Published { return s.current.Load() }

// Next is closed once a state after the current one is published (nil before Open).
func (s *Service) Next() <-chan struct{} {
	if ch := s.next.Load(); ch != nil {
		return *ch
	}
	return nil
}

// Stale says why the published state is behind the store ("" when it is not): a
// change was committed but the state could not be rebuilt; a retry is under way.
func (s *Service) Stale() string {
	if r := s.stale.Load(); r != nil {
		return *r
	}
	return ""
}

// StoreDown says why the store is unreachable ("" when it is reachable).
func (s *Service) StoreDown() string {
	if r := s.down.Load(); r != nil {
		return *r
	}
	return ""
}

// storeReached records whether the store answered; err is what it answered.
func (s *Service) storeReached(err error) {
	if err != nil && !errors.Is(err, store.ErrUnavailable) {
		return // the store answered, with an error of its own
	}
	was := s.StoreDown()
	reason := ""
	if err != nil {
		reason = err.Error()
		s.down.Store(&reason)
	} else {
		s.down.Store(nil)
	}
	if (was == "") != (reason == "") {
		if reason != "" {
			s.log.Error("the store is unreachable; serving the last published state, refusing changes", "err", err)
		} else {
			s.log.Info("the store is reachable again")
		}
		if s.cfg.OnStore != nil {
			s.cfg.OnStore(reason)
		}
	}
}

// Watch keeps the published state in step with changes other replicas commit: on
// each announcement from the store, and every PollInterval in case one was lost, it
// compares the store's versions with the published ones and rebuilds what moved
// (tenancy within a poll; the market once its rebuild completes). It returns when ctx
// ends; it does nothing without Config.Watch.
func (s *Service) Watch(ctx context.Context) {
	if s.cfg.Watch == nil {
		return
	}
	news := s.cfg.Watch(ctx)
	tick := time.NewTicker(s.cfg.PollInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-news:
		case <-tick.C:
		}
		s.catchUp(ctx)
	}
}

func (s *Service) catchUp(ctx context.Context) {
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := s.store.Versions(qctx)
	s.storeReached(wrapUnreachable(err))
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var what rebuild
	if v.Tenancy != s.tenancy.versions.Tenancy {
		what |= rebuildTenancy
	}
	if s.loaded && v.Market != s.market.versions.Market {
		what |= rebuildMaps // datasets or maps: the maps are cheap to read again
	}
	if what == 0 {
		s.behindSince.Store(0)
		return
	}
	s.behindSince.CompareAndSwap(0, s.now().UnixNano())
	if err := s.rebuild(ctx, what); err != nil {
		s.markStale(err)
	}
}

// Behind is how long the store has been ahead of the published state, as the polls
// of Watch see it (zero when in step, and always without a shared store).
func (s *Service) Behind() time.Duration {
	since := s.behindSince.Load()
	if since == 0 {
		return 0
	}
	return max(0, s.now().Sub(time.Unix(0, since)))
}

// wrapUnreachable treats a store that does not answer in time as unreachable.
func wrapUnreachable(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: no answer within 5 s", store.ErrUnavailable)
	}
	return err
}

// Close stops the rebuild retries and waits for parts being stored.
func (s *Service) Close() {
	s.mu.Lock()
	select {
	case <-s.closed:
	default:
		close(s.closed)
	}
	s.mu.Unlock()
	s.writers.Wait() // a part half-written would only be rebuilt, but the files are the caller's
}

// Open purges what dead imports left, makes sure the platform organisation and the
// built-in demo dataset exist, and publishes the organisations, policies and keys (a
// stored policy that cannot be read refuses the start, naming it). The market is
// loaded by LoadMarket: bands wait for it, keys and policies do not.
//
// A purge that fails (the disk full, say: the purge is what would free it) does not
// stop the start: reads are served, changes answer Unavailable naming the cause, and
// the purge is retried every PurgeRetry until it succeeds.
func (s *Service) Open(ctx context.Context) error {
	if err := s.purge(ctx); err != nil {
		reason := "unfinished imports could not be purged at start (" + err.Error() + ")"
		s.readOnly.Store(&reason)
		s.log.Error("purging unfinished imports failed; serving reads, refusing changes until a retry succeeds", "err", err, "retry", s.cfg.PurgeRetry)
		go s.retryPurge()
	}
	go s.purgeDeadImports()
	if err := s.ensurePlatformOrg(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ensureDemo(ctx); err != nil {
		return err
	}
	if err := s.loadTenancy(ctx); err != nil {
		return err
	}
	s.publish()
	return nil
}

// deadPurger is a shared store that can clear the leftovers of imports that died in
// other processes while it runs (store/postgres).
type deadPurger interface {
	PurgeDead(ctx context.Context) (int, error)
}

// purgeDeadImports clears, every PurgeRetry, what imports killed in other replicas
// left pending; until the service closes.
func (s *Service) purgeDeadImports() {
	dp, ok := s.store.(deadPurger)
	if !ok {
		return
	}
	t := time.NewTicker(s.cfg.PurgeRetry)
	defer t.Stop()
	for {
		select {
		case <-s.closed:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		n, err := dp.PurgeDead(ctx)
		cancel()
		switch {
		case err != nil:
			s.log.Warn("purging what dead imports left failed; retried later", "err", err)
		case n > 0:
			s.log.Warn("purged what dead imports left", "datasets", n)
		}
	}
}

func (s *Service) purge(ctx context.Context) error {
	n, err := s.store.PurgePending(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		s.log.Warn("purged unfinished imports", "datasets", n)
	}
	return nil
}

func (s *Service) retryPurge() {
	t := time.NewTicker(s.cfg.PurgeRetry)
	defer t.Stop()
	for {
		select {
		case <-s.closed:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := s.purge(ctx)
		cancel()
		if err == nil {
			s.readOnly.Store(nil)
			s.log.Info("unfinished imports purged; changes are accepted again")
			return
		}
		s.log.Warn("purging unfinished imports failed again", "err", err)
	}
}

// ReadOnly says why changes are refused while reads are served ("" when they are
// accepted).
func (s *Service) ReadOnly() string {
	if r := s.readOnly.Load(); r != nil {
		return *r
	}
	return ""
}

// writable is nil when changes are accepted.
func (s *Service) writable() error {
	if r := s.ReadOnly(); r != "" {
		return &planner.Error{Kind: planner.KindUnavailable, Reason: "STORE_READ_ONLY", Message: fmt.Sprintf(
			"changes cannot be made now: %s; it is retried every %s (bands and statistics are still served)", r, s.cfg.PurgeRetry)}
	}
	return nil
}

// LoadMarket builds the first market snapshot.
func (s *Service) LoadMarket(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	maps, fingerprint, err := s.loadMaps(ctx)
	if err != nil {
		return err
	}
	if err := s.rebuildMarket(ctx, maps, fingerprint); err != nil {
		return err
	}
	s.loaded = true
	s.publish()
	return nil
}

// What a committed change needs rebuilt.
type rebuild int

const (
	rebuildTenancy rebuild = 1 << iota
	rebuildMarket
	rebuildMaps // reload the maps, then the market
)

// change runs one change (fn commits it to the store) and publishes the next state.
// If fn succeeds but the rebuild fails, the change stands: the call succeeds, the
// state is marked stale and the rebuild is retried until it succeeds.
func (s *Service) change(ctx context.Context, what rebuild, fn func() error) error {
	if what&(rebuildMarket|rebuildMaps) != 0 && !s.marketLoaded() {
		return ErrLoading
	}
	if err := s.writable(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := fn(); err != nil {
		s.storeReached(err)
		return err
	}
	if err := s.rebuild(ctx, what); err != nil {
		s.markStale(err)
	}
	return nil
}

func (s *Service) marketLoaded() bool {
	p := s.current.Load()
	return p != nil && p.Market != nil
}

// rebuild rebuilds the parts a change touched and publishes; the caller holds mu.
func (s *Service) rebuild(ctx context.Context, what rebuild) error {
	if what&rebuildTenancy != 0 {
		if err := s.loadTenancy(ctx); err != nil {
			return fmt.Errorf("loading organisations, policies and keys: %w", err)
		}
	}
	if what&(rebuildMarket|rebuildMaps) != 0 && s.loaded {
		maps, fingerprint := s.market.maps, s.market.mapsFingerprint
		if what&rebuildMaps != 0 || maps == nil {
			var err error
			if maps, fingerprint, err = s.loadMaps(ctx); err != nil {
				return fmt.Errorf("loading maps: %w", err)
			}
		}
		if err := s.rebuildMarket(ctx, maps, fingerprint); err != nil {
			return fmt.Errorf("rebuilding the market: %w", err)
		}
	}
	s.publish()
	return nil
}

// publish composes the next state from the parts and swaps it in; the caller holds mu.
func (s *Service) publish() {
	p := &Published{
		Market: s.market.snap, Maps: s.market.maps, mapsFingerprint: s.market.mapsFingerprint, Unmapped: s.market.unmapped,
		Quarantined:  s.market.quarantined,
		Version:      max(s.market.versions.State, s.tenancy.versions.State),
		KeysRequired: s.cfg.RequireAuth || len(s.tenancy.keys) > 0,
		Built:        time.Now(),
		orgs:         s.tenancy.orgs, policies: s.tenancy.policies, keys: s.tenancy.keys, keysOf: s.tenancy.keysOf,
		books: s.tenancy.books, stacks: s.tenancy.stacks,
	}
	if p.Maps == nil {
		p.Maps = normalize.NewMaps(nil, nil)
	}
	if p.Market != nil {
		// The stored policies' aging rates are precomputed, so that no band on a
		// stored policy ages a cohort.
		var rates []float64
		for _, list := range p.policies {
			for _, sp := range list {
				rates = append(rates, sp.Settled.AgingRate())
			}
		}
		p.Market = p.Market.WithRates(rates)
		s.market.snap = p.Market // keep the rates for the next publish
	}
	p.Planner = s.planner.On(p.Market)
	s.planner = p.Planner
	if s.recovering {
		// Before the state is swapped in: a reader that sees the change served never
		// sees it called stale.
		s.stale.Store(nil)
	}
	s.current.Store(p)
	ch := make(chan struct{})
	if old := s.next.Swap(&ch); old != nil {
		close(*old)
	}
	if s.market.built != nil {
		s.log.Info("market snapshot built", s.market.built...)
		s.market.built = nil
	}
}

// markStale records a failed rebuild and starts retrying it; the caller holds mu.
func (s *Service) markStale(err error) {
	reason := "stale: " + err.Error()
	s.stale.Store(&reason)
	s.log.Error("a change is committed but the published state could not be rebuilt; retrying", "err", err)
	if s.retrying {
		return
	}
	s.retrying = true
	go s.retry()
}

// retry rebuilds everything, backing off from RetryMin to RetryMax, until a rebuild
// succeeds or the service closes.
func (s *Service) retry() {
	wait := s.cfg.RetryMin
	for {
		select {
		case <-s.closed:
			return
		case <-time.After(wait):
		}
		s.mu.Lock()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		s.recovering = true // publish clears the stale mark with the state that ends it
		err := s.rebuild(ctx, rebuildTenancy|rebuildMaps)
		s.recovering = false
		cancel()
		if err == nil {
			s.retrying = false
			s.mu.Unlock()
			s.log.Info("the published state caught up with the store")
			return
		}
		s.mu.Unlock()
		s.log.Error("rebuilding the published state failed again", "err", err, "next_try_s", min(2*wait, s.cfg.RetryMax).Seconds())
		wait = min(2*wait, s.cfg.RetryMax)
	}
}

// loadTenancy reads organisations, policies and keys, and settles every policy; the
// caller holds mu.
func (s *Service) loadTenancy(ctx context.Context) error {
	data, err := s.store.LoadTenancy(ctx)
	if err != nil {
		return err
	}
	t := tenancyPart{versions: data.Versions, orgs: map[string]store.Organization{}, policies: map[string][]*Policy{},
		keys: map[string]store.APIKey{}, keysOf: map[string][]store.APIKey{}, books: map[string]*PriceBook{}, stacks: map[string]*tokens.Book{}}
	for _, o := range data.Organizations {
		t.orgs[o.ID] = o
	}
	// Price books first: an organisation's policies are priced on its book.
	for _, sb := range data.PriceBooks {
		b, err := readPriceBook(sb)
		if err != nil {
			return err
		}
		t.books[sb.Org], t.stacks[sb.Org] = b, tokens.BuiltIn.With(b.layer())
	}
	stack := func(org string) *tokens.Book {
		if b, ok := t.stacks[org]; ok {
			return b
		}
		return tokens.BuiltIn
	}
	for _, sp := range data.Policies {
		p, err := readPolicy(sp, stack(sp.Org))
		if err != nil {
			return err
		}
		t.policies[sp.Org] = append(t.policies[sp.Org], p)
	}
	for _, list := range t.policies {
		slices.SortFunc(list, func(a, b *Policy) int { return cmp.Compare(a.ID, b.ID) })
	}
	for _, k := range data.Keys {
		t.keys[k.Prefix] = k
		t.keysOf[k.Org] = append(t.keysOf[k.Org], k)
	}
	s.tenancy = t
	return nil
}

// readPolicy decodes a stored policy and settles it on its organisation's price book.
func readPolicy(sp store.Policy, book *tokens.Book) (*Policy, error) {
	content, err := decodePolicy(sp.Spec)
	if err != nil {
		return nil, fmt.Errorf("stored policy %s cannot be read: %w", PolicyName(sp.Org, sp.ID), err)
	}
	p := &Policy{Org: sp.Org, ID: sp.ID, DisplayName: sp.DisplayName, Preset: sp.Preset, Content: content,
		Revision: sp.Revision, Etag: sp.Etag(), CreateTime: sp.CreateTime, UpdateTime: sp.UpdateTime}
	p.Settled = planner.SettleOn(content, p.Name(), sp.Revision, book)
	return p, nil
}

func (s *Service) ensurePlatformOrg(ctx context.Context) error {
	return ensurePlatformOrg(ctx, s.store, s.now())
}

// ensurePlatformOrg records the platform organisation unless it exists.
func ensurePlatformOrg(ctx context.Context, st store.Store, now time.Time) error {
	now = now.UTC()
	err := st.CreateOrganization(ctx, store.Organization{ID: PlatformOrg, DisplayName: "Platform administrators", CreateTime: now},
		newOrgPolicies(now))
	if errors.Is(err, store.ErrConflict) {
		return nil
	}
	return err
}

// ErrLoading answers what needs the market before it is first loaded.
var (
	ErrLoading = &planner.Error{Kind: planner.KindUnavailable, Reason: "LOADING", Message: "market data is still loading; retry shortly"}
)

func notFound(what string) error {
	return &planner.Error{Kind: planner.KindNotFound, Reason: "NOT_FOUND", Message: what + " not found"}
}

func alreadyExists(what string) error {
	return &planner.Error{Kind: planner.KindAlreadyExists, Reason: "ALREADY_EXISTS", Message: what + " already exists"}
}

// storeError turns the store's sentinels into domain errors about what; anything else
// is left for the server's translator, which hides it as Internal.
func storeError(err error, what string) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return notFound(what)
	case errors.Is(err, store.ErrConflict):
		return alreadyExists(what)
	case errors.Is(err, store.ErrInvalid):
		return planner.Invalid(planner.Violation{Field: "PageToken", Description: err.Error()})
	}
	return err
}
