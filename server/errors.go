package server

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"buf.build/go/protovalidate"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"

	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/store"
)

// errorDomain is the ErrorInfo domain of paymix's errors.
const errorDomain = "paymix.dev"

// toStatus is the one translator from errors to gRPC status: wire validation and
// domain errors become their codes with an ErrorInfo reason and, for invalid
// arguments, BadRequest field violations; an error that already is a status passes
// through; anything else is Internal without its detail, which only the log sees.
func toStatus(ctx context.Context, log *slog.Logger, err error) error {
	if err == nil {
		return nil
	}
	var ve *protovalidate.ValidationError
	if errors.As(err, &ve) {
		vs := make([]planner.Violation, len(ve.Violations))
		for i, v := range ve.Violations {
			vs[i] = planner.Violation{Field: protovalidate.FieldPathString(v.Proto.GetField()), Description: v.Proto.GetMessage()}
		}
		err = planner.Invalid(vs...)
	}
	var pe *planner.Error
	if errors.As(err, &pe) {
		return domainStatus(pe)
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	switch {
	case errors.Is(err, store.ErrUnavailable):
		log.WarnContext(ctx, "store unreachable", "err", err)
		return status.Error(codes.Unavailable, "the store is unreachable, so changes cannot be made now (bands and statistics are still served); retry shortly")
	case errors.Is(err, store.ErrFull):
		log.ErrorContext(ctx, "store full", "err", err)
		return status.Error(codes.ResourceExhausted, "the store's disk is full, so nothing of this change was kept: free space or grow the volume, then retry (bands and statistics are still served)")
	case errors.Is(err, store.ErrNotFound):
		return status.Error(codes.NotFound, "not found")
	case errors.Is(err, store.ErrConflict):
		return status.Error(codes.AlreadyExists, "already exists")
	case errors.Is(err, store.ErrStale):
		return status.Error(codes.Aborted, "changed since it was read: read it again, then retry")
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "the call was cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "the call's deadline passed")
	}
	log.ErrorContext(ctx, "internal error", "err", err)
	return status.Error(codes.Internal, "internal error")
}

var kindCodes = map[planner.Kind]codes.Code{
	planner.KindInvalidArgument:    codes.InvalidArgument,
	planner.KindNotFound:           codes.NotFound,
	planner.KindAlreadyExists:      codes.AlreadyExists,
	planner.KindAborted:            codes.Aborted,
	planner.KindFailedPrecondition: codes.FailedPrecondition,
	planner.KindUnavailable:        codes.Unavailable,
	planner.KindUnauthenticated:    codes.Unauthenticated,
	planner.KindPermissionDenied:   codes.PermissionDenied,
	planner.KindResourceExhausted:  codes.ResourceExhausted,
	planner.KindDeadlineExceeded:   codes.DeadlineExceeded,
	planner.KindInternal:           codes.Internal,
}

// domainCode is a domain error's code, and its message with wire field paths.
func domainCode(e *planner.Error) (codes.Code, string) {
	return kindCode(e), wireError(e).Error()
}

func kindCode(e *planner.Error) codes.Code {
	if code, ok := kindCodes[e.Kind]; ok {
		return code
	}
	return codes.Internal
}

// wireError is e with its violations' fields named as the wire names them.
func wireError(e *planner.Error) *planner.Error {
	if len(e.Violations) == 0 {
		return e
	}
	wire := *e
	wire.Violations = make([]planner.Violation, len(e.Violations))
	for i, v := range e.Violations {
		wire.Violations[i] = planner.Violation{Field: wirePath(v.Field), Description: v.Description}
	}
	return &wire
}

func domainStatus(e *planner.Error) error {
	code := kindCode(e)
	e = wireError(e)
	st := status.New(code, e.Error())
	details := []protoadapt.MessageV1{&errdetails.ErrorInfo{Reason: e.Reason, Domain: errorDomain}}
	if len(e.Violations) > 0 {
		br := &errdetails.BadRequest{}
		for _, v := range e.Violations {
			br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: v.Field, Description: v.Description})
		}
		details = append(details, br)
	}
	withDetails, err := st.WithDetails(details...)
	if err != nil {
		return st.Err()
	}
	return withDetails.Err()
}

// wireNames maps the domain's field names (Go names of the planner's and the state's
// types) onto the wire's proto paths: the one table between the two. A key
// "Parent.Name" wins over "Name" where a name means another field under a parent.
var wireNames = map[string]string{
	// Band requests, statistics queries and lists.
	"Family": "job_family", "Level": "level", "Location": "location", "CompanyLevel": "company_level",
	"TargetPercentile": "target_percentile", "EffectiveDate": "effective_date", "PageToken": "page_token",
	"Preset": "preset", "Chunk": "chunk",
	// Policies and token policies ("Tokens" under a request is its token_policy).
	"Policy": "policy", "Tokens": "token_policy", "SpreadPercent": "range_spread_percent",
	"SpreadByLevel": "range_spread_percent_by_level", "MinSample": "min_sample_size", "MinCompanies": "min_companies", "MinCompaniesByLevel": "min_companies_by_level",
	"MaxCompanySharePercent": "max_company_share_percent", "MaxCompanySharePercentByLevel": "max_company_share_percent_by_level", "AgingRatePercent": "aging_rate_percent",
	"RoundingUSD": "rounding_usd", "Mode": "mode", "PercentOfBase": "percent_of_base", "CapUSD": "cap_usd",
	"FixedUSD": "fixed_usd", "FixedByLevel": "fixed_usd_by_level", "Funding": "funding", "UsageMix": "usage_mix",
	"Prices": "prices", "Model": "model", "Effective": "effective_date",
	// Price books.
	"PriceBook": "price_book", "Discounts": "discounts", "Percent": "percent", "LongContext": "long_context",
	// Offers and their assumptions.
	"Offer": "offer", "Offers": "offers", "Assumptions": "assumptions", "Years": "years",
	"Offer.Base": "base", "Offer.BonusTarget": "bonus_target", "Offer.SignOn": "sign_on", "Offer.Grant": "equity.grant_value",
	"Offer.Vesting": "equity.vesting_schedule", "Offer.Tokens": "tokens", "Offer.Model": "tokens.model",
	// Keys and maps.
	"Key": "api_key", "Role": "role", "ExpireTime": "expire_time", "TransferTo": "transfer_to",
	"Entries": "entries", "IC": "ic_level", "Manager": "manager_level", "Country": "country_code", "Zone": "zone_id", "Metro": "metro_id",
}

// wirePath is a domain path ("Offers[1].Vesting") as the wire names it
// ("offers[1].equity.vesting_schedule"); a path that is not a domain path (it starts
// in lower case, as the transport's own do) is returned as it is.
func wirePath(domain string) string {
	if domain == "" || domain[0] < 'A' || domain[0] > 'Z' {
		return domain
	}
	parts := strings.Split(domain, ".")
	parent := ""
	for i, part := range parts {
		name, index := part, ""
		if j := strings.IndexByte(part, '['); j >= 0 {
			name, index = part[:j], part[j:]
		}
		wire, ok := wireNames[parent+"."+name]
		if !ok {
			if wire, ok = wireNames[name]; !ok {
				wire = name
			}
		}
		parts[i] = wire + index
		if parent = name; parent == "Offers" {
			parent = "Offer"
		}
	}
	return strings.Join(parts, ".")
}
