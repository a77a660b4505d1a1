package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/stratadb/strata/engine"
)

// metricsSink exposes a migrate run's progress as Prometheus metrics, for
// long rollouts: tenants done, failed and pending, migration and tenant
// durations, retries. migrate --metrics-file writes them in the text
// exposition format, atomically (a temporary file renamed), every
// interval and once more at the end (node_exporter's textfile collector
// reads such files); --metrics-addr serves them over HTTP at /metrics
// while the run lasts. Off by default. Every series has the labels env and
// instance ("" for an env with one database).
type metricsSink struct {
	reg       *prometheus.Registry
	tenants   *prometheus.GaugeVec     // state: pending, migrating, done, up_to_date, failed
	applied   *prometheus.CounterVec   // migrations applied
	retries   *prometheus.CounterVec   // tenant attempts made again after a transient failure
	migration *prometheus.HistogramVec // one migration, seconds
	tenant    *prometheus.HistogramVec // one tenant, every attempt included, seconds
	finished  prometheus.Gauge         // 1 once the run has ended
	instances *prometheus.GaugeVec     // an env with instances: instances ended, by state (done, failed)
	env       string

	file     string
	stop     chan struct{}
	wg       sync.WaitGroup
	server   *http.Server
	listener net.Listener
	mu       sync.Mutex
	writeErr error
}

// tenantStates are the values of the state label of strata_tenants.
var tenantStates = []string{"pending", "migrating", "done", "up_to_date", "failed"}

// newMetricsSink makes the metrics of env's run; file and addr say where
// they go (either may be "").
func newMetricsSink(env, file, addr string, interval time.Duration) (*metricsSink, error) {
	labels := []string{"env", "instance"}
	s := &metricsSink{
		reg: prometheus.NewRegistry(),
		env: env,
		tenants: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "strata_tenants",
			Help: "Tenants (targets) of the run by state: pending (migrations to apply, not started), migrating, done (migrated in this run), up_to_date (nothing was pending), failed."},
			append(labels, "state")),
		applied: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strata_migrations_applied_total",
			Help: "Migrations applied and recorded in the history."}, labels),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strata_tenant_retries_total",
			Help: "Tenant attempts made again after a transient failure (connection lost, serialization failure, deadlock, lock timeout, admin shutdown)."}, labels),
		migration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "strata_migration_duration_seconds",
			Help: "Time to apply one migration with its history row.", Buckets: prometheus.ExponentialBuckets(0.005, 4, 9)}, labels),
		tenant: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "strata_tenant_duration_seconds",
			Help: "Time spent on one tenant, every attempt included.", Buckets: prometheus.ExponentialBuckets(0.01, 4, 9)}, labels),
		finished: prometheus.NewGauge(prometheus.GaugeOpts{Name: "strata_rollout_finished",
			Help: "1 once the run has ended, 0 while it runs.", ConstLabels: prometheus.Labels{"env": env}}),
		instances: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "strata_instances",
			Help: "An env with several instances: instances whose run has ended, by state: done, failed (unreachable, refused, or a tenant failed)."}, []string{"env", "state"}),
		file: file,
		stop: make(chan struct{}),
	}
	s.reg.MustRegister(s.tenants, s.applied, s.retries, s.migration, s.tenant, s.finished, s.instances)
	if addr != "" {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, &exitError{code: exitUsage, err: fmt.Errorf("--metrics-addr %s: %w", addr, err)}
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
		s.listener = l
		s.server = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go s.server.Serve(l) //nolint:errcheck // ends with ErrServerClosed at close
	}
	if file != "" {
		if err := s.write(); err != nil {
			s.close()
			return nil, &exitError{code: exitUsage, err: err}
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			t := time.NewTicker(interval)
			defer t.Stop()
			for {
				select {
				case <-s.stop:
					return
				case <-t.C:
					s.keep(s.write())
				}
			}
		}()
	}
	return s, nil
}

// addr is where --metrics-addr listens ("" without it).
func (s *metricsSink) addr() string {
	if s == nil || s.listener == nil {
		return ""
	}
	return s.listener.Addr().String()
}

// instance prepares the series of one instance at zero, so that a scrape
// shows every state from the start.
func (s *metricsSink) instance(name string) {
	if s == nil {
		return
	}
	for _, st := range tenantStates {
		s.tenants.WithLabelValues(s.env, name, st)
	}
	s.applied.WithLabelValues(s.env, name)
	s.retries.WithLabelValues(s.env, name)
}

// observer returns the engine observer that counts the run on instance.
// It may be called from several goroutines (the collectors are safe).
func (s *metricsSink) observer(instance string) func(engine.Event) {
	s.instance(instance)
	g := func(state string) prometheus.Gauge { return s.tenants.WithLabelValues(s.env, instance, state) }
	return func(ev engine.Event) {
		switch e := ev.(type) {
		case engine.RunStarted:
			g("pending").Add(float64(e.Targets))
			g("up_to_date").Add(float64(e.Total - e.Targets))
		case engine.TargetStarted:
			g("pending").Dec()
			g("migrating").Inc()
		case engine.MigrationApplied:
			s.applied.WithLabelValues(s.env, instance).Inc()
			s.migration.WithLabelValues(s.env, instance).Observe(e.Duration.Seconds())
		case engine.TargetRetrying:
			s.retries.WithLabelValues(s.env, instance).Inc()
		case engine.TargetFinished:
			g("migrating").Dec()
			if e.Err != nil {
				g("failed").Inc()
			} else {
				g("done").Inc()
			}
			s.tenant.WithLabelValues(s.env, instance).Observe(e.Duration.Seconds())
		}
	}
}

// instanceEnded counts an instance of a fleet as done or failed (an
// instance that could not be run at all has no tenant series).
func (s *metricsSink) instanceEnded(failed bool) {
	if s == nil {
		return
	}
	state := "done"
	if failed {
		state = "failed"
	}
	s.instances.WithLabelValues(s.env, state).Inc()
}

// write writes the metrics file atomically.
func (s *metricsSink) write() error {
	if err := prometheus.WriteToTextfile(s.file, s.reg); err != nil {
		return fmt.Errorf("--metrics-file: %w", err)
	}
	return nil
}

// keep records the first failed write.
func (s *metricsSink) keep(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.writeErr == nil {
		s.writeErr = err
	}
}

// close marks the run finished, writes the file a last time and stops
// the server; the error is a failed write.
func (s *metricsSink) close() error {
	if s == nil {
		return nil
	}
	s.finished.Set(1)
	close(s.stop)
	s.wg.Wait()
	if s.file != "" {
		s.keep(s.write())
	}
	if s.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := s.server.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.keep(err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writeErr
}
