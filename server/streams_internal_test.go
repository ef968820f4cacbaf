package server

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// A slow reader gets every message, however long the whole takes, as long as each
// message goes within the stall timeout; a reader that takes nothing ends the stream.
func TestStallSenderSlowReaderAndStalledOne(t *testing.T) {
	const stall = 100 * time.Millisecond
	var got []int
	slow := newStallSender(context.Background(), stall, func(m *int) error {
		time.Sleep(stall * 6 / 10) // the client's window opens a little at a time
		got = append(got, *m)
		return nil
	})
	for i := range 5 {
		if err := slow.send(&i); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if err := slow.finish(); err != nil {
		t.Fatalf("a slow reader's stream ended: %v", err)
	}
	if len(got) != 5 || got[0] != 0 || got[4] != 4 || slow.sent.Load() != 5 {
		t.Fatalf("sent %v (%d counted), want 0-4", got, slow.sent.Load())
	}

	block := make(chan struct{})
	defer close(block)
	stalled := newStallSender(context.Background(), stall, func(*int) error { <-block; return nil })
	start := time.Now()
	var err error
	for i := 0; err == nil && i < 100; i++ {
		err = stalled.send(&i) // the queue fills, then waits
	}
	if status.Code(err) != codes.ResourceExhausted || time.Since(start) < stall {
		t.Fatalf("a stalled reader: %v after %v", err, time.Since(start))
	}
	stalled.close()
}
