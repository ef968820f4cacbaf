package server

import (
	"context"
	"time"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/state"
)

// offerService evaluates offers on the published state; nothing of an offer is
// stored or logged.
type offerService struct {
	pb.UnimplementedOfferServiceServer
	app *state.Service
	now func() time.Time
}

var namedSchedules = map[pb.VestingSchedule][]float64{
	pb.VestingSchedule_VESTING_SCHEDULE_UNSPECIFIED:  planner.VestStandard,
	pb.VestingSchedule_VESTING_SCHEDULE_STANDARD:     planner.VestStandard,
	pb.VestingSchedule_VESTING_SCHEDULE_BACK_LOADED:  planner.VestBackLoaded,
	pb.VestingSchedule_VESTING_SCHEDULE_FRONT_LOADED: planner.VestFrontLoaded,
}

func offerFromProto(o *pb.Offer) planner.Offer {
	t := o.GetTokens()
	if t == nil {
		t = &pb.OfferTokens{}
	}
	out := planner.Offer{
		Name: o.GetName(), Family: o.GetJobFamily(), Level: o.GetLevel(), Location: o.GetLocation(), Base: o.GetBase(),
		BonusTarget: o.BonusTarget, BonusTargetPercent: o.BonusTargetPercent, SignOn: o.GetSignOn(),
		Grant: o.GetEquity().GetGrantValue(), Vesting: o.GetEquity().GetVestingSchedule(),
		TokensUSD: t.UsdPerYear, TokensPerMonth: t.TokensPerMonth, Model: t.GetModel(),
	}
	if len(out.Vesting) == 0 {
		out.Vesting = namedSchedules[o.GetEquity().GetNamedSchedule()]
	}
	return out
}

func assumptionsFromProto(a *pb.Assumptions) (planner.Assumptions, error) {
	if a == nil {
		a = &pb.Assumptions{}
	}
	out := planner.Assumptions{
		RaisePercent: a.RaisePercent, UtilisationPercent: a.UtilisationPercent, ValueSharePercent: a.PersonalValueSharePercent,
		TokenShareThreshold: a.TokenShareThresholdPercent, DiscountPercent: a.TokenDiscountPercent,
		RefreshPercent: a.RefreshGrantPercent, EquityGrowthPercent: a.EquityGrowthPercent,
	}
	if a.Years != nil {
		n := int(a.GetYears())
		out.Years = &n
	}
	d, v := parseDate("assumptions.effective_date", a.GetEffectiveDate())
	if v != nil {
		return out, planner.Invalid(*v)
	}
	out.EffectiveDate = d
	return out, nil
}

func assumptionsProto(a planner.Settled) *pb.Assumptions {
	years := int32(a.Years)
	return &pb.Assumptions{Years: &years, RaisePercent: &a.RaisePercent, UtilisationPercent: &a.UtilisationPercent,
		PersonalValueSharePercent: &a.ValueSharePercent, TokenShareThresholdPercent: &a.TokenShareThreshold,
		TokenDiscountPercent: &a.DiscountPercent, RefreshGrantPercent: &a.RefreshPercent, EquityGrowthPercent: &a.EquityGrowthPercent,
		EffectiveDate: date(a.EffectiveDate)}
}

// prepare builds what every offer of a request is evaluated with: the snapshot, the
// policy (inline, stored, or the caller's default), the assumptions and the state.
func (s *offerService) prepare(ctx context.Context, inline *pb.Policy, name string, a *pb.Assumptions) (planner.OfferContext, planner.Settled, *state.Published, error) {
	pub, err := published(s.app)
	if err != nil {
		return planner.OfferContext{}, planner.Settled{}, nil, err
	}
	oc := planner.OfferContext{Planner: pub.Planner, Today: s.now()}
	var pol *planner.Policy
	if inline != nil {
		p, vs := policyFromProto(inline)
		if len(vs) > 0 {
			return oc, planner.Settled{}, nil, planner.Invalid(vs...)
		}
		pol = &p
	}
	if oc.Policy, err = pub.BandPolicy(CallerFrom(ctx), pol, name); err != nil {
		return oc, planner.Settled{}, nil, err
	}
	as, err := assumptionsFromProto(a)
	if err != nil {
		return oc, planner.Settled{}, nil, err
	}
	return oc, as.Settle(oc.Today), pub, nil
}

