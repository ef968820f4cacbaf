package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"runtime/debug"

	"buf.build/go/protovalidate"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// requestIDHeader carries a caller's request id, or the one paymix makes up, back in
// the response headers (and through the gateway as X-Request-Id).
const requestIDHeader = "x-request-id"

// The interceptor chain, outermost first (ARCHITECTURE.md, "Request flow"):
//
//	request id -> logging -> recovery -> error translation
//	-> authentication and role check -> protovalidate -> handler
//
// The gRPC metrics and tracing are stats handlers and interceptors around all of it
// (see observe.go). Logging sits outside recovery so that every call is logged with
// its final code, a panic's Internal included. Logging and recovery are
// go-grpc-middleware's; logs carry the method, code, duration, request id and trace
// id, never a request or response body or an error's text: they hold pay data.
func unaryChain(log *slog.Logger, v protovalidate.Validator, a *auth, extra ...grpc.UnaryServerInterceptor) []grpc.UnaryServerInterceptor {
	chain := append([]grpc.UnaryServerInterceptor{}, extra...)
	return append(chain,
		func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			return handler(withRequestID(ctx), req)
		},
		logging.UnaryServerInterceptor(callLogger(log), logOptions...),
		recovery.UnaryServerInterceptor(recovery.WithRecoveryHandlerContext(recoverTo(log))),
		func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			resp, err := handler(ctx, req)
			return resp, toStatus(ctx, log, err)
		},
		a.unary,
		func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			if m, ok := req.(proto.Message); ok {
				if err := v.Validate(m); err != nil {
					return nil, err
				}
			}
			return handler(ctx, req)
		},
	)
}

func streamChain(log *slog.Logger, v protovalidate.Validator, a *auth, extra ...grpc.StreamServerInterceptor) []grpc.StreamServerInterceptor {
	chain := append([]grpc.StreamServerInterceptor{}, extra...)
	return append(chain,
		func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
			return handler(srv, &contextStream{ServerStream: ss, ctx: withRequestID(ss.Context())})
		},
		logging.StreamServerInterceptor(callLogger(log), logOptions...),
		recovery.StreamServerInterceptor(recovery.WithRecoveryHandlerContext(recoverTo(log))),
		func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
			return toStatus(ss.Context(), log, a.stream(srv, ss, info, func(srv any, ss grpc.ServerStream) error {
				return handler(srv, &validatingStream{ServerStream: ss, v: v})
			}))
		},
	)
}

// logOptions log each call once, when it ends, at info (error for Internal, Unknown
// and the like, as go-grpc-middleware grades codes), with the request and trace ids.
var logOptions = []logging.Option{
	logging.WithLogOnEvents(logging.FinishCall),
	// Constant on every line of a server's log: not worth writing each time.
	logging.WithDisableLoggingFields(logging.SystemTag[0], logging.ComponentFieldKey, logging.MethodTypeFieldKey),
	logging.WithLevels(func(c codes.Code) logging.Level {
		switch c {
		case codes.Internal, codes.Unknown, codes.DataLoss:
			return logging.LevelError
		}
		return logging.LevelInfo
	}),
	logging.WithFieldsFromContext(func(ctx context.Context) logging.Fields {
		f := logging.Fields{"request_id", requestID(ctx)}
		if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
			f = append(f, "trace_id", sc.TraceID().String())
		}
		return f
	}),
}

// callLogger adapts slog to go-grpc-middleware. It drops grpc.error: an error's text
// may quote what the caller sent (amounts among it), and the code says enough; the
// error translator logs what went wrong inside. It drops grpc.start_time too: the
// line's own time and grpc.time_ms say when.
func callLogger(log *slog.Logger) logging.Logger {
	return logging.LoggerFunc(func(ctx context.Context, level logging.Level, msg string, fields ...any) {
		if !log.Enabled(ctx, slog.Level(level)) {
			return
		}
		attrs := fields[:0:0]
		for i := 0; i+1 < len(fields); i += 2 {
			if k := fields[i]; k == "grpc.error" || k == "grpc.start_time" {
				continue
			}
			attrs = append(attrs, fields[i], fields[i+1])
		}
		log.Log(ctx, slog.Level(level), msg, attrs...)
	})
}

// recoverTo logs a panic with its stack and answers Internal, saying nothing more.
func recoverTo(log *slog.Logger) recovery.RecoveryHandlerFuncContext {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "panic", "panic", p, "stack", string(debug.Stack()), "request_id", requestID(ctx))
		return status.Error(codes.Internal, "internal error")
	}
}

type requestIDKey struct{}

// withRequestID gives the call a request id (the caller's x-request-id, or a new one)
// and sends it back in the response headers (through the gateway, X-Request-Id).
func withRequestID(ctx context.Context) context.Context {
	// ValueFromIncomingContext copies one header's values, not all of the metadata.
	id := ""
	if v := metadata.ValueFromIncomingContext(ctx, requestIDHeader); len(v) > 0 && validRequestID(v[0]) {
		id = v[0]
	}
	if id == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	_ = grpc.SetHeader(ctx, metadata.MD{requestIDHeader: {id}})
	return context.WithValue(ctx, requestIDKey{}, id)
}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// validRequestID says whether a caller's request id is kept: at most 64 characters
// of [A-Za-z0-9._:-]. Anything else (a pasted key, log-injection text) is replaced by
// an id of paymix's own, so that callers cannot write what they like into the log.
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

type contextStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *contextStream) Context() context.Context { return s.ctx }

// validatingStream validates every message a client streams in.
type validatingStream struct {
	grpc.ServerStream
	v protovalidate.Validator
}

func (s *validatingStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if pm, ok := m.(proto.Message); ok {
		return s.v.Validate(pm)
	}
	return nil
}
