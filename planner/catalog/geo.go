package catalog

import (
	"slices"
	"strings"
	"sync"
	"unicode"
)

// Scope is the breadth of a location. Fallback widens a cohort metro -> zone ->
// country, never across a country.
type Scope int

const (
	ScopeMetro Scope = iota + 1
	ScopeZone
	ScopeCountry
)

func (s Scope) String() string {
	switch s {
	case ScopeMetro:
		return "metro"
	case ScopeZone:
		return "zone"
	case ScopeCountry:
		return "country"
	}
	return "unknown"
}

// Country is a country by ISO 3166-1 alpha-2 code.
type Country struct {
	Code    string
	Name    string
	Aliases []string // other names people write, lower case
}

// Zone is a pay zone inside one country (geo tiers: REFERENCE.md, "Geo tiers").
type Zone struct {
	ID      string
	Name    string
	Country string
}

// Metro is a metropolitan area. Cities are written "City, ST" in the US (the state
// keeps Cambridge MA apart from Cambridge UK, and Dublin CA from Dublin, Ireland) and
// "City" elsewhere, within the metro's country.
type Metro struct {
	ID      string
	Name    string
	Zone    string // empty where the country has a single zone
	Country string
	Cities  []string
}

// Countries version 1 knows; every amount is still USD. Names are written as the
// Levels.fyi export writes them ("City, Region, Country"); aliases cover other common
// spellings.
var Countries = []Country{
	{Code: "US", Name: "United States", Aliases: []string{"usa", "us", "united states of america", "u.s.", "u.s.a.", "puerto rico"}},
	{Code: "CA", Name: "Canada"},
	{Code: "GB", Name: "United Kingdom", Aliases: []string{"uk", "england", "great britain", "scotland"}},
	{Code: "IN", Name: "India"},
	{Code: "DE", Name: "Germany"},
	{Code: "IE", Name: "Ireland"},
	{Code: "NL", Name: "Netherlands", Aliases: []string{"the netherlands"}},
	{Code: "SG", Name: "Singapore"},
	{Code: "IL", Name: "Israel"},
	{Code: "CH", Name: "Switzerland"},
	{Code: "AU", Name: "Australia"},
	{Code: "TW", Name: "Taiwan"},
	{Code: "RU", Name: "Russia", Aliases: []string{"russian federation"}},
	{Code: "CN", Name: "China", Aliases: []string{"mainland china", "people's republic of china"}},
	{Code: "ES", Name: "Spain"},
	{Code: "FR", Name: "France"},
	{Code: "JP", Name: "Japan"},
	{Code: "PL", Name: "Poland"},
	{Code: "UA", Name: "Ukraine"},
	{Code: "SE", Name: "Sweden"},
	{Code: "CZ", Name: "Czech Republic", Aliases: []string{"czechia"}},
	{Code: "BR", Name: "Brazil"},
	{Code: "LU", Name: "Luxembourg"},
	{Code: "HK", Name: "Hong Kong", Aliases: []string{"hong kong (sar)", "hong kong sar"}},
	{Code: "AE", Name: "United Arab Emirates", Aliases: []string{"uae"}},
	{Code: "ID", Name: "Indonesia"},
	{Code: "RO", Name: "Romania"},
	{Code: "BY", Name: "Belarus"},
	{Code: "AR", Name: "Argentina"},
	{Code: "TH", Name: "Thailand"},
	{Code: "HU", Name: "Hungary"},
	{Code: "MX", Name: "Mexico"},
	{Code: "NO", Name: "Norway"},
	{Code: "EE", Name: "Estonia"},
	{Code: "CO", Name: "Colombia"},
	{Code: "ZA", Name: "South Africa"},
	{Code: "IT", Name: "Italy"},
	{Code: "NG", Name: "Nigeria"},
	{Code: "DK", Name: "Denmark"},
	{Code: "BG", Name: "Bulgaria"},
	{Code: "NZ", Name: "New Zealand"},
	{Code: "FI", Name: "Finland"},
	{Code: "PT", Name: "Portugal"},
	{Code: "AT", Name: "Austria"},
	{Code: "CR", Name: "Costa Rica"},
	{Code: "RS", Name: "Serbia"},
	{Code: "PH", Name: "Philippines"},
	{Code: "KE", Name: "Kenya"},
	{Code: "SK", Name: "Slovakia"},
	{Code: "CL", Name: "Chile"},
	{Code: "MY", Name: "Malaysia"},
	{Code: "SA", Name: "Saudi Arabia"},
	{Code: "TR", Name: "Turkey", Aliases: []string{"türkiye", "turkiye"}},
	{Code: "LT", Name: "Lithuania"},
	{Code: "LV", Name: "Latvia"},
	{Code: "PE", Name: "Peru"},
	{Code: "BE", Name: "Belgium"},
	{Code: "VN", Name: "Vietnam", Aliases: []string{"viet nam"}},
	{Code: "MD", Name: "Moldova"},
	{Code: "JO", Name: "Jordan"},
	{Code: "UY", Name: "Uruguay"},
	{Code: "KR", Name: "South Korea", Aliases: []string{"korea", "republic of korea", "korea (south)"}},
	{Code: "PK", Name: "Pakistan"},
	{Code: "BD", Name: "Bangladesh"},
	{Code: "EG", Name: "Egypt"},
	{Code: "MA", Name: "Morocco"},
	{Code: "GH", Name: "Ghana"},
	{Code: "QA", Name: "Qatar"},
	{Code: "KZ", Name: "Kazakhstan"},
	{Code: "UZ", Name: "Uzbekistan"},
	{Code: "AM", Name: "Armenia"},
	{Code: "IQ", Name: "Iraq"},
	{Code: "PA", Name: "Panama"},
	{Code: "GT", Name: "Guatemala"},
	{Code: "TT", Name: "Trinidad and Tobago"},
	{Code: "MM", Name: "Myanmar", Aliases: []string{"burma"}},
	{Code: "MH", Name: "Marshall Islands"},
}

