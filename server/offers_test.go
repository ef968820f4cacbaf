package server_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	pb "github.com/paymix/paymix/gen/paymix/v1"
)

func TestEvaluateOfferOverJSON(t *testing.T) {
	s := start(t, nil).ready(t)
	code, body, _ := s.post(t, "/v1/offers:evaluate", `{"offer":{"jobFamily":"software-engineer","level":"IC3","location":"San Francisco, CA",
		"base":375000,"tokens":{"usdPerYear":100000}}}`)
	if code != 200 {
		t.Fatalf("HTTP %d %s", code, body)
	}
	// Over JSON the answer is the evaluation itself.
	var e struct {
		HeadlineTotal, FirstYearTotal, TokenSharePercent, NegotiationBase, TokenCashEquivalent float64
		Projection                                                                             []struct{ Year, CumulativeGap, TokensAsBase float64 }
		Positions                                                                              []struct {
			Component                                      string
			MarketPercentile, CompaRatio, RangePenetration *float64
		}
		Flags       []struct{ Code, Explanation string }
		Assumptions struct{ Years, RaisePercent, UtilisationPercent, PersonalValueSharePercent float64 }
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatal(err)
	}
	if e.HeadlineTotal != 475000 || e.TokenSharePercent != 21.05 || e.NegotiationBase != 375000 || e.FirstYearTotal != 475000 || e.TokenCashEquivalent != 18750 {
		t.Errorf("evaluation %+v", e)
	}
	if len(e.Projection) != 4 || e.Projection[3].CumulativeGap != 18363 {
		t.Errorf("projection %+v", e.Projection)
	}
	if a := e.Assumptions; a.Years != 4 || a.RaisePercent != 3 || a.UtilisationPercent != 75 || a.PersonalValueSharePercent != 25 {
		t.Errorf("assumptions echoed %+v", a)
	}
	codes := map[string]bool{}
	for _, f := range e.Flags {
		codes[f.Code] = f.Explanation != ""
	}
	if !codes["TOKEN_SHARE_HIGH"] || !codes["TOKENS_NOT_PAY"] {
		t.Errorf("flags %+v", e.Flags)
	}
	if len(e.Positions) != 5 || e.Positions[0].Component != "COMPONENT_BASE" || e.Positions[0].CompaRatio == nil || e.Positions[0].MarketPercentile == nil {
		t.Errorf("positions %s", body)
	}
}

// The percentile position of an offer paying the market's own p50 (GetMarketStats of
// the same cohort, aged the same way) is the 50th.
func TestPositionsAgreeWithMarketStats(t *testing.T) {
	s := start(t, nil).ready(t)
	ctx := context.Background()
	stats, err := pb.NewMarketServiceClient(s.conn).GetMarketStats(ctx, &pb.GetMarketStatsRequest{JobFamily: "software-engineer", Level: "IC2", Location: "Seattle, WA"})
	if err != nil {
		t.Fatal(err)
	}
	offer := &pb.Offer{JobFamily: "software-engineer", Level: "IC2", Location: "Seattle, WA", Base: stats.GetBase().GetP50(),
		BonusTarget: proto.Float64(stats.GetBonus().GetP25()),
		Equity:      &pb.Equity{GrantValue: 4 * stats.GetEquity().GetP75()}}
	r, err := pb.NewOfferServiceClient(s.conn).EvaluateOffer(ctx, &pb.EvaluateOfferRequest{Offer: offer})
	if err != nil {
		t.Fatal(err)
	}
	want := map[pb.Component]float64{pb.Component_COMPONENT_BASE: 50, pb.Component_COMPONENT_BONUS: 25, pb.Component_COMPONENT_EQUITY: 75}
	for _, p := range r.GetEvaluation().GetPositions() {
		if w, ok := want[p.GetComponent()]; ok && math.Abs(p.GetMarketPercentile()-w) > 0.05 {
			t.Errorf("%s at the market's p%g is placed at %v", p.GetComponent(), w, p.GetMarketPercentile())
		}
	}
}

func TestCompareOffersOverJSON(t *testing.T) {
	s := start(t, nil).ready(t)
	code, body, _ := s.post(t, "/v1/offers:compare", `{"offers":[
		{"name":"$375k base + $100k tokens","jobFamily":"software-engineer","level":"IC3","location":"San Francisco, CA","base":375000,"tokens":{"usdPerYear":100000}},
		{"name":"$440k base","jobFamily":"software-engineer","level":"IC3","location":"San Francisco, CA","base":440000}]}`)
	var r pb.CompareOffersResponse
	if code != 200 || protojson.Unmarshal(body, &r) != nil {
		t.Fatalf("HTTP %d %s", code, body)
	}
	be := r.GetBreakEvens()
	if r.GetBest() != 1 || !strings.HasPrefix(r.GetSummary(), "$440k base is worth the most") || len(be) != 1 ||
		be[0].GetUtilisationPercent() != 271.94 || be[0].GetPersonalValueSharePercent() != 90.65 || len(r.GetYears()) != 4 {
		t.Errorf("comparison %s", body)
	}
	if code, body, _ := s.post(t, "/v1/offers:compare", `{"offers":[{"jobFamily":"software-engineer","level":"IC3","location":"Seattle","base":1}]}`); code != 400 ||
		!strings.Contains(string(body), "offers") {
		t.Errorf("one offer: HTTP %d %s", code, body)
	}
}

