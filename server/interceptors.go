package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"runtime/debug"
	"time"

	"buf.build/go/protovalidate"
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
//	request id and logging -> recovery -> error translation -> (metrics slot in here)
//	-> authentication and role check -> protovalidate -> handler
//
// Logging is outermost so that every call is logged with its final code, a panic's
// Internal included; recovery sits right inside it. Logs carry the method, code,
// duration and request id, never a request or response body: they hold pay data.
func unaryChain(log *slog.Logger, v protovalidate.Validator, a *auth) []grpc.UnaryServerInterceptor {
	return []grpc.UnaryServerInterceptor{
		func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			ctx, done := logCall(ctx, log, info.FullMethod)
			resp, err := handler(ctx, req)
			done(err)
			return resp, err
		},
		func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
			defer recoverTo(ctx, log, info.FullMethod, &err)
			return handler(ctx, req)
		},
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
	}
}

func streamChain(log *slog.Logger, v protovalidate.Validator, a *auth) []grpc.StreamServerInterceptor {
	return []grpc.StreamServerInterceptor{
		func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
			ctx, done := logCall(ss.Context(), log, info.FullMethod)
			err := handler(srv, &contextStream{ServerStream: ss, ctx: ctx})
			done(err)
			return err
		},
		func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
			defer recoverTo(ss.Context(), log, info.FullMethod, &err)
			return handler(srv, ss)
		},
		func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
			return toStatus(ss.Context(), log, a.stream(srv, ss, info, func(srv any, ss grpc.ServerStream) error {
				return handler(srv, &validatingStream{ServerStream: ss, v: v})
			}))
		},
	}
}

func recoverTo(ctx context.Context, log *slog.Logger, method string, err *error) {
	if r := recover(); r != nil {
		log.ErrorContext(ctx, "panic", "method", method, "panic", r, "stack", string(debug.Stack()))
		*err = status.Error(codes.Internal, "internal error")
	}
}

// logCall gives the call a request id (the caller's x-request-id, or a new one),
// sends it back in the response headers and returns a function that logs the outcome.
func logCall(ctx context.Context, log *slog.Logger, method string) (context.Context, func(error)) {
	id := ""
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get(requestIDHeader); len(v) > 0 && validRequestID(v[0]) {
			id = v[0]
		}
	}
	if id == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	_ = grpc.SetHeader(ctx, metadata.Pairs(requestIDHeader, id))
	start := time.Now()
	return ctx, func(err error) {
		code := status.Code(err)
		level := slog.LevelInfo
		if code == codes.Internal || code == codes.Unknown {
			level = slog.LevelError
		}
		log.Log(ctx, level, "call", "method", method, "code", code.String(),
			"duration_ms", float64(time.Since(start).Microseconds())/1000, "request_id", id)
	}
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