// Zones: US tiers follow one published scheme (Tier 1 San Francisco and New York;
// Tier 2 Boston, Washington, Los Angeles, San Diego; lower tiers elsewhere), with
// Seattle in tier 1 because its market median sits next to the Bay Area's.
var Zones = []Zone{
	{ID: "us-tier-1", Name: "US tier 1", Country: "US"},
	{ID: "us-tier-2", Name: "US tier 2", Country: "US"},
	{ID: "us-tier-3", Name: "US tier 3", Country: "US"},
	{ID: "ca-tier-1", Name: "Canada tier 1", Country: "CA"},
	{ID: "ca-tier-2", Name: "Canada tier 2", Country: "CA"},
	{ID: "in-tier-1", Name: "India tier 1", Country: "IN"},
	{ID: "in-tier-2", Name: "India tier 2", Country: "IN"},
	{ID: "gb-london", Name: "London zone", Country: "GB"},
	{ID: "gb-national", Name: "UK outside London", Country: "GB"},
}

// Metros with the cities that belong to them. A US metro is the Census Bureau's combined
// statistical area around its core (so Santa Rosa and Tracy are Bay Area, Nashua and
// Worcester Boston, Ann Arbor Detroit, Provo and Ogden Salt Lake City); suburbs are listed
// as the Levels.fyi export spells them ("Mc Lean, VA" beside "McLean, VA"). Abroad a
// metro is the city with its contiguous urban area.
var Metros = []Metro{
	{ID: "sf-bay-area", Name: "San Francisco Bay Area", Zone: "us-tier-1", Country: "US", Cities: []string{
		"San Francisco, CA", "San Jose, CA", "Mountain View, CA", "Sunnyvale, CA", "Menlo Park, CA",
		"Cupertino, CA", "Santa Clara, CA", "Palo Alto, CA", "Redwood City, CA", "Pleasanton, CA",
		"Los Gatos, CA", "San Mateo, CA", "Foster City, CA", "Oakland, CA", "Fremont, CA",
		"Milpitas, CA", "Burlingame, CA", "South San Francisco, CA", "San Bruno, CA", "Berkeley, CA",
		"Emeryville, CA", "Dublin, CA", "San Ramon, CA", "Walnut Creek, CA", "Belmont, CA",
		"Redwood Shores, CA", "Campbell, CA", "Los Altos, CA", "Newark, CA", "Hayward, CA",
		"Brisbane, CA", "San Carlos, CA", "Santa Cruz, CA", "Mill Valley, CA", "Daly City, CA", "Alameda, CA",
		"San Rafael, CA", "San Leandro, CA", "Point Richmond, CA", "Livermore, CA", "Tracy, CA", "Gilroy, CA",
		"Pittsburg, CA", "Santa Rosa, CA", "Vacaville, CA", "San Juan Bautista, CA", "Half Moon Bay, CA",
		"Concord, CA", "Novato, CA", "Napa, CA", "Morgan Hill, CA", "Saratoga, CA", "Union City, CA"}},
	{ID: "seattle", Name: "Seattle", Zone: "us-tier-1", Country: "US", Cities: []string{
		"Seattle, WA", "Redmond, WA", "Bellevue, WA", "Kirkland, WA", "Bothell, WA", "Issaquah, WA",
		"Everett, WA", "Tacoma, WA", "Renton, WA", "Kent, WA", "Snoqualmie, WA", "Sammamish, WA", "Sumner, WA",
		"Woodinville, WA", "Lynnwood, WA", "Auburn, WA", "Federal Way, WA", "Mercer Island, WA"}},
	{ID: "new-york", Name: "New York", Zone: "us-tier-1", Country: "US", Cities: []string{
		"New York, NY", "Brooklyn, NY", "Jersey City, NJ", "Hoboken, NJ", "Newark, NJ", "Stamford, CT",
		"White Plains, NY", "Long Island City, NY", "Manhattan, NY", "Queens, NY", "Bronx, NY", "Staten Island, NY",
		"Armonk, NY", "Yorktown Heights, NY", "Purchase, NY", "Holtsville, NY", "Hauppauge, NY", "New City, NY",
		"Tarrytown, NY", "Rye, NY", "Whippany, NJ", "Basking Ridge, NJ", "Roseland, NJ", "Holmdel, NJ",
		"Princeton, NJ", "Middletown, NJ", "Florham Park, NJ", "Bridgewater, NJ", "Edison, NJ", "Skillman, NJ",
		"Raritan, NJ", "Ridgefield Park, NJ", "Teaneck, NJ", "Pennington, NJ", "Parsippany, NJ", "Secaucus, NJ",
		"Wayne, NJ", "Piscataway, NJ", "New Brunswick, NJ", "Montvale, NJ", "Warren, NJ", "Clifton, NJ",
		"Rahway, NJ", "Summit, NJ", "Morristown, NJ", "Morris Plains, NJ", "Iselin, NJ", "Berkeley Heights, NJ",
		"East Rutherford, NJ", "Edgewater, NJ", "Englewood Cliffs, NJ", "Mahwah, NJ", "Paterson, NJ",
		"West Orange, NJ", "Murray Hill, NJ", "New Providence, NJ", "Whitehouse Station, NJ", "Bergenfield, NJ",
		"Eatontown, NJ", "Hopewell, NJ", "Titusville, NJ", "Hamilton, NJ", "Trenton, NJ", "Highland Park, NJ",
		"Norwalk, CT", "Greenwich, CT", "Wilton, CT", "Stratford, CT", "Westport, CT", "Shelton, CT",
		"Trumbull, CT", "Fairfield, CT", "Bridgeport, CT", "Danbury, CT"}},
	{ID: "boston", Name: "Boston", Zone: "us-tier-2", Country: "US", Cities: []string{
		"Boston, MA", "Cambridge, MA", "Waltham, MA", "Burlington, MA", "Somerville, MA",
		"Lexington, MA", "Marlborough, MA", "Needham, MA", "Natick, MA", "Hopkinton, MA", "Boxborough, MA",
		"Littleton, MA", "Hudson, MA", "Bedford, MA", "Framingham, MA", "North Reading, MA", "Westford, MA",
		"Watertown, MA", "Tewksbury, MA", "Newton, MA", "Wilmington, MA", "Andover, MA", "Wellesley, MA",
		"Westborough, MA", "Lynn, MA", "Beverly, MA", "Needham Heights, MA", "Woburn, MA", "Quincy, MA",
		"Chelmsford, MA", "Lowell, MA", "Maynard, MA", "Acton, MA", "Billerica, MA", "Worcester, MA",
		"Nashua, NH", "Merrimack, NH", "Hudson, NH", "Pelham, NH", "Manchester, NH", "Salem, NH"}},
	{ID: "washington-dc", Name: "Washington, DC", Zone: "us-tier-2", Country: "US", Cities: []string{
		"Washington, DC", "Arlington, VA", "Herndon, VA", "McLean, VA", "Reston, VA", "Tysons, VA",
		"Tysons Corner, VA", "Chantilly, VA", "Fairfax, VA", "Vienna, VA", "Alexandria, VA",
		"Bethesda, MD", "Rockville, MD", "Baltimore, MD", "Columbia, MD", "Mc Lean, VA", "West McLean, VA",
		"Ashburn, VA", "Dulles, VA", "Sterling, VA", "Falls Church, VA", "Manassas, VA", "Centreville, VA",
		"Fairfax Station, VA", "Springfield, VA", "Annandale, VA", "Leesburg, VA", "Annapolis Junction, MD",
		"Gaithersburg, MD", "Fulton, MD", "Owings Mills, MD", "Elkridge, MD", "Silver Spring, MD", "Frederick, MD",
		"Hunt Valley, MD", "Germantown, MD", "Linthicum Heights, MD", "College Park, MD", "Suitland, MD",
		"Ellicott City, MD", "Hanover, MD", "Fort George G Meade, MD", "Fort Meade, MD", "Annapolis, MD",
		"Aberdeen Proving Ground, MD", "Abingdon, MD", "Laurel, MD", "Greenbelt, MD"}},
	{ID: "los-angeles", Name: "Los Angeles", Zone: "us-tier-2", Country: "US", Cities: []string{
		"Los Angeles, CA", "Santa Monica, CA", "Irvine, CA", "Culver City, CA", "Playa Vista, CA",
		"Pasadena, CA", "Burbank, CA", "El Segundo, CA", "Long Beach, CA", "Venice, CA",
		"Glendale, CA", "Torrance, CA", "Costa Mesa, CA", "Newport Beach, CA", "Hawthorne, CA",
		"Manhattan Beach, CA", "Redondo Beach, CA", "Lake Forest, CA", "Aliso Viejo, CA", "Hollywood, CA",
		"Thousand Oaks, CA", "Northridge, CA", "Palmdale, CA", "Seal Beach, CA", "Orange, CA", "San Fernando, CA",
		"La Canada Flintridge, CA", "Santa Clarita, CA", "Cypress, CA", "Anaheim, CA", "Tustin, CA",
		"Fullerton, CA", "Brea, CA", "Huntington Beach, CA", "Los Alamitos, CA", "Woodland Hills, CA",
		"Van Nuys, CA", "West Hollywood, CA", "Azusa, CA", "San Dimas, CA", "Claremont, CA",
		"Hawaiian Gardens, CA", "Redlands, CA", "Rialto, CA", "Riverside, CA", "Marina del Rey, CA",
		"Westlake Village, CA", "Calabasas, CA", "Mission Viejo, CA", "Oxnard, CA", "Camarillo, CA"}},
	{ID: "san-diego", Name: "San Diego", Zone: "us-tier-2", Country: "US", Cities: []string{
		"San Diego, CA", "La Jolla, CA", "Carlsbad, CA", "San Marcos, CA", "Poway, CA", "Oceanside, CA",
		"Escondido, CA", "Del Mar, CA"}},
	{ID: "austin", Name: "Austin", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Austin, TX", "Round Rock, TX", "Buda, TX", "Cedar Park, TX", "Georgetown, TX", "Pflugerville, TX"}},
	{ID: "chicago", Name: "Chicago", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Chicago, IL", "Evanston, IL", "Schaumburg, IL", "Deerfield, IL", "Naperville, IL", "Northbrook, IL",
		"Chicago Heights, IL", "Rolling Meadows, IL", "Hoffman Estates, IL", "Warrenville, IL", "Buffalo Grove, IL",
		"Arlington Heights, IL", "Waukegan, IL", "Oak Brook, IL", "Downers Grove, IL", "Lisle, IL",
		"Lake Forest, IL", "Skokie, IL", "Itasca, IL"}},
	{ID: "denver", Name: "Denver and Boulder", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Denver, CO", "Boulder, CO", "Broomfield, CO", "Englewood, CO", "Louisville, CO", "Longmont, CO",
		"Littleton, CO", "Aurora, CO", "Greenwood Village, CO", "Arvada, CO", "Thornton, CO", "Westminster, CO",
		"Parker, CO", "Lakewood, CO", "Golden, CO", "Superior, CO", "Lafayette, CO"}},
	{ID: "atlanta", Name: "Atlanta", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Atlanta, GA", "Alpharetta, GA", "Marietta, GA", "Duluth, GA", "Roswell, GA", "Suwanee, GA",
		"Peachtree City, GA", "Sandy Springs, GA", "Norcross, GA", "Kennesaw, GA"}},
	{ID: "dallas", Name: "Dallas-Fort Worth", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Dallas, TX", "Plano, TX", "Irving, TX", "Fort Worth, TX", "Richardson, TX", "Frisco, TX",
		"Southlake, TX", "Coppell, TX", "McKinney, TX", "Allen, TX", "Roanoke, TX",
		"Addison, TX", "Carrollton, TX", "Westlake, TX", "Lewisville, TX"}},
	{ID: "portland", Name: "Portland", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Portland, OR", "Hillsboro, OR", "Beaverton, OR", "Tualatin, OR", "Wilsonville, OR", "Oregon City, OR",
		"Lake Oswego, OR", "Tigard, OR", "Camas, WA"}},
	{ID: "houston", Name: "Houston", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Houston, TX", "Spring, TX", "Sugar Land, TX", "Texas City, TX", "North Houston, TX", "Katy, TX",
		"The Woodlands, TX", "Humble, TX", "Pasadena, TX", "League City, TX", "Jamaica Beach, TX"}},
	{ID: "minneapolis", Name: "Minneapolis-St. Paul", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Minneapolis, MN", "Saint Paul, MN", "St Paul, MN", "St. Paul, MN", "Eden Prairie, MN", "Roseville, MN",
		"Eagan, MN", "Bloomington, MN", "Brooklyn Park, MN", "Plymouth, MN", "Minnetonka, MN", "Burnsville, MN",
		"Edina, MN", "Maple Grove, MN", "Saint Louis Park, MN", "St. Louis Park, MN"}},
	{ID: "raleigh-durham", Name: "Raleigh-Durham", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Raleigh, NC", "Durham, NC", "Cary, NC", "Morrisville, NC", "Chapel Hill, NC", "Research Triangle Park, NC",
		"Garner, NC", "Apex, NC", "Wake Forest, NC"}},
	{ID: "pittsburgh", Name: "Pittsburgh", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Pittsburgh, PA", "Canonsburg, PA", "Cranberry Township, PA"}},
	{ID: "philadelphia", Name: "Philadelphia", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Philadelphia, PA", "Malvern, PA", "King of Prussia, PA", "Newtown Square, PA", "West Chester, PA",
		"Exton, PA", "Bala Cynwyd, PA", "Horsham, PA", "Conshohocken, PA", "Wayne, PA", "Berwyn, PA",
		"Plymouth Meeting, PA", "Downingtown, PA", "Chester Springs, PA", "Langhorne, PA", "Ridley Park, PA",
		"Blue Bell, PA", "Fort Washington, PA", "Wilmington, DE", "Newark, DE", "Claymont, DE",
		"Mount Laurel, NJ", "Moorestown, NJ", "Maple Shade, NJ", "Cherry Hill, NJ", "Camden, NJ"}},
	{ID: "phoenix", Name: "Phoenix", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Phoenix, AZ", "Tempe, AZ", "Chandler, AZ", "Scottsdale, AZ", "Gilbert, AZ", "Mesa, AZ",
		"Chandler Heights, AZ", "Glendale, AZ", "Peoria, AZ"}},
	{ID: "charlotte", Name: "Charlotte", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Charlotte, NC", "Fort Mill, SC", "Concord, NC", "Rock Hill, SC"}},
	{ID: "richmond-va", Name: "Richmond (VA)", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Richmond, VA", "Glen Allen, VA", "Henrico, VA"}},
	{ID: "sacramento", Name: "Sacramento", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Sacramento, CA", "Folsom, CA", "Roseville, CA", "Rocklin, CA", "Elk Grove, CA", "El Dorado Hills, CA",
		"Placerville, CA", "Shingle Springs, CA", "Davis, CA", "Rancho Cordova, CA"}},
	{ID: "salt-lake-city", Name: "Salt Lake City and Provo", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Salt Lake City, UT", "Lehi, UT", "Provo, UT", "Draper, UT", "South Jordan, UT", "American Fork, UT",
		"Murray, UT", "Sandy, UT", "Midvale, UT", "West Valley City, UT", "Lindon, UT", "Orem, UT",
		"Pleasant Grove, UT", "Ogden, UT", "Layton, UT", "Farmington, UT", "Clearfield, UT", "Roy, UT",
		"Cottonwood Heights, UT"}},
	{ID: "kansas-city", Name: "Kansas City", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Kansas City, MO", "Kansas City, KS", "Overland Park, KS", "Olathe, KS", "Lenexa, KS",
		"Shawnee Mission, KS", "Leawood, KS"}},
	{ID: "columbus", Name: "Columbus (OH)", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Columbus, OH", "Dublin, OH", "Westerville, OH", "New Albany, OH"}},
	{ID: "detroit", Name: "Detroit and Ann Arbor", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Detroit, MI", "Dearborn, MI", "Warren, MI", "Ann Arbor, MI", "Troy, MI", "Auburn Hills, MI",
		"Southfield, MI", "Pontiac, MI", "Dearborn Heights, MI", "Allen Park, MI", "Milford, MI",
		"Plymouth, MI", "Novi, MI", "Livonia, MI", "Farmington Hills, MI"}},
	{ID: "madison", Name: "Madison", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Madison, WI", "Verona, WI", "Middleton, WI"}},
	{ID: "northwest-arkansas", Name: "Northwest Arkansas", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Bentonville, AR", "Rogers, AR", "Fayetteville, AR", "Springdale, AR"}},
	{ID: "san-antonio", Name: "San Antonio", Zone: "us-tier-3", Country: "US", Cities: []string{
		"San Antonio, TX", "New Braunfels, TX"}},
	{ID: "nashville", Name: "Nashville", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Nashville, TN", "Franklin, TN", "Murfreesboro, TN", "Antioch, TN", "Hermitage, TN", "Brentwood, TN"}},
	{ID: "st-louis", Name: "St. Louis", Zone: "us-tier-3", Country: "US", Cities: []string{
		"St. Louis, MO", "Saint Louis, MO", "St Louis, MO", "O Fallon, MO", "O'Fallon, MO", "Saint Charles, MO",
		"Saint Peters, MO", "Maryland Heights, MO", "Hazelwood, MO", "Lake Saint Louis, MO", "Chesterfield, MO",
		"Clayton, MO"}},
	{ID: "indianapolis", Name: "Indianapolis", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Indianapolis, IN", "Carmel, IN", "Fishers, IN"}},
	{ID: "orlando", Name: "Orlando", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Orlando, FL", "Lake Mary, FL", "Sorrento, FL", "Winter Park, FL", "Sanford, FL"}},
	{ID: "tampa", Name: "Tampa Bay", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Tampa, FL", "St. Petersburg, FL", "Saint Petersburg, FL", "Clearwater, FL", "Oldsmar, FL"}},
	{ID: "miami", Name: "Miami-Fort Lauderdale", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Miami, FL", "Fort Lauderdale, FL", "Weston, FL", "Plantation, FL", "Plantation Acres, FL", "Sunrise, FL",
		"Miami Beach, FL", "Boca Raton, FL", "Davie, FL", "Deerfield Beach, FL", "Miramar, FL",
		"West Palm Beach, FL", "Palm Beach, FL", "Coral Gables, FL", "Doral, FL"}},
	{ID: "cincinnati", Name: "Cincinnati", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Cincinnati, OH", "Mason, OH", "West Chester, OH", "Covington, KY"}},
	{ID: "milwaukee", Name: "Milwaukee", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Milwaukee, WI", "Waukesha, WI", "Menomonee Falls, WI", "Franklin, WI", "Brookfield, WI"}},
	{ID: "hartford", Name: "Hartford", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Hartford, CT", "East Hartford, CT", "Windsor, CT", "Bloomfield, CT", "Farmington, CT", "Simsbury, CT",
		"Windsor Locks, CT", "Bristol, CT"}},
	{ID: "boise", Name: "Boise", Zone: "us-tier-3", Country: "US", Cities: []string{"Boise, ID", "Meridian, ID", "Nampa, ID"}},
	{ID: "santa-barbara", Name: "Santa Barbara", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Santa Barbara, CA", "Goleta, CA", "Carpinteria, CA"}},
	{ID: "colorado-springs", Name: "Colorado Springs", Zone: "us-tier-3", Country: "US", Cities: []string{
		"Colorado Springs, CO", "Monument, CO"}},
	{ID: "cleveland", Name: "Cleveland", Zone: "us-tier-3", Country: "US", Cities: []string{"Cleveland, OH"}},
	{ID: "tucson", Name: "Tucson", Zone: "us-tier-3", Country: "US", Cities: []string{"Tucson, AZ"}},
	{ID: "las-vegas", Name: "Las Vegas", Zone: "us-tier-3", Country: "US", Cities: []string{"Las Vegas, NV", "Henderson, NV"}},
	{ID: "grand-rapids", Name: "Grand Rapids", Zone: "us-tier-3", Country: "US", Cities: []string{"Grand Rapids, MI"}},
	{ID: "oklahoma-city", Name: "Oklahoma City", Zone: "us-tier-3", Country: "US", Cities: []string{"Oklahoma City, OK"}},
	{ID: "toronto", Name: "Toronto", Zone: "ca-tier-1", Country: "CA", Cities: []string{
		"Toronto", "Mississauga", "Markham", "Waterloo", "Kitchener", "Brampton", "Oakville", "Richmond Hill", "Vaughan"}},
	{ID: "vancouver", Name: "Vancouver", Zone: "ca-tier-1", Country: "CA", Cities: []string{
		"Vancouver", "Burnaby", "Richmond"}},
	{ID: "montreal", Name: "Montreal", Zone: "ca-tier-2", Country: "CA", Cities: []string{"Montreal", "Montréal"}},
	{ID: "ottawa", Name: "Ottawa", Zone: "ca-tier-2", Country: "CA", Cities: []string{"Ottawa", "Kanata"}},
	{ID: "calgary", Name: "Calgary", Zone: "ca-tier-2", Country: "CA", Cities: []string{"Calgary"}},
	{ID: "edmonton", Name: "Edmonton", Zone: "ca-tier-2", Country: "CA", Cities: []string{"Edmonton"}},
	{ID: "london", Name: "London", Zone: "gb-london", Country: "GB", Cities: []string{"London"}},
	{ID: "cambridge-uk", Name: "Cambridge (UK)", Zone: "gb-national", Country: "GB", Cities: []string{"Cambridge"}},
	{ID: "edinburgh", Name: "Edinburgh", Zone: "gb-national", Country: "GB", Cities: []string{"Edinburgh"}},
	{ID: "glasgow", Name: "Glasgow", Zone: "gb-national", Country: "GB", Cities: []string{"Glasgow"}},
	{ID: "manchester", Name: "Manchester", Zone: "gb-national", Country: "GB", Cities: []string{"Manchester", "Stockport", "Salford"}},
	{ID: "bristol", Name: "Bristol", Zone: "gb-national", Country: "GB", Cities: []string{"Bristol"}},
	{ID: "bangalore", Name: "Bangalore", Zone: "in-tier-1", Country: "IN", Cities: []string{"Bangalore", "Bengaluru"}},
	{ID: "hyderabad", Name: "Hyderabad", Zone: "in-tier-1", Country: "IN", Cities: []string{"Hyderabad", "Secunderabad"}},
	{ID: "pune", Name: "Pune", Zone: "in-tier-2", Country: "IN", Cities: []string{"Pune"}},
	{ID: "delhi-ncr", Name: "Delhi NCR", Zone: "in-tier-2", Country: "IN", Cities: []string{"New Delhi", "Delhi", "Gurgaon", "Gurugram", "Noida"}},
	{ID: "chennai", Name: "Chennai", Zone: "in-tier-2", Country: "IN", Cities: []string{"Chennai"}},
	{ID: "mumbai", Name: "Mumbai", Zone: "in-tier-2", Country: "IN", Cities: []string{"Mumbai", "Navi Mumbai", "Thane", "Bombay"}},
	{ID: "berlin", Name: "Berlin", Country: "DE", Cities: []string{"Berlin"}},
	{ID: "munich", Name: "Munich", Country: "DE", Cities: []string{"Munich", "München"}},
	{ID: "frankfurt", Name: "Frankfurt", Country: "DE", Cities: []string{"Frankfurt", "Frankfurt am Main", "Offenbach", "Eschborn"}},
	{ID: "stuttgart", Name: "Stuttgart", Country: "DE", Cities: []string{"Stuttgart", "Böblingen", "Boeblingen", "Sindelfingen"}},
	{ID: "hamburg", Name: "Hamburg", Country: "DE", Cities: []string{"Hamburg"}},
	{ID: "rhine-neckar", Name: "Rhine-Neckar", Country: "DE", Cities: []string{
		"Walldorf", "Heidelberg", "Mannheim", "St. Leon-Rot", "Sankt Leon-Rot"}},
	{ID: "rhine-ruhr", Name: "Rhine-Ruhr", Country: "DE", Cities: []string{
		"Cologne", "Köln", "Koln", "Dusseldorf", "Düsseldorf", "Dortmund", "Essen", "Bonn", "Wuppertal", "Duisburg", "Bochum"}},
	{ID: "dublin", Name: "Dublin", Country: "IE", Cities: []string{"Dublin"}},
	{ID: "cork", Name: "Cork", Country: "IE", Cities: []string{"Cork"}},
	{ID: "galway", Name: "Galway", Country: "IE", Cities: []string{"Galway"}},
	{ID: "amsterdam", Name: "Amsterdam", Country: "NL", Cities: []string{"Amsterdam"}},
	{ID: "singapore", Name: "Singapore", Country: "SG", Cities: []string{"Singapore", "Raffles Park"}},
	{ID: "tel-aviv", Name: "Tel Aviv", Country: "IL", Cities: []string{"Tel Aviv", "Tel Aviv-Yafo", "Herzliya",
		"Herzliyya", "Petach Tikva", "Petah Tikva", "Petah Tiqva", "Raanana", "Ra'anana", "Ramat Gan", "Rehovot",
		"Hod Hasharon", "Holon", "Bnei Brak", "Givatayim", "Rishon LeZion"}},
	{ID: "haifa", Name: "Haifa", Country: "IL", Cities: []string{"Haifa", "Yokneam", "Yokneam Illit"}},
	{ID: "zurich", Name: "Zurich", Country: "CH", Cities: []string{"Zurich", "Zürich"}},
	{ID: "sydney", Name: "Sydney", Country: "AU", Cities: []string{"Sydney"}},
	{ID: "melbourne", Name: "Melbourne", Country: "AU", Cities: []string{"Melbourne"}},
	{ID: "brisbane", Name: "Brisbane", Country: "AU", Cities: []string{"Brisbane"}},
	{ID: "taipei", Name: "Taipei", Country: "TW", Cities: []string{"Taipei", "Taipei City", "New Taipei", "New Taipei City", "Taoyuan"}},
	{ID: "hsinchu", Name: "Hsinchu", Country: "TW", Cities: []string{"Hsinchu", "Hsin-chu", "Hsinchu City", "Zhubei"}},
	{ID: "moscow", Name: "Moscow", Country: "RU", Cities: []string{"Moscow"}},
	{ID: "saint-petersburg", Name: "Saint Petersburg", Country: "RU", Cities: []string{"Saint Petersburg", "St. Petersburg", "St Petersburg"}},
	{ID: "tokyo", Name: "Tokyo", Country: "JP", Cities: []string{"Tokyo", "Yokohama", "Kawasaki"}},
	{ID: "stockholm", Name: "Stockholm", Country: "SE", Cities: []string{"Stockholm", "Solna", "Kista"}},
	{ID: "madrid", Name: "Madrid", Country: "ES", Cities: []string{"Madrid"}},
	{ID: "paris", Name: "Paris", Country: "FR", Cities: []string{"Paris"}},
	{ID: "barcelona", Name: "Barcelona", Country: "ES", Cities: []string{"Barcelona"}},
	{ID: "kyiv", Name: "Kyiv", Country: "UA", Cities: []string{"Kyiv", "Kiev"}},
	{ID: "kharkiv", Name: "Kharkiv", Country: "UA", Cities: []string{"Kharkiv", "Kharkov"}},
	{ID: "lviv", Name: "Lviv", Country: "UA", Cities: []string{"Lviv"}},
	{ID: "warsaw", Name: "Warsaw", Country: "PL", Cities: []string{"Warsaw", "Warszawa"}},
	{ID: "krakow", Name: "Krakow", Country: "PL", Cities: []string{"Krakow", "Kraków"}},
	{ID: "gdansk", Name: "Gdansk (Tricity)", Country: "PL", Cities: []string{"Gdansk", "Gdańsk", "Gdynia", "Sopot"}},
	{ID: "wroclaw", Name: "Wroclaw", Country: "PL", Cities: []string{"Wroclaw", "Wrocław"}},
	{ID: "prague", Name: "Prague", Country: "CZ", Cities: []string{"Prague", "Praha"}},
	{ID: "hong-kong", Name: "Hong Kong", Country: "HK", Cities: []string{"Hong Kong", "Kowloon"}},
	{ID: "dubai", Name: "Dubai", Country: "AE", Cities: []string{"Dubai"}},
	{ID: "shanghai", Name: "Shanghai", Country: "CN", Cities: []string{"Shanghai"}},
	{ID: "beijing", Name: "Beijing", Country: "CN", Cities: []string{"Beijing"}},
	{ID: "shenzhen", Name: "Shenzhen", Country: "CN", Cities: []string{"Shenzhen"}},
	{ID: "hangzhou", Name: "Hangzhou", Country: "CN", Cities: []string{"Hangzhou"}},
	{ID: "sao-paulo", Name: "São Paulo", Country: "BR", Cities: []string{"Sao Paulo", "São Paulo"}},
	{ID: "jakarta", Name: "Jakarta", Country: "ID", Cities: []string{"Jakarta"}},
	{ID: "bangkok", Name: "Bangkok", Country: "TH", Cities: []string{"Bangkok"}},
	{ID: "budapest", Name: "Budapest", Country: "HU", Cities: []string{"Budapest"}},
	{ID: "buenos-aires", Name: "Buenos Aires", Country: "AR", Cities: []string{"Buenos Aires"}},
	{ID: "bucharest", Name: "Bucharest", Country: "RO", Cities: []string{"Bucharest", "Bucuresti"}},
	{ID: "tallinn", Name: "Tallinn", Country: "EE", Cities: []string{"Tallinn"}},
	{ID: "lagos", Name: "Lagos", Country: "NG", Cities: []string{"Lagos"}},
	{ID: "cape-town", Name: "Cape Town", Country: "ZA", Cities: []string{"Cape Town"}},
	{ID: "minsk", Name: "Minsk", Country: "BY", Cities: []string{"Minsk"}},
	{ID: "oslo", Name: "Oslo", Country: "NO", Cities: []string{"Oslo"}},
	{ID: "milan", Name: "Milan", Country: "IT", Cities: []string{"Milan", "Milano"}},
	{ID: "sofia", Name: "Sofia", Country: "BG", Cities: []string{"Sofia"}},
	{ID: "auckland", Name: "Auckland", Country: "NZ", Cities: []string{"Auckland"}},
	{ID: "luxembourg", Name: "Luxembourg", Country: "LU", Cities: []string{"Luxembourg", "Luxembourg City"}},
	{ID: "helsinki", Name: "Helsinki", Country: "FI", Cities: []string{"Helsinki", "Espoo"}},
	{ID: "copenhagen", Name: "Copenhagen", Country: "DK", Cities: []string{"Copenhagen", "København"}},
	{ID: "vienna", Name: "Vienna", Country: "AT", Cities: []string{"Vienna", "Wien"}},
	{ID: "belgrade", Name: "Belgrade", Country: "RS", Cities: []string{"Belgrade", "Beograd"}},
	{ID: "bogota", Name: "Bogotá", Country: "CO", Cities: []string{"Bogota", "Bogotá", "Usaquen", "Usaquén"}},
	{ID: "mexico-city", Name: "Mexico City", Country: "MX", Cities: []string{"Mexico City", "Ciudad de Mexico", "Ciudad de México", "Mexico"}},
	{ID: "guadalajara", Name: "Guadalajara", Country: "MX", Cities: []string{"Guadalajara", "Zapopan"}},
}

// usStateNames are the states' names, which mark "City, State" as a US location as
// their codes do ("Austin, Texas"; "Paris, Texas" is not Paris, France).
var usStateNames = map[string]string{
	"alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA", "colorado": "CO",
	"connecticut": "CT", "delaware": "DE", "district of columbia": "DC", "florida": "FL", "georgia": "GA",
	"hawaii": "HI", "idaho": "ID", "illinois": "IL", "indiana": "IN", "iowa": "IA", "kansas": "KS",
	"kentucky": "KY", "louisiana": "LA", "maine": "ME", "maryland": "MD", "massachusetts": "MA",
	"michigan": "MI", "minnesota": "MN", "mississippi": "MS", "missouri": "MO", "montana": "MT",
	"nebraska": "NE", "nevada": "NV", "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM",
	"new york": "NY", "north carolina": "NC", "north dakota": "ND", "ohio": "OH", "oklahoma": "OK",
	"oregon": "OR", "pennsylvania": "PA", "rhode island": "RI", "south carolina": "SC",
	"south dakota": "SD", "tennessee": "TN", "texas": "TX", "utah": "UT", "vermont": "VT",
	"virginia": "VA", "washington": "WA", "west virginia": "WV", "wisconsin": "WI", "wyoming": "WY",
	"puerto rico": "PR",
}

// usStates are the postal codes that mark "City, ST" as a US location.
var usStates = strings.Fields(`AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD
	MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV
	WI WY PR`)

// IsStateCode says whether s is a US state's postal code ("CA", "DE"), which some
// country codes also are.
func (g *Geography) IsStateCode(s string) bool { return g.states[strings.ToLower(s)] }

// Location is a free-text location resolved onto the geography. Scope is the
// narrowest level known: a metro has its zone (if any) and country filled in too.
type Location struct {
	Query   string
	Scope   Scope
	Metro   string
	Zone    string
	Country string
	// CountryOnly is true when the text named a place inside a known country that has
	// no metro here (for example "Omaha, NE"): the location widens to the country,
	// and bands say so instead of guessing a metro.
	CountryOnly bool
}

// ID is the id of the location at its own scope.
func (l Location) ID() string { return l.IDAt(l.Scope) }

// IDAt is the id of the location at a scope: the metro, zone or country id; empty
// when the location has nothing at that scope.
func (l Location) IDAt(s Scope) string {
	switch s {
	case ScopeMetro:
		return l.Metro
	case ScopeZone:
		return l.Zone
	case ScopeCountry:
		return l.Country
	}
	return ""
}

// At is the resolved location of a place id at a scope (a cohort's place), with the
// zone and country it lies in.
func (g *Geography) At(scope Scope, id string) Location {
	loc := Location{Query: id, Scope: scope}
	switch scope {
	case ScopeMetro:
		m, _ := g.Metro(id)
		loc.Metro, loc.Zone, loc.Country = m.ID, m.Zone, m.Country
	case ScopeZone:
		z, _ := g.Zone(id)
		loc.Zone, loc.Country = z.ID, z.Country
	default:
		loc.Country = id
	}
	return loc
}

// Geography indexes the tables above for resolution; build it once with NewGeography.
type Geography struct {
	metros    map[string]*Metro
	zones     map[string]*Zone
	countries map[string]*Country
	byName    map[string]Location // normalised metro / zone / country names and ids
	byCountry map[string]string   // normalised country names and aliases -> code
	byCity    map[string]string   // "city|ST" (US) or "city|CC" -> metro id
	cityOnly  map[string][]string // "city" -> metro ids, for a bare city name
	usCity    map[string]bool     // city names of US metros
	states    map[string]bool

	spellingsOnce sync.Once
	spellings     []spelling // for Suggest
}

// Geo is the built-in geography.
var Geo = NewGeography(Countries, Zones, Metros)

// NewGeography indexes countries, zones and metros.
func NewGeography(countries []Country, zones []Zone, metros []Metro) *Geography {
	g := &Geography{
		metros: map[string]*Metro{}, zones: map[string]*Zone{}, countries: map[string]*Country{},
		byName: map[string]Location{}, byCountry: map[string]string{}, byCity: map[string]string{}, cityOnly: map[string][]string{}, usCity: map[string]bool{},
		states: map[string]bool{},
	}
	for _, s := range usStates {
		g.states[strings.ToLower(s)] = true
	}
	for i := range countries {
		c := &countries[i]
		g.countries[c.Code] = c
		loc := Location{Scope: ScopeCountry, Country: c.Code}
		for _, n := range append([]string{c.Name}, c.Aliases...) {
			g.byName[normalise(n)] = loc
			g.byCountry[normalise(n)] = c.Code
		}
	}
	for i := range zones {
		z := &zones[i]
		g.zones[z.ID] = z
		loc := Location{Scope: ScopeZone, Zone: z.ID, Country: z.Country}
		g.byName[normalise(z.ID)] = loc
		g.byName[normalise(z.Name)] = loc
	}
	for i := range metros {
		m := &metros[i]
		g.metros[m.ID] = m
		loc := Location{Scope: ScopeMetro, Metro: m.ID, Zone: m.Zone, Country: m.Country}
		g.byName[normalise(m.ID)] = loc
		g.byName[normalise(m.Name)] = loc
		for _, c := range m.Cities {
			city, state := c, ""
			if i := strings.LastIndex(c, ","); i >= 0 {
				city, state = c[:i], normalise(c[i+1:])
			}
			city = normalise(city)
			g.byCity[cityKey(city, m.Country, state)] = m.ID
			// Bare city names are taken only abroad, and only when no US city has the
			// name: in the US the state is what tells Vienna, VA from Vienna and
			// Cambridge, MA from Cambridge.
			if m.Country == "US" {
				g.usCity[city] = true
			} else if !slices.Contains(g.cityOnly[city], m.ID) {
				g.cityOnly[city] = append(g.cityOnly[city], m.ID)
			}
		}
	}
	return g
}

// Resolve turns free text into a location: a metro, zone or country id or name
// ("sf-bay-area", "US tier 1", "Canada"), "City, ST" in the US, "City, Country" or
// "City, Region, Country" elsewhere, or a bare city name that only one metro has.
// A place in a known country with no metro here resolves to the country with
// CountryOnly set. ok is false when the text names nothing known.
func (g *Geography) Resolve(text string) (loc Location, ok bool) {
	defer func() { loc.Query = text }()
	n := normalise(text)
	if n == "" {
		return Location{}, false
	}
	if l, found := g.byName[n]; found {
		return l, true
	}
	// A country's ISO code, as ListCohorts names a country cohort ("DE"), in upper
	// case only: in free text "de" or "in" is more likely a typing slip.
	if code := strings.TrimSpace(text); len(code) == 2 && strings.ToUpper(code) == code {
		if _, found := g.countries[code]; found {
			return Location{Scope: ScopeCountry, Country: code}, true
		}
	}
	parts := strings.Split(n, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	city := parts[0]
	last := parts[len(parts)-1]
	// "City, ST" or "City, ST, United States"; "City, State" too.
	if st := g.state(last); st != "" && len(parts) == 2 {
		return g.cityIn(city, "US", st), true
	}
	// The last part is looked up among countries only: a metro that shares its
	// country's name (Singapore, Luxembourg, Hong Kong) must not hide the country in
	// "Singapore, SG, Singapore".
	country, known := g.byCountry[last]
	if !known {
		// A bare city abroad ("Bengaluru"), or one with its region ("Toronto, ON"),
		// when exactly one metro has it.
		if ids := g.cityOnly[city]; len(ids) == 1 && len(parts) <= 2 && !g.usCity[city] {
			return g.metroLocation(ids[0]), true
		}
		return Location{}, false
	}
	if country == "US" {
		if st := g.state(parts[1]); len(parts) == 3 && st != "" {
			return g.cityIn(city, "US", st), true
		}
		return Location{Scope: ScopeCountry, Country: "US", CountryOnly: true}, true
	}
	return g.cityIn(city, country, ""), true
}

// state is the lower-case postal code of the US state a normalised part names by code
// or by name ("tx", "texas"), or "".
func (g *Geography) state(part string) string {
	if code, ok := usStateNames[part]; ok {
		return strings.ToLower(code)
	}
	if g.states[part] {
		return part
	}
	return ""
}

// cityKey keys a city by its country and, in the US, its state, so that a state code
// never meets a country code (CA is California and Canada, IN Indiana and India).
func cityKey(city, country, state string) string { return city + "|" + country + "|" + state }

// cityIn looks a city up in a country (and US state) and falls back to the country.
func (g *Geography) cityIn(city, country, state string) Location {
	if id, found := g.byCity[cityKey(city, country, state)]; found {
		return g.metroLocation(id)
	}
	return Location{Scope: ScopeCountry, Country: country, CountryOnly: true}
}

func (g *Geography) metroLocation(id string) Location {
	m := g.metros[id]
	return Location{Scope: ScopeMetro, Metro: m.ID, Zone: m.Zone, Country: m.Country}
}

// Metro, Zone and Country look up by id.
func (g *Geography) Metro(id string) (Metro, bool) {
	m, ok := g.metros[id]
	if !ok {
		return Metro{}, false
	}
	return *m, true
}

func (g *Geography) Zone(id string) (Zone, bool) {
	z, ok := g.zones[id]
	if !ok {
		return Zone{}, false
	}
	return *z, true
}

func (g *Geography) Country(code string) (Country, bool) {
	c, ok := g.countries[code]
	if !ok {
		return Country{}, false
	}
	return *c, true
}

// Name is the display name of a location id at a scope.
func (g *Geography) Name(s Scope, id string) string {
	switch s {
	case ScopeMetro:
		if m, ok := g.metros[id]; ok {
			return m.Name
		}
	case ScopeZone:
		if z, ok := g.zones[id]; ok {
			return z.Name
		}
	case ScopeCountry:
		if c, ok := g.countries[id]; ok {
			return c.Name
		}
	}
	return ""
}

// normalise folds case, non-breaking and repeated spaces and trailing dots, so that
// "San Francisco,  CA." and "san francisco, ca" are the same key.
func normalise(s string) string {
	if normal(s) {
		return s // most requests name a cohort by its id: no copy
	}
	return fold(s)
}

func fold(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '\u00a0' {
			return ' '
		}
		return unicode.ToLower(r)
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, " ,", ",")
	// The one country name with a comma, as the Levels.fyi export writes it.
	s = strings.Replace(s, "korea, south", "south korea", 1)
	return strings.TrimRight(s, ". ")
}

// normal says whether normalise would return s unchanged, for the ASCII strings that
// ids and most names are; anything else takes the full path.
func normal(s string) bool {
	if s == "" || s[0] == ' ' || s[len(s)-1] == ' ' || s[len(s)-1] == '.' {
		return s == ""
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 0x80 || ('A' <= c && c <= 'Z') || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r':
			return false
		case c == ' ' && (s[i+1] == ' ' || s[i+1] == ','):
			return false
		}
	}
	return !strings.Contains(s, "korea, south")
}
