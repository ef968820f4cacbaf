package catalog

import "strings"

// Family is a job family with a stable kebab-case id.
type Family struct {
	ID   string
	Name string
	// Track is the ladder the family's people are on.
	Track Track
	// AlsoManagers: an individual-contributor family whose managers keep its name
	// (product managers lead product managers), so M levels are accepted too.
	AlsoManagers bool
	// Titles are job titles, as they appear in market data, that belong to the family.
	Titles []string
}

// Families covers every title of the Levels.fyi export; ids never change once published.
var Families = []Family{
	{ID: "software-engineer", Name: "Software Engineer", Track: TrackIC, Titles: []string{"Software Engineer"}},
	{ID: "engineering-manager", Name: "Engineering Manager", Track: TrackManager, Titles: []string{"Software Engineering Manager", "Engineering Manager"}},
	{ID: "product-manager", Name: "Product Manager", Track: TrackIC, AlsoManagers: true, Titles: []string{"Product Manager"}},
	{ID: "data-scientist", Name: "Data Scientist", Track: TrackIC, Titles: []string{"Data Scientist"}},
	{ID: "hardware-engineer", Name: "Hardware Engineer", Track: TrackIC, Titles: []string{"Hardware Engineer"}},
	{ID: "product-designer", Name: "Product Designer", Track: TrackIC, Titles: []string{"Product Designer"}},
	{ID: "technical-program-manager", Name: "Technical Program Manager", Track: TrackIC, Titles: []string{"Technical Program Manager"}},
	{ID: "solution-architect", Name: "Solution Architect", Track: TrackIC, Titles: []string{"Solution Architect"}},
	{ID: "management-consultant", Name: "Management Consultant", Track: TrackIC, Titles: []string{"Management Consultant"}},
	{ID: "business-analyst", Name: "Business Analyst", Track: TrackIC, Titles: []string{"Business Analyst"}},
	{ID: "marketing", Name: "Marketing", Track: TrackIC, Titles: []string{"Marketing"}},
	{ID: "mechanical-engineer", Name: "Mechanical Engineer", Track: TrackIC, Titles: []string{"Mechanical Engineer"}},
	{ID: "sales", Name: "Sales", Track: TrackIC, Titles: []string{"Sales"}},
	{ID: "recruiter", Name: "Recruiter", Track: TrackIC, Titles: []string{"Recruiter"}},
	{ID: "human-resources", Name: "Human Resources", Track: TrackIC, Titles: []string{"Human Resources"}},
}

// FamilyByID finds a job family by its id, or by its name or one of its titles,
// ignoring case and surrounding space ("Software Engineer" is software-engineer).
func FamilyByID(s string) (Family, bool) {
	s = strings.TrimSpace(s)
	for _, f := range Families {
		if strings.EqualFold(f.ID, s) || strings.EqualFold(f.Name, s) {
			return f, true
		}
		for _, t := range f.Titles {
			if strings.EqualFold(t, s) {
				return f, true
			}
		}
	}
	return Family{}, false
}

// Accepts reports whether a level belongs to the family's ladder: engineering managers
// are on M1-M5, engineers on IC1-IC7.
func (f Family) Accepts(l Level) bool {
	return l.Track == f.Track || (f.AlsoManagers && l.Track == TrackManager)
}

// FamilyIDs lists the job family ids in catalog order.
func FamilyIDs() []string {
	ids := make([]string, len(Families))
	for i, f := range Families {
		ids[i] = f.ID
	}
	return ids
}
