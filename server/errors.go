package server

import (
	"context"
	"errors"
	"log/slog"

	"buf.build/go/protovalidate"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"

	"github.com/paymix/paymix/planner"
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
}

func domainStatus(e *planner.Error) error {
	code, ok := kindCodes[e.Kind]
	if !ok {
		code = codes.Internal
	}
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
