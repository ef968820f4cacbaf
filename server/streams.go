package server

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
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
// that stops reading cannot hold the stream for ever: when the queue stays full for
// the stall timeout (the sender blocked on a full flow-control window all that time)
// the stream ends with ResourceExhausted. The handler returns then, which ends the
// call, and the blocked send with it. Messages are queued rather than handed over one
// by one: a hand-off and an answer for every band cost more than sending it.
type stallSender[T any] struct {
	msgs      chan *T
	done      chan error // the sender's end: nil once the queue is closed and sent, or a send's error
	abandoned atomic.Bool
	sent      atomic.Int64 // messages the client's stream took
	closed    bool
	err       error // the sender's error, once seen
	stall     time.Duration
	timer     *time.Timer // stopped but during a wait (since Go 1.23, Reset leaves no stale tick)
	ctx       context.Context
}

// sendAhead is how many messages a stream may have computed that the client has not
// read yet.
const sendAhead = 16

func newStallSender[T any](ctx context.Context, stall time.Duration, send func(*T) error) *stallSender[T] {
	s := &stallSender[T]{msgs: make(chan *T, sendAhead), done: make(chan error, 1), stall: stall, ctx: ctx, timer: time.NewTimer(stall)}
	s.timer.Stop()
	go func() {
		for m := range s.msgs {
			if s.abandoned.Load() {
				continue
			}
			if err := send(m); err != nil {
				s.done <- err
				return
			}
			s.sent.Add(1)
		}
		s.done <- nil
	}()
	return s
}

// send queues a message, waiting while the queue is full for the stall timeout at
// most; it reports a send that failed before, or the call's end.
func (s *stallSender[T]) send(m *T) error {
	if s.err != nil {
		return s.err
	}
	select {
	case s.msgs <- m:
		return nil
	case err := <-s.done: // the queue is open, so the sender stopped on a failed send
		s.err = err
		return err
	default:
	}
	return s.wait(s.msgs, m)
}

// wait waits for room for m in msgs or, msgs nil, for the sender's end; while the
// client reads something at least every stall timeout.
func (s *stallSender[T]) wait(msgs chan *T, m *T) error {
	s.timer.Reset(s.stall)
	defer s.timer.Stop()
	for sent := s.sent.Load(); ; {
		select {
		case msgs <- m:
			return nil
		case err := <-s.done:
			s.err = err
			return err
		case <-s.timer.C:
			if now := s.sent.Load(); now != sent { // the queue moved: a slow reader, not a stalled one
				sent = now
				s.timer.Reset(s.stall)
				continue
			}
			return status.Errorf(codes.ResourceExhausted, "the client read nothing of this stream for %s (--stream-stall-timeout); it was ended", s.stall)
		case <-s.ctx.Done():
			return s.ctx.Err()
		}
	}
}

// finish closes the queue and waits until all of it is sent: the handler must not
// return before, or the call would end first.
func (s *stallSender[T]) finish() error {
	s.closed = true
	close(s.msgs)
	if s.err != nil {
		return s.err
	}
	return s.wait(nil, nil)
}

// close abandons what is still queued, when the stream ends early.
func (s *stallSender[T]) close() {
	if !s.closed {
		s.closed = true
		s.abandoned.Store(true)
		close(s.msgs)
	}
}
