package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/server"
)

// fixedBand is a band for a $100,000 fixed token budget at an effective date, with the
// caller's key (its organisation's default policy) and, optionally, inline prices.
func fixedBand(t *testing.T, s *testServer, key, effective string, prices ...*pb.ModelPrice) *pb.Band {
	t.Helper()
	resp, err := pb.NewBandServiceClient(s.conn).RecommendBand(withKey(context.Background(), key), &pb.RecommendBandRequest{
		JobFamily: "software-engineer", Level: "IC3", Location: "San Francisco, CA", EffectiveDate: effective,
		TokenPolicy: &pb.TokenPolicy{Mode: pb.TokenMode_TOKEN_MODE_FIXED, FixedUsd: proto.Float64(100000), Prices: prices},
	})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetBand()
}

func modelTokens(t *testing.T, b *pb.Band, model string) *pb.ModelTokens {
	t.Helper()
	for _, m := range b.GetTokens().GetModels() {
		if m.GetModel() == model {
			return m
		}
	}
	t.Fatalf("no %s in the band's token figures", model)
	return nil
}

// The dated built-in book, an organisation's own book on top of it and a policy's own
// prices on top of both: each organisation's bands are priced on its own book only.
func TestPriceBooks(t *testing.T) {
	tn := setUpTenants(t)
	ctx := context.Background()
	acmeAdmin, acmeHRIS := tn.keys["acme"][server.RoleAdmin]["valid"], tn.keys["acme"][server.RoleHRIS]["valid"]
	globexHRIS := tn.keys["globex"][server.RoleHRIS]["valid"]
	books := pb.NewPriceBookServiceClient(tn.conn)

	// The built-in book: Gemini 4 Argon at 0.975 a million through 2026-11-30 and 1.95
	// from 2026-12-01 at the default mix.
	for _, c := range []struct {
		date   string
		tokens float64
	}{{"2026-11-30", 102_564_102_564}, {"2026-12-01", 51_282_051_282}} {
		m := modelTokens(t, fixedBand(t, tn.testServer, acmeHRIS, c.date), "gemini-4-argon")
		if m.GetTokensPerYear() != c.tokens || m.GetPriceBook() != "built-in" {
			t.Errorf("Argon on %s: %v tokens from %q, want %v from the built-in book", c.date, m.GetTokensPerYear(), m.GetPriceBook(), c.tokens)
		}
	}

	empty, err := books.GetPriceBook(withKey(ctx, acmeHRIS), &pb.GetPriceBookRequest{Name: "organizations/acme/priceBook"})
	if err != nil || empty.GetPriceBook().GetRevision() != 0 || len(empty.GetPriceBook().GetPrices()) != 0 {
		t.Fatalf("a book never written: %v %v", empty, err)
	}
	book := &pb.PriceBook{Name: "organizations/acme/priceBook",
		Prices: []*pb.ModelPrice{
			{Model: "gemini-4-argon", Vendor: "Google", Family: "gemini", InputUsdPerMillion: 1, CachedInputUsdPerMillion: 0.05,
				OutputUsdPerMillion: 5, EffectiveDate: "2026-12-01", Source: "enterprise contract"},
			{Model: "acme-coder", Vendor: "Acme", Family: "in-house", InputUsdPerMillion: 0.2, CachedInputUsdPerMillion: 0.02,
				OutputUsdPerMillion: 1, EffectiveDate: "2026-10-01", BatchMultiplier: 0.5},
		},
		Discounts: []*pb.ModelDiscount{{Model: "claude-sonnet-5.5", Percent: 20, EffectiveDate: "2026-11-01", Source: "agreement"}},
	}
	if _, err := books.UpdatePriceBook(withKey(ctx, acmeHRIS), &pb.UpdatePriceBookRequest{PriceBook: book}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("an hris key updated the price book: %v", err)
	}
	saved, err := books.UpdatePriceBook(withKey(ctx, acmeAdmin), &pb.UpdatePriceBookRequest{PriceBook: book})
	if err != nil {
		t.Fatal(err)
	}
	if saved.GetPriceBook().GetRevision() != 1 || saved.GetPriceBook().GetEtag() == "" || len(saved.GetPriceBook().GetPrices()) != 2 {
		t.Errorf("saved: %v", saved)
	}

	// Acme's bands: Argon at the negotiated 1 / 0.05 / 5 from 2026-12-01 (blended
	// 0.2 + 0.0375 + 0.25 = 0.4875), list before; Sonnet 5.5 at 20% off (0.975 x 0.8 =
	// 0.78); its own model priced. Globex's bands stay on the built-in book.
	band := fixedBand(t, tn.testServer, acmeHRIS, "2026-12-01")
	if m := modelTokens(t, band, "gemini-4-argon"); m.GetTokensPerYear() != 205_128_205_128 || m.GetPriceBook() != "organizations/acme/priceBook" {
		t.Errorf("Acme's Argon: %v tokens from %q, want round(10^11 / 0.4875) = 205,128,205,128 from its book", m.GetTokensPerYear(), m.GetPriceBook())
	}
	if m := modelTokens(t, band, "claude-sonnet-5.5"); m.GetTokensPerYear() != 128_205_128_205 || m.GetDiscountPercent() != 20 {
		t.Errorf("Acme's Sonnet 5.5: %v tokens, discount %v; want round(10^11 / 0.78) = 128,205,128,205 at 20%%", m.GetTokensPerYear(), m.GetDiscountPercent())
	}
	modelTokens(t, band, "acme-coder")
	refs := band.GetProvenance().GetPriceBooks()
	if len(refs) != 2 || refs[0].GetName() != "built-in" || refs[0].GetDate() != "2026-11-15" || refs[1].GetName() != "organizations/acme/priceBook" || refs[1].GetDate() == "" {
		t.Errorf("provenance price books: %v", refs)
	}
	if m := modelTokens(t, fixedBand(t, tn.testServer, acmeHRIS, "2026-11-30"), "gemini-4-argon"); m.GetTokensPerYear() != 102_564_102_564 || m.GetPriceBook() != "built-in" {
		t.Errorf("Acme's Argon before its negotiated price: %v from %q", m.GetTokensPerYear(), m.GetPriceBook())
	}
	globex := fixedBand(t, tn.testServer, globexHRIS, "2026-12-01")
	if m := modelTokens(t, globex, "gemini-4-argon"); m.GetTokensPerYear() != 51_282_051_282 || m.GetPriceBook() != "built-in" {
		t.Errorf("Globex's Argon: %v tokens from %q", m.GetTokensPerYear(), m.GetPriceBook())
	}
	for _, m := range globex.GetTokens().GetModels() {
		if m.GetModel() == "acme-coder" {
			t.Error("Acme's own model shows in Globex's band")
		}
	}
	// A policy's (here the request's) own price wins over both books: 0.6 + 0.225 +
	// 0.45 = 1.275 a million.
	inline := fixedBand(t, tn.testServer, acmeHRIS, "2026-12-01", &pb.ModelPrice{Model: "gemini-4-argon", InputUsdPerMillion: 3,
		CachedInputUsdPerMillion: 0.3, OutputUsdPerMillion: 9, EffectiveDate: "2026-01-01"})
	if m := modelTokens(t, inline, "gemini-4-argon"); m.GetTokensPerYear() != 78_431_372_549 || m.GetPriceBook() != "request" {
		t.Errorf("the inline price: %v tokens from %q, want round(10^11 / 1.275) = 78,431,372,549", m.GetTokensPerYear(), m.GetPriceBook())
	}
	if n := len(inline.GetProvenance().GetPriceBooks()); n != 3 {
		t.Errorf("an inline price's band names %d books, want 3", n)
	}
	// So does an inline policy's token policy.
	inlinePolicy, err := pb.NewBandServiceClient(tn.conn).RecommendBand(withKey(ctx, acmeHRIS), &pb.RecommendBandRequest{
		JobFamily: "software-engineer", Level: "IC3", Location: "San Francisco, CA", EffectiveDate: "2026-12-01",
		Policy: &pb.Policy{TokenPolicy: &pb.TokenPolicy{Mode: pb.TokenMode_TOKEN_MODE_FIXED, FixedUsd: proto.Float64(100000),
			Prices: []*pb.ModelPrice{{Model: "gemini-4-argon", InputUsdPerMillion: 3, CachedInputUsdPerMillion: 0.3, OutputUsdPerMillion: 9, EffectiveDate: "2026-01-01"}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if m := modelTokens(t, inlinePolicy.GetBand(), "gemini-4-argon"); m.GetTokensPerYear() != 78_431_372_549 || m.GetPriceBook() != "policy" {
		t.Errorf("the inline policy's price: %v tokens from %q", m.GetTokensPerYear(), m.GetPriceBook())
	}
	if refs := inlinePolicy.GetBand().GetProvenance().GetPriceBooks(); len(refs) != 3 || refs[1].GetName() != "organizations/acme/priceBook" || refs[2].GetName() != "policy" {
		t.Errorf("an inline policy's books: %v", refs)
	}

	// A stale etag is refused; so is a discount of a model with no built-in price, and
	// another organisation's book is not found.
	if _, err := books.UpdatePriceBook(withKey(ctx, acmeAdmin), &pb.UpdatePriceBookRequest{PriceBook: &pb.PriceBook{
		Name: "organizations/acme/priceBook", Etag: "r0-0"}}); status.Code(err) != codes.Aborted {
		t.Errorf("a stale etag: %v", err)
	}
	_, err = books.UpdatePriceBook(withKey(ctx, acmeAdmin), &pb.UpdatePriceBookRequest{PriceBook: &pb.PriceBook{
		Name: "organizations/acme/priceBook", Discounts: []*pb.ModelDiscount{{Model: "acme-coder", Percent: 10, EffectiveDate: "2026-12-01"}}}})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "price_book.discounts[0].model") {
		t.Errorf("a discount of a model without a built-in price: %v", err)
	}
	if _, err := books.GetPriceBook(withKey(ctx, globexHRIS), &pb.GetPriceBookRequest{Name: "organizations/acme/priceBook"}); status.Code(err) != codes.NotFound {
		t.Errorf("another organisation's book: %v", err)
	}

	// An offer's tokens a month are priced on the organisation's book too.
	offer, err := pb.NewOfferServiceClient(tn.conn).EvaluateOffer(withKey(ctx, acmeHRIS), &pb.EvaluateOfferRequest{
		Offer: &pb.Offer{JobFamily: "software-engineer", Level: "IC3", Location: "San Francisco, CA", Base: 200000,
			Tokens: &pb.OfferTokens{TokensPerMonth: proto.Float64(1e9), Model: "gemini-4-argon"}},
		Assumptions: &pb.Assumptions{EffectiveDate: "2026-12-01"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := offer.GetEvaluation().GetTokenUsdPerYear(); got != 5850 {
		t.Errorf("1e9 Argon tokens a month at Acme's 0.4875: $%v a year, want 1e9 x 12 x 0.4875 / 1e6 = $5,850", got)
	}

	// Over HTTP: the same book, and a PUT that replaces it.
	req, _ := http.NewRequest(http.MethodGet, tn.base+"/v1/organizations/acme/priceBook", nil)
	req.Header.Set("Authorization", "Bearer "+acmeHRIS)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		PriceBook struct {
			Prices    []map[string]any `json:"prices"`
			Discounts []map[string]any `json:"discounts"`
			Etag      string           `json:"etag"`
		} `json:"priceBook"`
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != 200 || len(got.PriceBook.Prices) != 2 || len(got.PriceBook.Discounts) != 1 {
		t.Fatalf("GET priceBook: %d %s", resp.StatusCode, body)
	}
	put := fmt.Sprintf(`{"etag":%q,"discounts":[{"model":"gemini-4-argon","percent":50,"effectiveDate":"2026-11-01"}]}`, got.PriceBook.Etag)
	req, _ = http.NewRequest(http.MethodPut, tn.base+"/v1/organizations/acme/priceBook", strings.NewReader(put))
	req.Header.Set("Authorization", "Bearer "+acmeAdmin)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"revision":"2"`) {
		t.Fatalf("PUT priceBook: %d %s", resp.StatusCode, body)
	}
	// Half off the list price: 1.95 / 2 = 0.975 from 2026-12-01, 0.4875 the day before.
	if m := modelTokens(t, fixedBand(t, tn.testServer, acmeHRIS, "2026-12-01"), "gemini-4-argon"); m.GetTokensPerYear() != 102_564_102_564 || m.GetDiscountPercent() != 50 {
		t.Errorf("Argon at half off: %v tokens, %v%%", m.GetTokensPerYear(), m.GetDiscountPercent())
	}
}

// The catalog lists every dated price of the built-in book, tiers and multipliers
// included.
func TestCatalogListsDatedPrices(t *testing.T) {
	s := start(t, nil).ready(t)
	cat, err := pb.NewCatalogServiceClient(s.conn).GetCatalog(context.Background(), &pb.GetCatalogRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if cat.GetPriceBookDate() != "2026-11-15" {
		t.Errorf("book date %q", cat.GetPriceBookDate())
	}
	var argon []string
	var astra *pb.ModelPrice
	for _, p := range cat.GetPrices() {
		switch p.GetModel() {
		case "gemini-4-argon":
			argon = append(argon, fmt.Sprintf("%s %v/%v/%v batch %v", p.GetEffectiveDate(), p.GetInputUsdPerMillion(),
				p.GetCachedInputUsdPerMillion(), p.GetOutputUsdPerMillion(), p.GetBatchMultiplier()))
		case "gpt-6-astra":
			astra = p
		}
	}
	if strings.Join(argon, "; ") != "2026-11-15 2/0.1/10 batch 0.5; 2026-12-01 4/0.2/20 batch 0.5" {
		t.Errorf("Argon's prices: %v", argon)
	}
	if lc := astra.GetLongContext(); lc.GetThresholdInputTokens() != 272000 || lc.GetInputUsdPerMillion() != 20 || lc.GetOutputUsdPerMillion() != 75 ||
		astra.GetBatchMultiplier() != 0.5 || astra.GetPriorityMultiplier() != 2 {
		t.Errorf("GPT-6 Astra: %v", astra)
	}
	if len(cat.GetPrices()) != 26 {
		t.Errorf("%d dated prices, want 26 (23 models, three of which changed price)", len(cat.GetPrices()))
	}
}
