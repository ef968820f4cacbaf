package server_test

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/paymix/paymix/gen/paymix/v1"
)

// Every cohort ListCohorts names can be asked for by the id it gives: a band or
// market statistics answer, or refuse for want of data, never for an unknown location
// (country cohorts are named by ISO code).
func TestEveryListedCohortIsAskable(t *testing.T) {
	s := start(t, nil).ready(t)
	ctx := context.Background()
	market := pb.NewMarketServiceClient(s.conn)
	bands := pb.NewBandServiceClient(s.conn)
	var cohorts []*pb.CohortInfo
	for token := ""; ; {
		resp, err := market.ListCohorts(ctx, &pb.ListCohortsRequest{PageSize: 1000, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		cohorts = append(cohorts, resp.GetCohorts()...)
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	byScope := map[pb.GeoScope]int{}
	answered := 0
	for _, c := range cohorts {
		byScope[c.GetScope()]++
		band, err := bands.RecommendBand(ctx, &pb.RecommendBandRequest{JobFamily: c.GetJobFamily(), Level: c.GetLevel(), Location: c.GetLocationId()})
		switch status.Code(err) {
		case codes.OK:
			answered++
			loc := band.GetBand().GetCohort().GetLocation()
			if loc.GetScope() != c.GetScope() {
				t.Errorf("%s %s %s: band's location %v", c.GetJobFamily(), c.GetLevel(), c.GetLocationId(), loc)
			}
		case codes.FailedPrecondition:
		default:
			t.Errorf("band %s %s %s: %v", c.GetJobFamily(), c.GetLevel(), c.GetLocationId(), err)
		}
		if _, err := market.GetMarketStats(ctx, &pb.GetMarketStatsRequest{JobFamily: c.GetJobFamily(), Level: c.GetLevel(), Location: c.GetLocationId()}); err != nil {
			t.Errorf("stats %s %s %s: %v", c.GetJobFamily(), c.GetLevel(), c.GetLocationId(), err)
		}
	}
	if byScope[pb.GeoScope_GEO_SCOPE_COUNTRY] == 0 || byScope[pb.GeoScope_GEO_SCOPE_METRO] == 0 || answered < len(cohorts)/2 {
		t.Errorf("%d cohorts by scope %v, %d answered", len(cohorts), byScope, answered)
	}
	t.Logf("%d cohorts by scope %v, %d bands answered", len(cohorts), byScope, answered)
}

// A peer query for a company no row is from is 404 with the nearest names.
func TestUnknownCompanyIsNotFound(t *testing.T) {
	s := start(t, nil).ready(t)
	code, body := s.get(t, "/v1/market/stats?company=Demo%20Coo%207&companyLevel=IC3")
	if code != 404 || !strings.Contains(string(body), `no row of the market is from company \"Demo Coo 7\" (did you mean \"Demo Co 7\"`) ||
		!strings.Contains(string(body), `"reason":"COMPANY_NOT_FOUND"`) {
		t.Errorf("HTTP %d %s", code, body)
	}
	if code, body := s.get(t, "/v1/market/stats?company=Demo%20Co%207&companyLevel=IC3"); code != 200 || !strings.Contains(string(body), `"company":"Demo Co 7"`) {
		t.Errorf("known company: HTTP %d %.300s", code, body)
	}
}

// ListCohorts refuses a filter that names no job family or level of the catalog
// (it used to list nothing), and lists a valid one's cohorts.
func TestCohortFiltersAreChecked(t *testing.T) {
	s := start(t, nil).ready(t)
	for path, field := range map[string]string{
		"/v1/market/cohorts?jobFamily=astronaut":                  "job_family",
		"/v1/market/cohorts?level=IC99":                           "level",
		"/v1/market/cohorts?jobFamily=software-engineer&level=M3": "level",
	} {
		code, body := s.get(t, path)
		if code != 400 || !strings.Contains(string(body), `"field":"`+field+`"`) {
			t.Errorf("%s: HTTP %d %.300s", path, code, body)
		}
	}
	code, body := s.get(t, "/v1/market/cohorts?jobFamily=software-engineer&level=IC3&scope=GEO_SCOPE_COUNTRY")
	if code != 200 || !strings.Contains(string(body), `"locationId":"DE"`) || strings.Contains(string(body), `"level":"IC4"`) {
		t.Errorf("HTTP %d %.300s", code, body)
	}
}
