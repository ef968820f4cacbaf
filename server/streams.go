package server

import (
	"context"
	"errors"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Stream limits (README, "Configuration"). A stream holds a goroutine and buffers
// until it ends, so an unread stream must end and a caller cannot open any number.
const (
	defaultStreamsPerConnection = 100
	defaultStreamsPerKey        = 200
	defaultStreamStall          = 30 * time.Second
	// keyCheck is how often an open stream looks at its key besides every publish:
	// an expiry is seen within it.
	keyCheck = 500 * time.Millisecond
)

// errKeyEnded ends a stream whose key was revoked or expired while it was open.
var errKeyEnded = status.Error(codes.Unauthenticated, "the API key of this stream was revoked or expired while it was open")

// keyStreams counts each key's open streams.
type keyStreams struct {
	mu  sync.Mutex
	n   map[string]int
	max int
}

func (k *keyStreams) acquire(key string) (release func(), err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.n[key] >= k.max {
		return nil, status.Errorf(codes.ResourceExhausted, "this API key has %d streams open, the most the server allows (--max-streams-per-key); end one first", k.max)
	}
	k.n[key]++
	return func() {
		k.mu.Lock()
		defer k.mu.Unlock()
		if k.n[key]--; k.n[key] == 0 {
			delete(k.n, key)
		}
	}, nil
}

// guardStream runs a keyed stream within its key's limit and ends it, with
// Unauthenticated, once the key is revoked or expires: the published state is looked
// at on every publish and every keyCheck.
func (a *auth) guardStream(ctx context.Context, key string, run func(context.Context) error) error {
	release, err := a.streams.acquire(key)
	if err != nil {
		return err
	}
	defer release()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		tick := time.NewTicker(keyCheck)
		defer tick.Stop()
		for {
			next := a.app.Next() // before the look: a publish in between is not missed
			if ok, _ := a.app.Current().KeyUsable(key, a.now()); !ok {
				cancel(errKeyEnded)
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-next:
			case <-tick.C:
			}
		}
	}()
	err = run(ctx)
	cancel(nil)
	<-watched
	if errors.Is(context.Cause(ctx), errKeyEnded) {
		return errKeyEnded
	}
	return err
}

// stallSender sends a stream's messages from a goroutine of its own, so that a client
// that stops reading cannot hold the stream for ever: a send blocked for the stall
// timeout ends the stream with ResourceExhausted. The handler returns then, which
// ends the call, and the blocked send with it.
type stallSender[T any] struct {
	msgs  chan *T
	errs  chan error
	stall time.Duration
	timer *time.Timer // one for every send (since Go 1.23, Reset leaves no stale tick)
	ctx   context.Context
}

func newStallSender[T any](ctx context.Context, stall time.Duration, send func(*T) error) *stallSender[T] {
	s := &stallSender[T]{msgs: make(chan *T), errs: make(chan error, 1), stall: stall, ctx: ctx, timer: time.NewTimer(stall)}
	go func() {
		for m := range s.msgs {
			if err := send(m); err != nil {
				s.errs <- err
				return
			}
			s.errs <- nil
		}
	}()
	return s
}

// send hands a message on and waits until it is sent, the stall timeout passes, or
// the call ends.
func (s *stallSender[T]) send(m *T) error {
	s.timer.Reset(s.stall)
	defer s.timer.Stop()
	select {
	case s.msgs <- m:
	case <-s.ctx.Done():
		return s.ctx.Err()
	}
	select {
	case err := <-s.errs:
		return err
	case <-s.timer.C:
		return status.Errorf(codes.ResourceExhausted, "the client read nothing of this stream for %s (--stream-stall-timeout); it was ended", s.stall)
	case <-s.ctx.Done():
		return s.ctx.Err()
	}
}

// close stops the sender once the last message is sent.
func (s *stallSender[T]) close() { close(s.msgs) }