func TestBadOffersNameTheirFields(t *testing.T) {
	s := start(t, nil).ready(t)
	const who = `"jobFamily":"software-engineer","level":"IC3","location":"Seattle, WA"`
	cases := []struct{ json, field string }{
		{`{"offer":{` + who + `,"base":-5}}`, "offer.base"},
		{`{"offer":{` + who + `,"base":100000,"equity":{"grantValue":100000,"vestingSchedule":[50,40]}}}`, "offer.equity.vesting_schedule"},
		{`{"offer":{` + who + `,"base":100000,"tokens":{"tokensPerMonth":1000000,"model":"gpt-9"}}}`, "offer.tokens.model"},
		{`{"offer":{` + who + `,"base":100000,"signOn":-1}}`, "offer.sign_on"},
		{`{"offer":{"jobFamily":"software-engineer","level":"E5","location":"Seattle, WA","base":100000}}`, "offer.level"},
		{`{"offer":{` + who + `,"base":100000},"assumptions":{"utilisationPercent":120}}`, "assumptions.utilisation_percent"},
	}
	client := pb.NewOfferServiceClient(s.conn)
	for _, c := range cases {
		var req pb.EvaluateOfferRequest
		if err := protojson.Unmarshal([]byte(c.json), &req); err != nil {
			t.Fatal(err)
		}
		_, err := client.EvaluateOffer(context.Background(), &req)
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(strings.Join(violatedFields(err), ","), c.field) {
			t.Errorf("%s: %v", c.field, err)
		}
		code, body, _ := s.post(t, "/v1/offers:evaluate", c.json)
		if code != http.StatusBadRequest || !strings.Contains(string(body), c.field) {
			t.Errorf("%s: HTTP %d %s", c.field, code, body)
		}
	}
}

// Offers add up: compare.yaml's back-loaded grant with a sign-on is flagged; an offer
// with no tokens is never TOKEN_INFLATED_TOTAL; a sign-on is a component of its own, so
// components sum to the headline (457,500) and shares to 100.
func TestOffersAddUp(t *testing.T) {
	s := start(t, nil).ready(t)
	type evaluation struct {
		HeadlineTotal float64
		Components    []struct {
			Component            string
			Annual, SharePercent float64
		}
		Flags []struct{ Code string }
	}
	evaluate := func(offer string) evaluation {
		t.Helper()
		code, body, _ := s.post(t, "/v1/offers:evaluate", `{"offer":`+offer+`}`)
		if code != 200 {
			t.Fatalf("HTTP %d %s", code, body)
		}
		var e evaluation
		if err := json.Unmarshal(body, &e); err != nil {
			t.Fatal(err)
		}
		return e
	}
	flagged := func(e evaluation, code string) bool {
		for _, f := range e.Flags {
			if f.Code == code {
				return true
			}
		}
		return false
	}
	sf := `"jobFamily":"software-engineer","level":"IC3","location":"San Francisco, CA"`
	backLoaded := evaluate(`{` + sf + `,"base":300000,"bonusTargetPercent":15,"signOn":50000,"equity":{"grantValue":400000,"namedSchedule":"VESTING_SCHEDULE_BACK_LOADED"}}`)
	if !flagged(backLoaded, "BACK_LOADED_EQUITY") {
		t.Errorf("the 5/15/40/40 grant with a sign-on is not flagged: %+v", backLoaded.Flags)
	}
	sum, shares := 0.0, 0.0
	for _, c := range backLoaded.Components {
		sum += c.Annual
		shares += c.SharePercent
	}
	if backLoaded.HeadlineTotal != 457500 || sum != 457500 || math.Abs(shares-100) > 1e-9 || len(backLoaded.Components) != 5 ||
		backLoaded.Components[4].Component != "COMPONENT_SIGN_ON" || backLoaded.Components[4].Annual != 12500 {
		t.Errorf("headline %v, components sum %v, shares %v: %+v", backLoaded.HeadlineTotal, sum, shares, backLoaded.Components)
	}
	noTokens := evaluate(`{` + sf + `,"base":200000,"equity":{"grantValue":2000000}}`)
	if flagged(noTokens, "TOKEN_INFLATED_TOTAL") || len(noTokens.Components) != 4 {
		t.Errorf("an offer without tokens: %+v, components %+v", noTokens.Flags, noTokens.Components)
	}
	standard := evaluate(`{` + sf + `,"base":200000,"equity":{"grantValue":400000}}`)
	if flagged(standard, "BACK_LOADED_EQUITY") {
		t.Errorf("an evenly vesting grant is flagged back-loaded")
	}
}
