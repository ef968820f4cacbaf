package server

import (
	"context"
	"testing"
	"time"

	"buf.build/go/protovalidate"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/planner/demo"
	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/planner/stats"
)

func BenchmarkTmpParts(b *testing.B) {
	ds := demo.Dataset()
	today := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	snap := market.Build([]market.Dataset{ds}, today, stats.DefaultAgingRate)
	r := &pb.RecommendBandRequest{JobFamily: "software-engineer", Level: "IC3", Location: "Seattle, WA", TargetPercentile: proto.Float64(60)}
	req, _, _ := bandRequest(r)
	v, _ := protovalidate.New()
	band, _ := planner.Recommend(snap, req, today)
	resp := &pb.RecommendBandResponse{Band: bandProto(band, 1)}
	raw, _ := proto.Marshal(resp)
	rawReq, _ := proto.Marshal(r)
	b.Logf("response %d bytes", len(raw))
	b.Run("unmarshal-req", func(b *testing.B) {
		for b.Loop() {
			var x pb.RecommendBandRequest
			proto.Unmarshal(rawReq, &x)
		}
	})
	b.Run("validate", func(b *testing.B) {
		for b.Loop() {
			v.Validate(r)
		}
	})
	b.Run("recommend", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			planner.Recommend(snap, req, today)
		}
	})
	b.Run("bandProto", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			bandProto(band, 1)
		}
	})
	b.Run("marshal", func(b *testing.B) {
		for b.Loop() {
			proto.Marshal(resp)
		}
	})
	_ = context.Background
}

func BenchmarkTmpJSON(b *testing.B) {
	ds := demo.Dataset()
	today := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	snap := market.Build([]market.Dataset{ds}, today, stats.DefaultAgingRate)
	r := &pb.RecommendBandRequest{JobFamily: "software-engineer", Level: "IC3", Location: "Seattle, WA", TargetPercentile: proto.Float64(60)}
	req, _, _ := bandRequest(r)
	band, _ := planner.Recommend(snap, req, today)
	resp := &pb.RecommendBandResponse{Band: bandProto(band, 1)}
	raw, _ := proto.Marshal(resp)
	b.Run("protojson", func(b *testing.B) {
		for b.Loop() {
			protojson.MarshalOptions{EmitDefaultValues: true}.Marshal(resp)
		}
	})
	b.Run("unmarshal-resp", func(b *testing.B) {
		for b.Loop() {
			var x pb.RecommendBandResponse
			proto.Unmarshal(raw, &x)
		}
	})
	b.Logf("%d bytes", len(raw))
}
