package server

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/planner/demo"
	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/planner/stats"
)

var gatewayJSON = protojson.MarshalOptions{EmitDefaultValues: true}

// samePlanned checks that the planned encoder writes exactly what protojson writes
// (byte for byte once protojson's whitespace is compacted).
func samePlanned(t *testing.T, m proto.Message) {
	t.Helper()
	want, err := gatewayJSON.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, want); err != nil {
		t.Fatal(err)
	}
	got, ok := encodePlanned(nil, m)
	if !ok {
		t.Fatalf("%T has no plan", m)
	}
	if !bytes.Equal(got, compact.Bytes()) {
		t.Errorf("%T:\n got %s\nwant %s", m, got, compact.Bytes())
	}
}

func TestPlannedJSONEqualsProtojsonOnEveryDemoBand(t *testing.T) {
	today := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	snap := market.Build([]market.Dataset{demo.Dataset()}, today, stats.DefaultAgingRate)
	n := 0
	for _, k := range snap.Keys() {
		b, err := planner.Recommend(snap, planner.Request{Family: k.Family, Level: k.Level, Location: k.Place,
			TargetPercentile: proto.Float64(float64(1 + n%99))}, today)
		if err != nil {
			continue
		}
		samePlanned(t, &pb.RecommendBandResponse{Band: bandProto(b, int64(n))})
		n++
	}
	if n < 500 {
		t.Fatalf("only %d bands compared", n)
	}
}

func TestPlannedJSONEdgeCases(t *testing.T) {
	for _, m := range []proto.Message{
		&pb.Warning{Code: "X", Message: "quotes \" back\\slash \n\t\r\b\f \x01 \x1f é ✓ 😀 <&> \u2028"},
		&pb.ComponentBand{Min: 1e-7, Mid: 1e21, Max: -0.0, P10: proto.Float64(math.NaN()), P25: proto.Float64(math.Inf(1)),
			P50: proto.Float64(math.Inf(-1)), P75: proto.Float64(123456789.125), P90: proto.Float64(0.1 + 0.2), Count: -5, SharePercent: 5e-324},
		&pb.ComponentBand{Min: math.Copysign(0, -1), Mid: 1<<53 - 1, Max: 1 << 53, P10: proto.Float64(-125000), P25: proto.Float64(1e15),
			P50: proto.Float64(123456789012345678), P75: proto.Float64(0.5), P90: proto.Float64(-1e-300), SharePercent: 1e20},
		&pb.ComponentBand{Component: pb.Component(99)},   // an enum value the descriptor lacks
		&pb.ComponentBand{Component: pb.Component(-3)},   // a negative one
		&pb.ComponentBand{Component: pb.Component(1000)}, // beyond the table
		&pb.Provenance{StateVersion: math.MaxInt64, Datasets: []*pb.DatasetRef{}},
		&pb.BandResult{JobFamily: "a", Result: &pb.BandResult_Error{Error: &pb.BandError{Code: 9, Message: "m"}}},
		&pb.StreamBandsResponse{Message: &pb.StreamBandsResponse_Summary{Summary: &pb.StreamSummary{Bands: 3}}},
		&pb.Policy{RangeSpreadPercentByLevel: map[string]float64{"IC3": 40, "IC1": 30, "M2": 55.5}, TokenPolicy: &pb.TokenPolicy{
			FixedUsdByLevel: map[string]float64{}, Prices: []*pb.ModelPrice{{Model: "m", EffectiveDate: "2026-01-01"}}}},
		&pb.Dataset{Name: "datasets/x", ImportTime: timestamppb.New(time.Date(2026, 1, 2, 3, 4, 5, 120000000, time.UTC))},
		&pb.ApiKey{CreateTime: timestamppb.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)),
			ExpireTime: timestamppb.New(time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)),
			RevokeTime: timestamppb.New(time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC))},
		&pb.ListPoliciesResponse{},
		&pb.GetCatalogResponse{},
	} {
		samePlanned(t, m)
	}
	// Invalid UTF-8 is not written by the plan: protojson answers (with its error).
	if _, ok := encodePlanned(nil, &pb.Warning{Message: "bad \xff"}); ok {
		t.Error("invalid UTF-8 was written")
	}
}

func BenchmarkBandJSON(b *testing.B) {
	today := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	snap := market.Build([]market.Dataset{demo.Dataset()}, today, stats.DefaultAgingRate)
	band, err := planner.Recommend(snap, planner.Request{Family: "software-engineer", Level: "IC3", Location: "Seattle, WA"}, today)
	if err != nil {
		b.Fatal(err)
	}
	resp := &pb.RecommendBandResponse{Band: bandProto(band, 1)}
	b.Run("baseline-protojson", func(b *testing.B) {
		for b.Loop() {
			if _, err := gatewayJSON.Marshal(resp); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("planned", func(b *testing.B) {
		for b.Loop() {
			encodePlanned(jsonBuffer(resp), resp)
		}
	})
}
