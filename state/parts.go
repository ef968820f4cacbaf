package state

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/planner/normalize"
	"github.com/paymix/paymix/planner/stats"
	"github.com/paymix/paymix/store"
)

// builtPart is one dataset's part of the market, normalised with one set of maps.
// Parts are kept across rebuilds, so that a change builds only the datasets it
// touches; a change of the maps builds them all again.
type builtPart struct {
	part     *market.Part
	maps     string            // fingerprint of the maps the rows were normalised with
	unmapped map[[2]string]int // rows whose level no map knows, by company and level
}

// builtinMaps stands for "no maps" in the fingerprint of the built-in demo dataset,
// whose observations are normalised already.
const builtinMaps = "builtin"

// mapsFingerprint identifies what normalisation depends on beyond the code: the
// uploaded level and location maps.
func mapsFingerprint(levels []normalize.LevelEntry, locations []normalize.LocationEntry) string {
	h := sha256.New()
	if err := json.NewEncoder(h).Encode([]any{levels, locations}); err != nil {
		panic(err) // plain structs of strings always encode
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// partBuilder normalises rows into a part, counting the levels no map knows.
type partBuilder struct {
	b        *market.Builder
	maps     *normalize.Maps
	unmapped map[[2]string]int
	o        market.Observation
}

func newPartBuilder(maps *normalize.Maps, capacity int) *partBuilder {
	return &partBuilder{b: market.NewBuilder(capacity), maps: maps, unmapped: map[[2]string]int{}}
}

// add normalises and adds a row, saying what of it is unmapped.
func (pb *partBuilder) add(r *normalize.Row) normalize.Unmapped {
	o, u := pb.maps.Observation(*r)
	if u.Level {
		pb.unmapped[[2]string{o.Company, o.CompanyLevel}]++
	}
	pb.b.Add(&o)
	pb.o = o
	return u
}

// last is the observation added last.
func (pb *partBuilder) last() *market.Observation { return &pb.o }

func (pb *partBuilder) build(reference time.Time, fingerprint string) *builtPart {
	return &builtPart{part: pb.b.Build(reference, stats.DefaultAgingRate), maps: fingerprint, unmapped: pb.unmapped}
}

// buildPart reads a dataset's rows from the store, a batch at a time, into a part.
func (s *Service) buildPart(ctx context.Context, d store.Dataset, maps *normalize.Maps, fingerprint string) (*builtPart, error) {
	pb := newPartBuilder(maps, d.RowsAccepted)
	if err := s.store.EachRow(ctx, d.ID, func(r *normalize.Row) error {
		pb.add(r)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("loading dataset %s: %w", d.ID, err)
	}
	return pb.build(s.today(), fingerprint), nil
}

// today is the reference day new parts are aged to.
func (s *Service) today() time.Time { return s.now().UTC().Truncate(24 * time.Hour) }
