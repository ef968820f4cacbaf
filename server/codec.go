package server

import (
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"

	// The standard codec registers itself as "proto"; this file's init runs after its
	// imports' and replaces it, so every call (the gateway's in-memory client too) uses
	// the codec below.
	_ "google.golang.org/grpc/encoding/proto"
)

// vtMessage is what protoc-gen-go-vtproto generates for paymix's messages: marshal,
// unmarshal and size without reflection.
type vtMessage interface {
	SizeVT() int
	MarshalToSizedBufferVT([]byte) (int, error)
	UnmarshalVT([]byte) error
}

// codec is gRPC's "proto" codec with the generated code for the messages that have
// it (every paymix.v1 message) and the standard one for the rest (health, reflection).
type codec struct{ fallback encoding.CodecV2 }

func init() {
	encoding.RegisterCodecV2(codec{fallback: encoding.GetCodecV2("proto")})
}

func (c codec) Name() string { return "proto" }

func (c codec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(vtMessage)
	if !ok {
		return c.fallback.Marshal(v)
	}
	size := m.SizeVT()
	if mem.IsBelowBufferPoolingThreshold(size) {
		buf := make([]byte, size)
		if _, err := m.MarshalToSizedBufferVT(buf); err != nil {
			return nil, err
		}
		return mem.BufferSlice{mem.SliceBuffer(buf)}, nil
	}
	pool := mem.DefaultBufferPool()
	buf := pool.Get(size)
	if _, err := m.MarshalToSizedBufferVT(*buf); err != nil {
		pool.Put(buf)
		return nil, err
	}
	return mem.BufferSlice{mem.NewBuffer(buf, pool)}, nil
}

func (c codec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(vtMessage)
	if !ok {
		return c.fallback.Unmarshal(data, v)
	}
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	// Generated unmarshal code copies what it keeps (strings, bytes), so the buffer
	// can go back to the pool.
	return m.UnmarshalVT(buf.ReadOnlyData())
}
