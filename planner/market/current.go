package market

import "sync/atomic"

// Current holds the snapshot that requests read. Readers take it with Load and keep
// using that one snapshot for the whole request; a rebuild publishes a new one with
// Store, so no reader sees a mix of two.
type Current struct {
	p atomic.Pointer[Snapshot]
}

// Load returns the current snapshot, or nil before the first Store.
func (c *Current) Load() *Snapshot { return c.p.Load() }

// Store publishes a snapshot.
func (c *Current) Store(s *Snapshot) { c.p.Store(s) }
