package server

import (
	"context"
	"errors"
	"slices"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/state"
	"github.com/paymix/paymix/store"
)

// metrics are the server's Prometheus metrics, served on their own listener
// (Config.MetricsAddr), never on the public HTTP port. Every label takes its values
// from a fixed set (service, method, code, reason, outcome, format, store, kind):
// never a key, organisation, location or amount.
type metrics struct {
	reg          *prometheus.Registry
	grpc         *grpcprom.ServerMetrics
	imports      *prometheus.CounterVec   // outcome, format
	importTime   *prometheus.HistogramVec // outcome
	importRows   *prometheus.CounterVec   // kind: accepted or rejected, of stored imports
	authFailures *prometheus.CounterVec   // reason
	storeErrors  *prometheus.CounterVec   // store, kind
}

// Import outcomes, a fixed set.
const (
	importStored    = "stored"    // a new dataset
	importDuplicate = "duplicate" // the same file or request id again: the stored dataset answers
	importRefused   = "refused"   // the file or request was refused (invalid, too large, idle, busy)
	importFailed    = "failed"    // the server or store failed, or the client went away
)

// authRole is the reason of a call whose key is valid but whose role may not call the
// method; the other reasons are state.FailureReasons.
const authRole = "role"

func newMetrics(storeEngine string) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		grpc: grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram(
			grpcprom.WithHistogramBuckets([]float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}))),
		imports: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "paymix_imports_total",
			Help: "Imports of market data by outcome (stored, duplicate, refused, failed) and file format."}, []string{"outcome", "format"}),
		importTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "paymix_import_duration_seconds",
			Help:    "How long imports took, by outcome.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}}, []string{"outcome"}),
		importRows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "paymix_import_rows_total",
			Help: "Rows of stored imports, accepted or rejected."}, []string{"kind"}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "paymix_auth_failures_total",
			Help: "Calls refused by authentication (missing, several, malformed, unknown, wrong_secret, revoked, expired) or by role (role)."}, []string{"reason"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "paymix_store_errors_total",
			Help: "Store calls that failed, by store engine and kind (unavailable, full, other); not-found and conflict answers are not errors."}, []string{"store", "kind"}),
	}
	for _, r := range slices.Concat(state.FailureReasons, []string{authRole}) {
		m.authFailures.WithLabelValues(r)
	}
	for _, k := range []string{"unavailable", "full", "other"} {
		m.storeErrors.WithLabelValues(storeEngine, k)
	}
	m.reg.MustRegister(m.grpc, m.imports, m.importTime, m.importRows, m.authFailures, m.storeErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// watchState adds the gauges read from the published state at each scrape, and on a
// shared store the replica's catch-up lag.
func (m *metrics) watchState(app *state.Service, shared bool) {
	current := func(f func(p *state.Published) float64) func() float64 {
		return func() float64 {
			if p := app.Current(); p != nil {
				return f(p)
			}
			return 0
		}
	}
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "paymix_state_version",
			Help: "The published state's version: the count of committed changes behind it."},
			current(func(p *state.Published) float64 { return float64(p.Version) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "paymix_state_age_seconds",
			Help: "Seconds since the published state was published."},
			current(func(p *state.Published) float64 { return time.Since(p.Built).Seconds() })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "paymix_market_datasets",
			Help: "Datasets in the served market."},
			current(func(p *state.Published) float64 {
				if p.Market == nil {
					return 0
				}
				return float64(len(p.Market.Datasets))
			})),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "paymix_market_rows",
			Help: "Rows of the datasets in the served market."},
			current(func(p *state.Published) float64 {
				n := 0
				if p.Market != nil {
					for _, d := range p.Market.Datasets {
						n += d.Rows
					}
				}
				return float64(n)
			})),
	)
	if shared {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "paymix_replica_behind_seconds",
			Help: "How long the shared store has been ahead of this replica's published state (0 when in step; polled every 500 ms)."},
			func() float64 { return app.Behind().Seconds() }))
	}
}

// importDone records an import's end.
func (m *metrics) importDone(format string, took time.Duration, res state.ImportResult, err error) {
	outcome := importStored
	switch {
	case err != nil:
		outcome = importFailed
		var pe *planner.Error
		if errors.As(err, &pe) && pe.Kind != planner.KindInternal && pe.Kind != planner.KindUnavailable {
			outcome = importRefused
		}
	case res.Summary.Duplicate:
		outcome = importDuplicate
	default:
		m.importRows.WithLabelValues("accepted").Add(float64(res.Summary.RowsAccepted))
		m.importRows.WithLabelValues("rejected").Add(float64(res.Summary.RowsRejected))
	}
	m.imports.WithLabelValues(outcome, format).Inc()
	m.importTime.WithLabelValues(outcome).Observe(took.Seconds())
}

// storeError records a store call's error, if it is one.
func (m *metrics) storeError(engine string, err error) {
	switch {
	case err == nil, errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrConflict),
		errors.Is(err, store.ErrStale), errors.Is(err, store.ErrInvalid), errors.Is(err, store.ErrLastPlatformAdmin), errors.Is(err, context.Canceled):
	case errors.Is(err, store.ErrUnavailable):
		m.storeErrors.WithLabelValues(engine, "unavailable").Inc()
	case errors.Is(err, store.ErrFull):
		m.storeErrors.WithLabelValues(engine, "full").Inc()
	default:
		m.storeErrors.WithLabelValues(engine, "other").Inc()
	}
}
