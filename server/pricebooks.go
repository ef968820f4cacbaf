package server

import (
	"context"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/planner/tokens"
	"github.com/paymix/paymix/state"
)

type priceBookService struct {
	pb.UnimplementedPriceBookServiceServer
	app *state.Service
}

// bookOrg reads organizations/{org}/priceBook (the wire's pattern has checked it).
func bookOrg(name string) string {
	return strings.TrimSuffix(strings.TrimPrefix(name, "organizations/"), "/priceBook")
}

func (s *priceBookService) GetPriceBook(ctx context.Context, r *pb.GetPriceBookRequest) (*pb.GetPriceBookResponse, error) {
	b, err := s.app.Current().PriceBook(CallerFrom(ctx), bookOrg(r.GetName()))
	if err != nil {
		return nil, err
	}
	return &pb.GetPriceBookResponse{PriceBook: priceBookProto(b)}, nil
}

func (s *priceBookService) UpdatePriceBook(ctx context.Context, r *pb.UpdatePriceBookRequest) (*pb.UpdatePriceBookResponse, error) {
	in := r.GetPriceBook()
	b := state.PriceBook{Org: bookOrg(in.GetName())}
	var vs []planner.Violation
	b.Prices, vs = prices(in.GetPrices(), "price_book.prices")
	for _, d := range in.GetDiscounts() {
		eff, v := parseDate("price_book.discounts.effective_date", d.GetEffectiveDate())
		if v != nil {
			vs = append(vs, *v)
		}
		b.Discounts = append(b.Discounts, tokens.Discount{Model: d.GetModel(), Percent: d.GetPercent(), Effective: eff, Source: d.GetSource()})
	}
	if len(vs) > 0 {
		return nil, planner.Invalid(vs...)
	}
	saved, err := s.app.UpdatePriceBook(ctx, CallerFrom(ctx), b, in.GetEtag())
	if err != nil {
		return nil, err
	}
	return &pb.UpdatePriceBookResponse{PriceBook: priceBookProto(saved)}, nil
}

func priceBookProto(b *state.PriceBook) *pb.PriceBook {
	out := &pb.PriceBook{Name: state.PriceBookName(b.Org), Revision: b.Revision, Etag: b.Etag}
	if !b.UpdateTime.IsZero() {
		out.UpdateTime = timestamppb.New(b.UpdateTime)
	}
	for _, p := range b.Prices {
		out.Prices = append(out.Prices, priceProto(p))
	}
	for _, d := range b.Discounts {
		out.Discounts = append(out.Discounts, &pb.ModelDiscount{Model: d.Model, Percent: d.Percent, EffectiveDate: date(d.Effective), Source: d.Source})
	}
	return out
}