func (s *offerService) EvaluateOffer(ctx context.Context, r *pb.EvaluateOfferRequest) (*pb.EvaluateOfferResponse, error) {
	oc, settled, pub, err := s.prepare(ctx, r.GetPolicy(), r.GetPolicyName(), r.GetAssumptions())
	if err != nil {
		return nil, err
	}
	e, err := planner.EvaluateOffer(oc, offerFromProto(r.GetOffer()), settled, "Offer")
	if err != nil {
		return nil, err
	}
	out := evaluationProto(e, pub.Version)
	out.Assumptions = assumptionsProto(settled)
	return &pb.EvaluateOfferResponse{Evaluation: out}, nil
}

func (s *offerService) CompareOffers(ctx context.Context, r *pb.CompareOffersRequest) (*pb.CompareOffersResponse, error) {
	oc, settled, pub, err := s.prepare(ctx, r.GetPolicy(), r.GetPolicyName(), r.GetAssumptions())
	if err != nil {
		return nil, err
	}
	offers := make([]planner.Offer, len(r.GetOffers()))
	for i, o := range r.GetOffers() {
		offers[i] = offerFromProto(o)
	}
	c, err := planner.CompareOffers(oc, offers, settled)
	if err != nil {
		return nil, err
	}
	resp := &pb.CompareOffersResponse{Values: c.Values, Best: int32(c.Best), Summary: c.Summary, Assumptions: assumptionsProto(settled)}
	for _, e := range c.Evaluations {
		resp.Evaluations = append(resp.Evaluations, evaluationProto(e, pub.Version))
	}
	for _, y := range c.Years {
		resp.Years = append(resp.Years, &pb.YearComparison{Year: int32(y.Year), Totals: y.Totals, Differences: y.Differences, Values: y.Values})
	}
	for _, b := range c.BreakEvens {
		resp.BreakEvens = append(resp.BreakEvens, &pb.BreakEven{OfferA: int32(b.A), OfferB: int32(b.B),
			UtilisationPercent: figure(b.Utilisation), PersonalValueSharePercent: figure(b.ValueShare), Explanation: b.Explanation})
	}
	return resp, nil
}

func evaluationProto(e planner.Evaluation, stateVersion int64) *pb.OfferEvaluation {
	out := &pb.OfferEvaluation{
		Name: e.Name, HeadlineTotal: e.Headline, FirstYearTotal: e.FirstYear, TokenSharePercent: e.TokenSharePercent,
		NegotiationBase: e.NegotiationBase, TokenCashEquivalent: e.TokenCashEquivalent, TokenFaceValueUnused: e.TokenFaceValueUnused,
		TokenUsdPerYear: e.TokenUSD,
		CompanyView:     &pb.CompanyView{CostToCompany: e.CostToCompany, TokenCost: e.TokenCost, ValueToEngineer: e.ValueToEngineer},
	}
	for c := planner.Base; c <= planner.SignOn; c++ {
		if c == planner.SignOn && e.Annual[c] == 0 {
			break // an offer without a sign-on lists the four components it has
		}
		out.Components = append(out.Components, &pb.ComponentValue{Component: componentProto[c], Annual: e.Annual[c], SharePercent: e.Shares[c]})
	}
	for _, p := range e.Positions {
		pos := &pb.Position{Value: p.Value, MarketPercentile: figure(p.MarketPercentile), CompaRatio: figure(p.CompaRatio),
			RangePenetration: figure(p.RangePenetration)}
		pos.Component = pb.Component_COMPONENT_TOTAL
		if !p.IsTotal() {
			pos.Component = componentProto[p.Component]
		}
		out.Positions = append(out.Positions, pos)
	}
	for _, y := range e.Projection {
		out.Projection = append(out.Projection, &pb.ProjectionYear{Year: int32(y.Year), Base: y.Base, Bonus: y.Bonus,
			EquityVested: y.EquityVested, SignOn: y.SignOn, Tokens: y.Tokens, Total: y.Total, TokensAsBase: y.TokensAsBase,
			CumulativeGap: y.CumulativeGap, Value: y.Value})
	}
	for _, f := range e.Flags {
		out.Flags = append(out.Flags, &pb.Flag{Code: f.Code, Explanation: f.Explanation})
	}
	if e.Band != nil {
		out.Band = bandProto(e.Band, stateVersion)
	}
	return out
}
