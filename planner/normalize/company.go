package normalize

import (
	"strings"
	"unicode"
)

// legalSuffixes are dropped from the end of a company name by CompanyKey ("Apple Inc.",
// "Google LLC", "Microsoft Corporation", "Bloomberg L.P."), never when nothing else is left.
var legalSuffixes = map[string]bool{
	"inc": true, "incorporated": true, "llc": true, "llp": true, "lp": true, "ltd": true, "limited": true,
	"corp": true, "corporation": true, "plc": true, "gmbh": true,
}

// CompanyKey folds a company name for matching: lower case, every kind of white space
// (NBSP included) collapsed to one space, punctuation and symbols removed, and legal
// suffixes dropped from the end ("Apple Inc." and "apple" are "apple"; "J.P. Morgan" and
// "JP Morgan" are "jp morgan").
func CompanyKey(raw string) string {
	var b strings.Builder
	b.Grow(len(raw))
	space := false
	for _, r := range raw {
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteRune(unicode.ToLower(r))
		default:
			// punctuation and symbols vanish without splitting the word: "T-Mobile" is "tmobile"
		}
	}
	k := b.String()
	for {
		i := strings.LastIndexByte(k, ' ')
		if i < 0 || !legalSuffixes[k[i+1:]] {
			return k
		}
		k = k[:i]
	}
}

// companyAliases: canonical display name -> other names of the same employer. A name is
// listed here when the market data spells it several ways or when a company is reported
// under an old or a subsidiary name that shares the parent's levels (Facebook is Meta,
// AWS is Amazon, Walmart Labs is Walmart's technology arm). Subsidiaries with their own
// level ladders (LinkedIn, GitHub, Audible, Twitch, Waymo) stay separate companies.
var companyAliases = map[string][]string{
	"Amazon":            {"Amazon Web Services", "AWS", "Amazon.com", "Amazon.com Services"},
	"Microsoft":         {"Microsoft Corporation"},
	"Google":            {"Alphabet", "Google Cloud", "YouTube"},
	"Meta":              {"Facebook", "Meta Platforms", "Instagram", "WhatsApp", "Oculus"},
	"Apple":             nil,
	"Oracle":            nil,
	"Salesforce":        {"salesforce.com"},
	"Intel":             nil,
	"IBM":               {"International Business Machines"},
	"Cisco":             {"Cisco Systems"},
	"Uber":              nil,
	"Capital One":       nil,
	"LinkedIn":          nil,
	"VMware":            nil,
	"Qualcomm":          nil,
	"JPMorgan Chase":    {"JP Morgan Chase", "JPMorgan", "JP Morgan", "J.P. Morgan", "Chase", "JPMorgan Chase & Co."},
	"Bloomberg":         {"Bloomberg LP"},
	"Goldman Sachs":     nil,
	"PayPal":            nil,
	"Intuit":            nil,
	"Nvidia":            nil,
	"Deloitte":          {"Deloitte Consulting", "Deloitte Advisory", "Deloitte Digital"},
	"Twitter":           nil,
	"Walmart":           {"Walmart Labs", "Walmart Global Tech", "WalmartLabs", "@WalmartLabs"},
	"Adobe":             nil,
	"eBay":              nil,
	"Accenture":         nil,
	"Expedia":           {"Expedia Group"},
	"SAP":               nil,
	"Wayfair":           nil,
	"Lyft":              nil,
	"Netflix":           nil,
	"Workday":           nil,
	"Dropbox":           nil,
	"Shopify":           nil,
	"Airbnb":            nil,
	"Dell Technologies": {"Dell", "Dell EMC"},
	"Visa":              nil,
	"Atlassian":         nil,
	"Snap":              {"Snapchat"},
	"Yelp":              nil,
	"Yahoo":             nil,
	"ServiceNow":        nil,
	"Tesla":             nil,
	"Square":            nil,
	"Stripe":            nil,
	"Indeed":            nil,
	"Yandex":            nil,
	"ByteDance":         {"TikTok"},
	"Splunk":            nil,
	"Zillow":            nil,
	"Comcast":           nil,
	"Broadcom":          nil,
	"T-Mobile":          nil,
	"Spotify":           nil,
	"Nutanix":           nil,
	"Pinterest":         nil,
	"EPAM Systems":      {"EPAM"},
	"American Express":  {"Amex"},
	"General Motors":    {"GM"},
	"Ernst and Young":   {"Ernst & Young", "EY"},
	"Booking.com":       {"Booking"},
	"PwC":               {"PricewaterhouseCoopers"},
	"Citrix":            {"Citrix Systems"},
	"Bank of America":   {"Bank of America Merrill Lynch"},
}

// companyByKey maps the CompanyKey of every canonical name and alias to the name.
var companyByKey = func() map[string]string {
	m := make(map[string]string, 2*len(companyAliases))
	for name, aliases := range companyAliases {
		m[CompanyKey(name)] = name
		for _, a := range aliases {
			m[CompanyKey(a)] = name
		}
	}
	return m
}()

// Company returns the canonical display name of a company: a known company or alias
// resolves to one name ("Facebook", "facebook ", "Meta Platforms" -> "Meta"; "AWS" ->
// "Amazon"); any other name comes back trimmed, with its white space collapsed.
func Company(raw string) string {
	if name, ok := companyByKey[CompanyKey(raw)]; ok {
		return name
	}
	return strings.Join(strings.Fields(raw), " ")
}

// FoldLevel folds a company level for matching: lower case, with white space, dashes,
// dots and underscores removed ("L 5", "l-5" and "L5." are "l5"; "SDE II" is "sdeii").
func FoldLevel(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || r == '-' || r == '.' || r == '_' || r == '\u2010' || r == '\u2013':
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}
