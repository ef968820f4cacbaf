package planner

import (
	"fmt"
	"strings"
)

// Kind classifies a domain error; the server maps each kind to one gRPC code.
type Kind int

const (
	// KindInvalidArgument: the request is wrong; Violations name the fields.
	KindInvalidArgument Kind = iota + 1
	// KindNotFound: the named resource does not exist (or is not the caller's).
	KindNotFound
	// KindFailedPrecondition: the request is well formed but the data cannot answer
	// it, for example a cohort too thin to publish even at country level.
	KindFailedPrecondition
	// KindUnavailable: no market snapshot is loaded yet.
	KindUnavailable
	// KindAlreadyExists: a resource with that name exists.
	KindAlreadyExists
	// KindAborted: a concurrent change won (a stale etag).
	KindAborted
	// KindUnauthenticated: the call carries no valid credentials.
	KindUnauthenticated
	// KindPermissionDenied: the caller is known but may not do this.
	KindPermissionDenied
	// KindResourceExhausted: a limit is reached (imports running at once, sizes).
	KindResourceExhausted
	// KindInternal: paymix itself went wrong (a figure that is not a number).
	KindInternal
	// KindDeadlineExceeded: a call took longer than the server allows (an import that
	// sent nothing for its idle timeout).
	KindDeadlineExceeded
)

// Violation is one wrong field of a request. Field is the field's domain path, Go
// names from the request's root ("Level", "Policy.Tokens.FixedUSD", "Offers[1].Base");
// the server maps domain paths onto the wire's in one table.
type Violation struct {
	Field       string
	Description string
}

// Error is a domain error with a stable machine-readable reason.
type Error struct {
	Kind       Kind
	Reason     string // UPPER_SNAKE, stable
	Message    string
	Violations []Violation
}

func (e *Error) Error() string {
	if len(e.Violations) == 0 {
		return e.Message
	}
	parts := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		parts[i] = v.Field + ": " + v.Description
	}
	return e.Message + ": " + strings.Join(parts, "; ")
}

// violations collects field violations and turns them into one error.
type violations []Violation

func (vs *violations) add(field, format string, args ...any) {
	*vs = append(*vs, Violation{Field: field, Description: fmt.Sprintf(format, args...)})
}

func (vs violations) err() error {
	if len(vs) == 0 {
		return nil
	}
	return Invalid(vs...)
}

// Invalid is the error of a request with wrong fields.
func Invalid(vs ...Violation) error {
	return &Error{Kind: KindInvalidArgument, Reason: "INVALID_ARGUMENT", Message: "invalid request", Violations: vs}
}

// acceptedList formats accepted values for an error message.
func acceptedList(values []string) string {
	return "accepted: " + strings.Join(values, ", ")
}
