// Package catalog holds paymix's reference data: the standard level ladder, job
// families and geography (metros, zones, countries) with the resolver that turns
// free-text locations into them. It is the one place in code for each of these.
package catalog

import "strings"

// Track is a career track of the ladder.
type Track string

const (
	TrackIC      Track = "individual-contributor"
	TrackManager Track = "manager"
)

// Level is one rung of the standard ladder.
type Level struct {
	ID    string // IC1-IC7, M1-M5
	Name  string
	Track Track
	// DefaultSpreadPercent is the range spread s = (max - min) / min for bands at this
	// level. Professional ranges are typically 40-50% wide, wider for executives and
	// senior technical roles (REFERENCE.md, "Standard compensation practice").
	DefaultSpreadPercent float64
	// Equivalents are the company levels that map onto this rung, by company.
	Equivalents map[string][]string
}

// Ladder is the standard ladder of ARCHITECTURE.md ("The standard ladder"), in order.
// The company columns are many-to-one and debated at the upper rungs:
//   - IC1 is the new-graduate rung at every company (Google L3, Meta E3, Amazon SDE I
//     at L4, Microsoft 59-60, Apple ICT2).
//   - IC3 is "senior", the first rung expected to lead projects alone (L5 / E5 / SDE
//     III at Amazon L6 / Microsoft 63-64 / ICT4).
//   - IC4 staff is where scope crosses teams; Amazon's L7 principal sits here because
//     its L6 is already senior.
//   - Amazon has no IC5 (it steps from L7 to senior principal L8) and Apple's ladder
//     stops at ICT6, so those cells are empty rather than stretched.
var Ladder = []Level{
	{ID: "IC1", Name: "Entry", Track: TrackIC, DefaultSpreadPercent: 40, Equivalents: map[string][]string{
		"Google": {"L3"}, "Meta": {"E3"}, "Amazon": {"L4"}, "Microsoft": {"59", "60"}, "Apple": {"ICT2"}}},
	{ID: "IC2", Name: "Mid-level", Track: TrackIC, DefaultSpreadPercent: 40, Equivalents: map[string][]string{
		"Google": {"L4"}, "Meta": {"E4"}, "Amazon": {"L5"}, "Microsoft": {"61", "62"}, "Apple": {"ICT3"}}},
	{ID: "IC3", Name: "Senior", Track: TrackIC, DefaultSpreadPercent: 50, Equivalents: map[string][]string{
		"Google": {"L5"}, "Meta": {"E5"}, "Amazon": {"L6"}, "Microsoft": {"63", "64"}, "Apple": {"ICT4"}}},
	{ID: "IC4", Name: "Staff", Track: TrackIC, DefaultSpreadPercent: 50, Equivalents: map[string][]string{
		"Google": {"L6"}, "Meta": {"E6"}, "Amazon": {"L7"}, "Microsoft": {"65", "66"}, "Apple": {"ICT5"}}},
	{ID: "IC5", Name: "Senior staff", Track: TrackIC, DefaultSpreadPercent: 60, Equivalents: map[string][]string{
		"Google": {"L7"}, "Meta": {"E7"}, "Microsoft": {"67"}, "Apple": {"ICT6"}}},
	{ID: "IC6", Name: "Principal", Track: TrackIC, DefaultSpreadPercent: 60, Equivalents: map[string][]string{
		"Google": {"L8"}, "Meta": {"E8"}, "Amazon": {"L8"}, "Microsoft": {"68", "69"}}},
	{ID: "IC7", Name: "Distinguished", Track: TrackIC, DefaultSpreadPercent: 60, Equivalents: map[string][]string{
		"Google": {"L9"}, "Meta": {"E9"}, "Amazon": {"L10"}, "Microsoft": {"70"}}},
	{ID: "M1", Name: "Manager", Track: TrackManager, DefaultSpreadPercent: 50},
	{ID: "M2", Name: "Senior manager", Track: TrackManager, DefaultSpreadPercent: 50},
	{ID: "M3", Name: "Director", Track: TrackManager, DefaultSpreadPercent: 60},
	{ID: "M4", Name: "Senior director", Track: TrackManager, DefaultSpreadPercent: 60},
	{ID: "M5", Name: "VP", Track: TrackManager, DefaultSpreadPercent: 60},
}

// LevelByID finds a standard level, ignoring case ("ic3" is IC3).
func LevelByID(id string) (Level, bool) {
	for _, l := range Ladder {
		if strings.EqualFold(l.ID, strings.TrimSpace(id)) {
			return l, true
		}
	}
	return Level{}, false
}

// LevelIDs lists the standard level ids in ladder order.
func LevelIDs() []string {
	ids := make([]string, len(Ladder))
	for i, l := range Ladder {
		ids[i] = l.ID
	}
	return ids
}
