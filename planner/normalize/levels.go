package normalize

import "fmt"

// LevelEntry maps one company level onto the standard ladder.
type LevelEntry struct {
	Company  string   // canonical company name, as Company returns it
	Level    string   // the company's canonical spelling, e.g. "L5", "E5", "63"
	Variants []string // other spellings that mean the same level, matched after folding (case, spaces, dashes, dots)
	IC       string   // standard IC rung ("IC3") for individual-contributor titles, "" if none
	Manager  string   // standard manager rung ("M1") for manager titles (family engineering-manager), "" if none
}

// lv builds a built-in entry.
func lv(company, level, ic, manager string, variants ...string) LevelEntry {
	return LevelEntry{Company: company, Level: level, Variants: variants, IC: ic, Manager: manager}
}

// BuiltinLevels are the level maps that ship with paymix: the 25 companies with the most
// rows in the Levels.fyi export (after company normalisation) and a few more, with the
// spellings seen in that export. The standard ladder is ARCHITECTURE.md's table ("The
// standard ladder"): IC1 entry, IC2 mid-level, IC3 senior, IC4 staff, IC5 senior staff,
// IC6 principal, IC7 distinguished; managers M1 first-line, M2 senior manager, M3
// director, M4 senior director, M5 VP. Google, Meta, Amazon, Microsoft and Apple follow
// that table (and catalog.Ladder's Equivalents) exactly; every other company is mapped by
// the published Levels.fyi equivalences of its titles, checked against the export's
// median years of experience per level (Google: L3 2, L4 5, L5 9, L6 13, L7 15 years).
// What cannot be defended stays out and is reported as unmapped: users can add or
// override any entry.
var BuiltinLevels = concat(
	// Google: the ladder table (L3-L9); numbers without the L and the SWE titles name the
	// same grades (SWE II is L3, SWE III L4). Managers by span: L5-L6 first-line, L7 senior
	// manager, L8 director, L9 senior director, L10 VP. T3-T7 (technical solutions) and L1-L2
	// are other ladders and stay unmapped.
	[]LevelEntry{
		lv("Google", "L3", "IC1", "", "3", "SWE II", "Software Engineer II"),
		lv("Google", "L4", "IC2", "", "4", "SWE III", "Software Engineer III"),
		lv("Google", "L5", "IC3", "M1", "5", "Senior SWE", "Senior Software Engineer"),
		lv("Google", "L6", "IC4", "M1", "6", "Staff SWE", "Staff Software Engineer"),
		lv("Google", "L7", "IC5", "M2", "7", "Senior Staff SWE", "Senior Staff Software Engineer"),
		lv("Google", "L8", "IC6", "M3", "8", "Principal Engineer", "Principal SWE"),
		lv("Google", "L9", "IC7", "M4", "9", "Distinguished Engineer"),
		lv("Google", "L10", "", "M5", "10"),
		lv("Google", "Manager (L6)", "", "M1"),
	},
	// Meta: the ladder table (E3-E9). IC3-IC9 are the same grades for non-engineering
	// roles and L3-L9 older spellings of them (their medians match: L5 $330k, E5 $374k,
	// IC5 $297k). Managers M1, M2; directors D1, D2.
	[]LevelEntry{
		lv("Meta", "E3", "IC1", "", "3", "IC3", "L3"),
		lv("Meta", "E4", "IC2", "", "4", "IC4", "L4", "L4 Product Manager"),
		lv("Meta", "E5", "IC3", "", "5", "IC5", "L5", "L5 Product Manager"),
		lv("Meta", "E6", "IC4", "", "6", "IC6", "L6", "L6 Product Manager", "L6 PM"),
		lv("Meta", "E7", "IC5", "", "7", "IC7", "L7", "L7 Product Manager"),
		lv("Meta", "E8", "IC6", "", "8", "IC8", "L8"),
		lv("Meta", "E9", "IC7", "", "9", "IC9", "L9"),
		lv("Meta", "M1", "", "M1"),
		lv("Meta", "M2", "", "M2"),
		lv("Meta", "D1", "", "M3"),
		lv("Meta", "D2", "", "M4"),
	},
	// Amazon: the ladder table (L4 SDE I, L5 SDE II, L6 SDE III, L7 principal, L8 senior
	// principal, L10 distinguished; no IC5). Managers: SDMs at L5-L6 are first-line, L7 is
	// senior manager, L8 director, L10 VP. L1-L3 are not engineering grades: unmapped.
	[]LevelEntry{
		lv("Amazon", "L4", "IC1", "", "4", "SDE I", "SDE 1"),
		lv("Amazon", "L5", "IC2", "M1", "5", "SDE II", "SDE 2", "L5/SDE2", "Level 5"),
		lv("Amazon", "L6", "IC3", "M1", "6", "SDE III", "SDE 3", "Senior SDE", "SDE III (L6)", "Senior Product Manager"),
		lv("Amazon", "L7", "IC4", "M2", "7", "Principal SDE", "L7 Principal", "Principal Product Manager"),
		lv("Amazon", "L8", "IC6", "M3", "8", "Senior Principal", "Senior Principal SDE"),
		lv("Amazon", "L10", "IC7", "M5", "10", "Distinguished Engineer"),
		lv("Amazon", "L5 SDM", "", "M1"),
		lv("Amazon", "L6 SDM", "", "M1", "L6 Manager"),
		lv("Amazon", "Senior SDM", "", "M2", "L7 SDM"),
		lv("Amazon", "L8 Director", "", "M3"),
	},
	// Microsoft: the ladder table (59-60 IC1 ... 70 IC7). Titles: SDE is 59-60, SDE II
	// 61-62, Senior SDE 63-64; Principal SDE spans 65-67 (two rungs) and stays unmapped, as
	// do 57-58 (below the SDE ladder). Managers as Levels.fyi aligns them with Google's:
	// 63-66 first-line, 67 senior manager, 68-69 partner (director), 70 senior director /
	// general manager, 80 corporate VP.
	[]LevelEntry{
		lv("Microsoft", "59", "IC1", "", "L59", "Level 59"),
		lv("Microsoft", "60", "IC1", "", "L60", "Level 60"),
		lv("Microsoft", "61", "IC2", "", "L61", "Level 61", "SDE II (61)", "SDE2/61"),
		lv("Microsoft", "62", "IC2", "", "L62", "Level 62", "SDE II (62)", "SDE II L62"),
		lv("Microsoft", "63", "IC3", "M1", "L63", "Level 63"),
		lv("Microsoft", "64", "IC3", "M1", "L64", "Level 64"),
		lv("Microsoft", "65", "IC4", "M1", "L65", "Level 65"),
		lv("Microsoft", "66", "IC4", "M1", "L66", "Level 66"),
		lv("Microsoft", "67", "IC5", "M2", "L67", "Level 67"),
		lv("Microsoft", "68", "IC6", "M3", "L68", "Level 68"),
		lv("Microsoft", "69", "IC6", "M3", "L69", "Level 69"),
		lv("Microsoft", "70", "IC7", "M4", "L70", "Level 70"),
		lv("Microsoft", "80", "", "M5", "L80"),
		lv("Microsoft", "SDE", "IC1", "", "SDE I", "SDE 1"),
		lv("Microsoft", "SDE II", "IC2", "", "SDE 2", "Software Engineer II"),
		lv("Microsoft", "Senior SDE", "IC3", "", "Senior Software Engineer"),
	},
	// Apple: the ladder table (ICT2-ICT6). IC2-IC6 are the same grades for non-technical
	// roles, "ITC" a common transposition, a bare number the grade. Managers M1-M3 (M3 is
	// director level: its median, $720k, is 60% above M2's).
	[]LevelEntry{
		lv("Apple", "ICT2", "IC1", "", "IC2", "ITC2", "New Grad (ICT2)"),
		lv("Apple", "ICT3", "IC2", "", "IC3", "ITC3", "3"),
		lv("Apple", "ICT4", "IC3", "", "IC4", "ITC4", "4"),
		lv("Apple", "ICT5", "IC4", "", "IC5", "ITC5", "5"),
		lv("Apple", "ICT6", "IC5", "", "IC6", "ITC6", "6"),
		lv("Apple", "M1", "", "M1"),
		lv("Apple", "M2", "", "M2"),
		lv("Apple", "M3", "", "M3"),
	},
	// Oracle: IC1-IC2 (MTS) are both entry grades (Levels.fyi puts both beside SDE I),
	// IC3 Senior MTS mid-level, IC4 Principal MTS senior, IC5 Consulting MTS staff, IC6
	// senior staff (years: 0, 2, 6, 12, 15.5, 20). Managers M2 manager, M3 senior manager,
	// M4 director, M5 senior director, M6 VP.
	[]LevelEntry{
		lv("Oracle", "IC1", "IC1", ""),
		lv("Oracle", "IC2", "IC1", "", "MTS", "Member of Technical Staff"),
		lv("Oracle", "IC3", "IC2", "", "Senior MTS", "SMTS", "Senior Member of Technical Staff"),
		lv("Oracle", "IC4", "IC3", "", "Principal MTS", "PMTS", "Principal Member of Technical Staff", "Principal (IC4)"),
		lv("Oracle", "IC5", "IC4", "", "Consulting MTS", "CMTS", "Consulting Member of Technical Staff"),
		lv("Oracle", "IC6", "IC5", "", "Senior Consulting MTS"),
		lv("Oracle", "M2", "", "M1"),
		lv("Oracle", "M3", "", "M2"),
		lv("Oracle", "M4", "", "M3", "M4 Director"),
		lv("Oracle", "M5", "", "M4"),
		lv("Oracle", "M6", "", "M5"),
	},
	// Salesforce: AMTS and MTS are entry (0 and 2 years), SMTS mid-level, LMTS senior,
	// PMTS staff, Architect senior staff, Principal Architect principal (Levels.fyi aligns
	// SMTS with Google L4, LMTS with L5, PMTS with L6). Managers by title.
	[]LevelEntry{
		lv("Salesforce", "AMTS", "IC1", "", "Associate MTS", "Associate Member of Technical Staff"),
		lv("Salesforce", "MTS", "IC1", "", "Member of Technical Staff", "MTS (Member of Technical Staff)"),
		lv("Salesforce", "SMTS", "IC2", "", "Senior MTS", "Senior Member of Technical Staff", "Senior SWE"),
		lv("Salesforce", "LMTS", "IC3", "", "Lead MTS", "Lead Member of Technical Staff", "Lead SWE"),
		lv("Salesforce", "PMTS", "IC4", "", "Principal MTS", "Principal Member of Technical Staff", "Principal SWE"),
		lv("Salesforce", "Architect", "IC5", "", "Software Engineering Architect"),
		lv("Salesforce", "Principal Architect", "IC6", ""),
		lv("Salesforce", "Manager", "", "M1", "Engineering Manager", "Software Engineering Manager"),
		lv("Salesforce", "Senior Manager", "", "M2", "Senior Engineering Manager", "Sr Manager"),
		lv("Salesforce", "Director", "", "M3"),
		lv("Salesforce", "Senior Director", "", "M4", "Sr Director"),
		lv("Salesforce", "VP", "", "M5", "Vice President"),
	},
	// Intel: grades by Intel's published bands: 5 entry, 6-7 mid-level, 8-9 senior, 10
	// principal engineer (cross-team scope: staff elsewhere), 11 senior principal. Grade 3
	// (support roles) and 12 and above (fellows) stay unmapped.
	intelGrades(),
	// Cisco: grade 4 Software Engineer I and 6 Software Engineer II are entry (1 and 2
	// years), 8 (SWE III) mid-level, 10 (SWE IV) senior, 11-12 Technical Leader staff, 13
	// Principal Engineer senior staff, 14 Distinguished Engineer principal. Odd grades
	// (other job families) stay unmapped.
	[]LevelEntry{
		lv("Cisco", "Grade 4", "IC1", "", "4", "G4", "Level 4", "Software Engineer I", "Software Engineer 1"),
		lv("Cisco", "Grade 6", "IC1", "", "6", "G6", "Level 6", "Software Engineer II", "Software Engineer 2"),
		lv("Cisco", "Grade 8", "IC2", "", "8", "G8", "Level 8", "Software Engineer III", "Software Engineer 3"),
		lv("Cisco", "Grade 10", "IC3", "", "10", "G10", "Level 10", "Software Engineer IV", "Software Engineer 4"),
		lv("Cisco", "Grade 11", "IC4", "", "11", "G11", "Level 11"),
		lv("Cisco", "Grade 12", "IC4", "", "12", "G12", "Level 12"),
		lv("Cisco", "Technical Leader", "IC4", "", "Technical Leader 1", "Technical Leader I", "Technical Leader 2", "Technical Leader II", "Technical Lead"),
		lv("Cisco", "Grade 13", "IC5", "", "13", "G13", "Level 13", "Principal Engineer"),
		lv("Cisco", "Grade 14", "IC6", "", "14", "G14", "Level 14", "Distinguished Engineer"),
	},
	// IBM: bands by IBM's titles: 6 associate (entry), 7 staff (mid-level), 8 advisory
	// (senior), 9 senior (staff), 10 senior technical staff member (senior staff),
	// distinguished engineer principal. Years: 1, 4, 6.5, 14, 18.
	[]LevelEntry{
		lv("IBM", "Band 6", "IC1", "", "6", "B6", "L6", "Associate Engineer", "Associate Software Engineer"),
		lv("IBM", "Band 7", "IC2", "", "7", "B7", "L7", "Staff Engineer", "Staff Software Engineer"),
		lv("IBM", "Band 8", "IC3", "", "8", "B8", "L8", "Advisory Engineer", "Advisory Software Engineer", "Band 8 (Advisory)"),
		lv("IBM", "Band 9", "IC4", "", "9", "B9", "L9", "Senior Engineer", "Senior Software Engineer"),
		lv("IBM", "Band 10", "IC5", "", "10", "B10", "L10", "STSM", "Senior Technical Staff Member"),
		lv("IBM", "Distinguished Engineer", "IC6", "", "Band D"),
	},
	// Uber: L3 SWE I entry, L4 SWE II mid-level, L5A and L5B (Senior SWE I and II) senior,
	// L6 staff, L7 senior staff, L8 principal (Levels.fyi: L5A beside Google L5, L6 beside
	// L6). Engineering managers EM1 and EM2 are first-line.
	[]LevelEntry{
		lv("Uber", "L3", "IC1", "", "3", "Software Engineer I", "SWE I"),
		lv("Uber", "L4", "IC2", "", "4", "Software Engineer II", "SWE II"),
		lv("Uber", "L5", "IC3", "", "5", "Senior Software Engineer"),
		lv("Uber", "L5A", "IC3", "", "5A", "Senior Software Engineer I"),
		lv("Uber", "L5B", "IC3", "", "5B", "Senior Software Engineer II", "Senior Software Engineer 2 (5B)"),
		lv("Uber", "L6", "IC4", "", "6", "Staff Software Engineer"),
		lv("Uber", "L7", "IC5", "", "7", "Senior Staff Software Engineer"),
		lv("Uber", "L8", "IC6", "", "8", "Principal Engineer"),
		lv("Uber", "EM1", "", "M1", "Engineering Manager I"),
		lv("Uber", "EM2", "", "M1", "Engineering Manager II"),
	},
	// Capital One: one band scale for both tracks. Associate (Associate Software Engineer,
	// 1 year) and Senior Associate (Software Engineer, 2 years) are entry, Principal
	// Associate (Senior Software Engineer, 5) mid-level, Manager (Lead Software Engineer,
	// 7-10) senior, Senior Manager (Master Software Engineer, 7-12) staff, Distinguished
	// Engineer (director band) senior staff. For managers the band names are the span
	// titles: Manager, Senior Manager, Director, Senior Director, VP.
	[]LevelEntry{
		lv("Capital One", "Associate", "IC1", "", "Associate Software Eng", "Associate Software Engineer"),
		lv("Capital One", "Senior Associate", "IC1", "", "Software Eng", "Software Engineer", "Sr Associate"),
		lv("Capital One", "Principal Associate", "IC2", "", "Senior Software Eng", "Senior Software Engineer"),
		lv("Capital One", "Manager", "IC3", "M1", "Lead Software Eng", "Lead Software Engineer"),
		lv("Capital One", "Senior Manager", "IC4", "M2", "Master Software Eng", "Master Software Engineer"),
		lv("Capital One", "Distinguished Engineer", "IC5", ""),
		lv("Capital One", "Director", "", "M3", "Director of Software Eng", "Director of Software Engineering"),
		lv("Capital One", "Senior Director", "", "M4", "Senior Director of Software Eng", "Senior Director of Software Engineering"),
		lv("Capital One", "VP", "", "M5", "Vice President"),
	},
	// LinkedIn: its titles carry the standard names (Software Engineer entry, Senior,
	// Staff, Senior Staff, Principal Staff, Distinguished); it has no separate mid-level
	// rung. Managers: Engineering Manager, Senior Engineering Manager, Director, Senior Director.
	[]LevelEntry{
		lv("LinkedIn", "Software Engineer", "IC1", ""),
		lv("LinkedIn", "Senior Software Engineer", "IC3", "", "Senior", "Senior SWE", "Sr Software Engineer"),
		lv("LinkedIn", "Staff Software Engineer", "IC4", "", "Staff", "Staff Engineer"),
		lv("LinkedIn", "Senior Staff Software Engineer", "IC5", "", "Senior Staff", "Sr Staff", "Senior Staff Engineer", "Sr Staff Engineer"),
		lv("LinkedIn", "Principal Staff Software Engineer", "IC6", "", "Principal Staff Engineer"),
		lv("LinkedIn", "Distinguished Engineer", "IC7", ""),
		lv("LinkedIn", "Engineering Manager", "", "M1", "Software Engineering Manager"),
		lv("LinkedIn", "Senior Engineering Manager", "", "M2", "Sr Engineering Manager", "Senior Software Engineering Manager", "Sr Software Engineering Manager"),
		lv("LinkedIn", "Director", "", "M3"),
		lv("LinkedIn", "Senior Director", "", "M4"),
	},
	// VMware: MTS1 and MTS2 entry (0 and 2 years), MTS3 mid-level, Senior MTS senior,
	// Staff Engineer 1 and 2 staff, Senior Staff senior staff, Principal principal. The P
	// grades mix job families and stay unmapped. Managers by title.
	[]LevelEntry{
		lv("VMware", "MTS1", "IC1", "", "Member of Technical Staff (MTS1)"),
		lv("VMware", "MTS2", "IC1", "", "Member of Technical Staff (MTS2)"),
		lv("VMware", "MTS3", "IC2", "", "Member of Technical Staff (MTS3)"),
		lv("VMware", "Senior MTS", "IC3", "", "SMTS", "Sr MTS", "Senior Member of Technical Staff"),
		lv("VMware", "Staff Engineer 1", "IC4", "", "Staff Engineer I", "Staff Engineer", "Staff"),
		lv("VMware", "Staff Engineer 2", "IC4", "", "Staff Engineer II"),
		lv("VMware", "Senior Staff Engineer", "IC5", "", "Sr Staff Engineer"),
		lv("VMware", "Principal Engineer", "IC6", ""),
		lv("VMware", "Engineering Manager", "", "M1"),
		lv("VMware", "Senior Manager", "", "M2", "Sr Manager", "Senior Engineering Manager", "Sr Engineering Manager", "Senior Manager of Engineering"),
		lv("VMware", "Director", "", "M3"),
		lv("VMware", "Senior Director", "", "M4", "Sr Director"),
	},
	// JPMorgan Chase: corporate titles as Levels.fyi aligns them (Analyst beside Google
	// L3, Associate and Senior Associate L4, Vice President L5, Executive Director L6);
	// technology managers are VPs (first-line), EDs (senior) and MDs (director). The
	// numeric job codes (501-604) mix titles in the export and stay unmapped.
	[]LevelEntry{
		lv("JPMorgan Chase", "Analyst", "IC1", ""),
		lv("JPMorgan Chase", "Associate", "IC2", ""),
		lv("JPMorgan Chase", "Senior Associate", "IC2", ""),
		lv("JPMorgan Chase", "Vice President", "IC3", "M1", "VP"),
		lv("JPMorgan Chase", "Executive Director", "IC4", "M2", "ED"),
		lv("JPMorgan Chase", "Managing Director", "", "M3", "MD"),
	},
	// Qualcomm: its titles sit one name above the standard (Levels.fyi: Engineer beside
	// Google L3, Senior L4, Staff L5, Senior Staff L6, Principal L7; years 2, 4, 8, 14, 20).
	[]LevelEntry{
		lv("Qualcomm", "Engineer", "IC1", ""),
		lv("Qualcomm", "Senior Engineer", "IC2", ""),
		lv("Qualcomm", "Staff Engineer", "IC3", "", "Staff"),
		lv("Qualcomm", "Senior Staff Engineer", "IC4", "", "Senior Staff Eng", "Senior Staff", "Sr Staff", "Sr Staff Engineer"),
		lv("Qualcomm", "Principal Engineer", "IC5", ""),
	},
	// Bloomberg: a flat ladder. Software Engineer is entry (1 year); Senior Software
	// Engineer, reached after a few years, sits beside Google L4 (6 years, $230k). Team
	// Leads are first-line people managers, Engineering Managers manage team leads.
	[]LevelEntry{
		lv("Bloomberg", "Software Engineer", "IC1", ""),
		lv("Bloomberg", "Senior Software Engineer", "IC2", "", "Senior", "Senior SWE"),
		lv("Bloomberg", "Team Lead", "", "M1", "Team Leader", "TL"),
		lv("Bloomberg", "Engineering Manager", "", "M2"),
	},
	// Goldman Sachs: Analyst entry, Associate mid-level, Vice President senior (the export's
	// "Executive Director / Vice President" is the same grade, ED being its EMEA name);
	// technology VPs are first-line managers and MDs directors.
	[]LevelEntry{
		lv("Goldman Sachs", "Analyst", "IC1", "", "Engineering Analyst", "Technology Analyst"),
		lv("Goldman Sachs", "Associate", "IC2", ""),
		lv("Goldman Sachs", "Vice President", "IC3", "M1", "VP", "Executive Director / Vice President", "Executive Director"),
		lv("Goldman Sachs", "Managing Director", "", "M3", "MD"),
	},
	// PayPal: T-grades as Levels.fyi aligns them (T22-T23 entry, T24 mid-level, T25 / MTS 1
	// senior, T26 / MTS 2 staff, T27 senior staff, T28 principal; years 0, 3, 4, 8, 10,
	// 15, 20). Managers: T26 first-line, T27 senior manager, T28 director.
	[]LevelEntry{
		lv("PayPal", "T22", "IC1", "", "22", "L22"),
		lv("PayPal", "T23", "IC1", "", "23", "L23"),
		lv("PayPal", "T24", "IC2", "", "24", "L24", "Level 24"),
		lv("PayPal", "T25", "IC3", "", "25", "L25", "Level 25", "MTS 1", "Member of Technical Staff 1"),
		lv("PayPal", "T26", "IC4", "M1", "26", "L26", "Level 26", "MTS 2", "Member of Technical Staff 2"),
		lv("PayPal", "T27", "IC5", "M2", "27", "L27", "Level 27"),
		lv("PayPal", "T28", "IC6", "M3", "28", "L28", "Level 28"),
	},
	// Intuit: Software Engineer 1 entry, 2 mid-level, Senior, Staff, Principal (its
	// "Principal/Architect" grade) senior staff; years 1, 3, 6, 10, 16. Group managers
	// manage managers; directors.
	[]LevelEntry{
		lv("Intuit", "Software Engineer 1", "IC1", "", "Software Engineer I", "SWE1", "SWE I"),
		lv("Intuit", "Software Engineer 2", "IC2", "", "Software Engineer II", "SWE2", "SWE II"),
		lv("Intuit", "Senior Software Engineer", "IC3", "", "Senior"),
		lv("Intuit", "Staff Software Engineer", "IC4", "", "Staff"),
		lv("Intuit", "Principal Software Engineer", "IC5", "", "Principal/Architect", "Principal Architect", "Principal"),
		lv("Intuit", "Group Manager", "", "M2", "Group Engineering Manager"),
		lv("Intuit", "Director", "", "M3"),
	},
	// Deloitte: the consulting ladder, two to three years a step (years 1, 3, 6, 10, 15):
	// Analyst entry, Consultant mid-level, Senior Consultant senior, Manager staff, Senior
	// Manager senior staff. For manager titles, Manager is first-line and Senior Manager
	// senior. Partners and managing directors stay unmapped.
	[]LevelEntry{
		lv("Deloitte", "Analyst", "IC1", "", "Business Technology Analyst"),
		lv("Deloitte", "Consultant", "IC2", ""),
		lv("Deloitte", "Senior Consultant", "IC3", "", "Sr Consultant"),
		lv("Deloitte", "Manager", "IC4", "M1"),
		lv("Deloitte", "Senior Manager", "IC5", "M2", "Sr Manager"),
	},
	// Nvidia: IC1 and IC2 are entry (0 and 2 years), IC3 mid-level, IC4 senior, IC5 staff,
	// IC6 senior staff (Levels.fyi: IC2 beside Google L3, IC4 beside L5). Its manager
	// grades are too thin in the export to place: unmapped.
	[]LevelEntry{
		lv("Nvidia", "IC1", "IC1", ""),
		lv("Nvidia", "IC2", "IC1", ""),
		lv("Nvidia", "IC3", "IC2", ""),
		lv("Nvidia", "IC4", "IC3", ""),
		lv("Nvidia", "IC5", "IC4", ""),
		lv("Nvidia", "IC6", "IC5", ""),
	},
	// Twitter: Software Engineer (L4) entry, SWE II (L5) mid-level, Senior (L6), Staff (L7),
	// Senior Staff (L8); the L numbers and titles have matching medians in the export.
	[]LevelEntry{
		lv("Twitter", "Software Engineer", "IC1", "", "Software Engineer (SWE)", "SWE", "SWE I", "L4"),
		lv("Twitter", "SWE II", "IC2", "", "Software Engineer II", "SWE 2", "L5"),
		lv("Twitter", "Senior SWE", "IC3", "", "Senior Software Engineer", "Senior", "L6"),
		lv("Twitter", "Staff SWE", "IC4", "", "Staff Software Engineer", "Staff", "L7"),
		lv("Twitter", "Senior Staff SWE", "IC5", "", "Senior Staff Software Engineer", "L8"),
		lv("Twitter", "M1", "", "M1", "Engineering Manager"),
	},
	// Walmart (Global Tech, formerly Walmart Labs): Software Engineer I-II entry (1 year),
	// III mid-level (4), Senior (7.5), Staff (12), Principal (15). Its X, E and L grades are
	// mixed in the export and stay unmapped.
	[]LevelEntry{
		lv("Walmart", "Software Engineer I", "IC1", "", "Software Engineer 1"),
		lv("Walmart", "Software Engineer II", "IC1", "", "Software Engineer 2", "SE2"),
		lv("Walmart", "Software Engineer III", "IC2", "", "Software Engineer 3", "SE3", "SWE3"),
		lv("Walmart", "Senior Software Engineer", "IC3", "", "Senior"),
		lv("Walmart", "Staff Software Engineer", "IC4", "", "Staff"),
		lv("Walmart", "Principal Software Engineer", "IC5", ""),
	},
	// Adobe: Software Engineer 1-2 entry (1-2 years), 3 mid-level (5), 4 senior (8), 5
	// staff (12). Grade 55, the P and M grades stay unmapped.
	[]LevelEntry{
		lv("Adobe", "Software Engineer 1", "IC1", "", "Software Engineer I"),
		lv("Adobe", "Software Engineer 2", "IC1", "", "Software Engineer II"),
		lv("Adobe", "Software Engineer 3", "IC2", "", "Software Engineer III"),
		lv("Adobe", "Software Engineer 4", "IC3", "", "Software Engineer IV"),
		lv("Adobe", "Software Engineer 5", "IC4", "", "Software Engineer V"),
	},
	// Airbnb, Snap and Pinterest: L3 new-grad entry, L4 mid-level, L5 senior, L6 staff, L7
	// senior staff, as Levels.fyi aligns them with Google's L3-L7 (export years: Airbnb 1,
	// 4, 6.5, 10; Snap 2, 5, 7, 10, 11; Pinterest 0, 3, 7.5, 10).
	ladderL3to7("Airbnb"),
	ladderL3to7("Snap"),
	ladderL3to7("Pinterest"),
	// Stripe: a compressed ladder, L1 entry, L2 mid-level, L3 senior, L4 staff (years 0, 4, 9, 10).
	[]LevelEntry{
		lv("Stripe", "L1", "IC1", "", "1"),
		lv("Stripe", "L2", "IC2", "", "2"),
		lv("Stripe", "L3", "IC3", "", "3"),
		lv("Stripe", "L4", "IC4", "", "4"),
	},
	// Dropbox: IC1 entry to IC5 senior staff, one standard rung each (years 0, 4, 7, 9.5, 13).
	[]LevelEntry{
		lv("Dropbox", "IC1", "IC1", ""),
		lv("Dropbox", "IC2", "IC2", ""),
		lv("Dropbox", "IC3", "IC3", ""),
		lv("Dropbox", "IC4", "IC4", ""),
		lv("Dropbox", "IC5", "IC5", ""),
	},
	// Wayfair: L1 entry, L2 mid-level, L3 senior, L4 staff, L5 senior staff (years 1, 3, 6, 10, 12).
	[]LevelEntry{
		lv("Wayfair", "L1", "IC1", "", "1"),
		lv("Wayfair", "L2", "IC2", "", "2"),
		lv("Wayfair", "L3", "IC3", "", "3"),
		lv("Wayfair", "L4", "IC4", "", "4"),
		lv("Wayfair", "L5", "IC5", "", "5"),
	},
	// eBay: shares PayPal's grades (they were one company until 2015): SE2 (grade 23)
	// entry, SE3 (24) mid-level, MTS1 (25) senior, MTS2 (26) staff, Senior MTS (27) senior
	// staff (years 2, 4, 8.5, 12, 13).
	[]LevelEntry{
		lv("eBay", "SE2", "IC1", "", "Software Engineer 2", "Software Engineer II", "T23", "23"),
		lv("eBay", "SE3", "IC2", "", "Software Engineer 3", "Software Engineer III", "T24", "24", "L24"),
		lv("eBay", "MTS1", "IC3", "", "Member of Technical Staff 1", "T25", "25", "L25"),
		lv("eBay", "MTS2", "IC4", "", "Member of Technical Staff 2", "T26", "26", "L26"),
		lv("eBay", "Senior MTS", "IC5", "", "Sr MTS", "Senior Member of Technical Staff", "T27", "27", "L27"),
	},
	// Lyft: T3 entry ... T7 senior staff; L3-L7 are the same grades for other functions
	// (matching medians). M1 is a first-line manager.
	[]LevelEntry{
		lv("Lyft", "T3", "IC1", "", "L3"),
		lv("Lyft", "T4", "IC2", "", "L4"),
		lv("Lyft", "T5", "IC3", "", "L5", "5"),
		lv("Lyft", "T6", "IC4", "", "L6"),
		lv("Lyft", "T7", "IC5", "", "L7"),
		lv("Lyft", "M1", "", "M1"),
	},
)

// intelGrades lists Intel's grades with the spellings the export uses for them.
func intelGrades() []LevelEntry {
	rung := map[string]string{"5": "IC1", "6": "IC2", "7": "IC2", "8": "IC3", "9": "IC3", "10": "IC4", "11": "IC5"}
	var out []LevelEntry
	for _, g := range []string{"5", "6", "7", "8", "9", "10", "11"} {
		out = append(out, lv("Intel", "Grade "+g, rung[g], "", g, "G"+g, "Gr"+g, "L"+g, "Level "+g))
	}
	return out
}

// ladderL3to7 is a ladder whose L3-L7 are the standard IC1-IC5 (Google's numbering).
func ladderL3to7(company string) []LevelEntry {
	var out []LevelEntry
	for i, n := range []string{"3", "4", "5", "6", "7"} {
		out = append(out, lv(company, "L"+n, fmt.Sprintf("IC%d", i+1), "", n))
	}
	return out
}

func concat(lists ...[]LevelEntry) []LevelEntry {
	var out []LevelEntry
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
