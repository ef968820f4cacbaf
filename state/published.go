package state

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/planner/normalize"
	"github.com/paymix/paymix/planner/tokens"
	"github.com/paymix/paymix/store"
)

// Published is the one state that requests read: the market snapshot (with the
// stored policies' aging rates precomputed), the maps its rows were normalised with,
// every organisation with its policies already settled, and the API-key index. It is
// built whole after every committed change and swapped atomically; nothing in it
// changes afterwards, so readers need no lock and never touch the store.
type Published struct {
	// Market is nil until the market is first loaded; Planner answers bands on it and
	// keeps the level curves and geographic differentials it computes for as long as
	// the market's content is published.
	Market   *market.Snapshot
	Planner  *planner.Planner
	Maps     *normalize.Maps
	Unmapped []UnmappedLevel // most rows first
	// Version counts the committed changes behind this state (the store's state
	// version when it was read); the market's own content hash is Market.Version.
	Version int64
	// KeysRequired is true once any key exists (or the server requires keys from the
	// start): calls without one are refused.
	KeysRequired bool
	// Built is when this state was published.
	Built time.Time

	// Quarantined are the active datasets left out of the market because their rows
	// cannot be read, by id.
	Quarantined map[string]Quarantine

	mapsFingerprint string // identifies Maps
	orgs            map[string]store.Organization
	policies        map[string][]*Policy // by organisation, by id
	keys            map[string]store.APIKey
	keysOf          map[string][]store.APIKey // by organisation, oldest first
	books           map[string]*PriceBook     // the organisations that have one
	stacks          map[string]*tokens.Book   // built-in, then the organisation's book
}

// Quarantine says why a dataset is left out of the market.
type Quarantine struct {
	Reason string // ROWS_UNREADABLE
	Detail string // what the store said
}

// UnmappedLevel is a company level that no level map covers, with its row count.
type UnmappedLevel struct {
	Company, Level string
	Count          int
}

// Policy is a stored policy, settled for every level.
type Policy struct {
	Org, ID     string
	DisplayName string
	Preset      string
	Content     planner.Policy
	Revision    int64
	Etag        string
	CreateTime  time.Time
	UpdateTime  time.Time
	Settled     *planner.SettledPolicy
}

// Name is the policy's resource name.
func (p *Policy) Name() string { return PolicyName(p.Org, p.ID) }

// PolicyName is organizations/{org}/policies/{id}.
func PolicyName(org, id string) string { return "organizations/" + org + "/policies/" + id }

// DefaultPolicyID is the policy every organisation has and bands use by default.
const DefaultPolicyID = "default"

// Organization returns an organisation the caller may see.
func (p *Published) Organization(c Caller, id string) (store.Organization, error) {
	o, ok := p.orgs[id]
	if !ok || !c.Owns(id) {
		return store.Organization{}, notFound("organizations/" + id)
	}
	return o, nil
}

// Policy returns a stored policy the caller may see; another organisation's is
// NotFound, whatever the caller guesses.
func (p *Published) Policy(c Caller, org, id string) (*Policy, error) {
	if c.Owns(org) {
		list := p.policies[org]
		if i, ok := slices.BinarySearchFunc(list, id, func(x *Policy, id string) int { return strings.Compare(x.ID, id) }); ok {
			return list[i], nil
		}
	}
	return nil, notFound(PolicyName(org, id))
}

// Policies lists an organisation's policies by id, a page at a time.
func (p *Published) Policies(c Caller, org string, size int, token string) ([]*Policy, string, error) {
	if _, err := p.Organization(c, org); err != nil {
		return nil, "", err
	}
	return Page(p.policies[org], token, size, 50)
}

// Keys lists an organisation's keys, oldest first.
func (p *Published) Keys(c Caller, org string) ([]store.APIKey, error) {
	if _, err := p.Organization(c, org); err != nil {
		return nil, err
	}
	return p.keysOf[org], nil
}

// BandPolicy is the settled policy a band or offer request uses: the stored one it
// names; or the inline one (settled now, named "inline"); or else the caller's
// organisation's default policy. Platform admins and open mode use paymix's defaults.
func (p *Published) BandPolicy(c Caller, inline *planner.Policy, name string) (*planner.SettledPolicy, error) {
	switch {
	case name != "":
		org, id := SplitPolicyName(name)
		sp, err := p.Policy(c, org, id)
		if err != nil {
			return nil, err
		}
		return sp.Settled, nil
	case inline != nil:
		return planner.SettleOn(*inline, "inline", 0, p.Book(c.Org)), nil
	case c.Org != "" && c.Org != PlatformOrg:
		if sp, err := p.Policy(c, c.Org, DefaultPolicyID); err == nil {
			return sp.Settled, nil
		}
	}
	return planner.DefaultPolicy, nil
}

// SplitPolicyName reads organizations/{org}/policies/{policy}.
func SplitPolicyName(name string) (org, id string) {
	rest, ok := strings.CutPrefix(name, "organizations/")
	if !ok {
		return "", ""
	}
	org, id, _ = strings.Cut(rest, "/policies/")
	return org, id
}

// KeyCount is the number of keys ever made.
func (p *Published) KeyCount() int { return len(p.keys) }

// Page returns one page of items after an offset token, and the token of the next
// page ("" on the last); lists held in memory page by offset.
func Page[T any](items []T, token string, size, def int) ([]T, string, error) {
	off := 0
	if token != "" {
		n, err := strconv.Atoi(token)
		if err != nil || n < 0 {
			return nil, "", planner.Invalid(planner.Violation{Field: "PageToken", Description: "not a token this server gave"})
		}
		off = n
	}
	if size <= 0 {
		size = def
	}
	off = min(off, len(items))
	end := min(off+size, len(items))
	next := ""
	if end < len(items) {
		next = strconv.Itoa(end)
	}
	return items[off:end], next, nil
}
