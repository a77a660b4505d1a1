package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/stratadb/strata/engine"
)

// parseMetrics reads the Prometheus text format.
func parseMetrics(t *testing.T, r io.Reader) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		t.Fatalf("not the Prometheus text format: %v", err)
	}
	return fams
}

// metricValue is the value of the series of family name whose labels
// include want (name=value pairs), or an error naming what is there.
func metricValue(fams map[string]*dto.MetricFamily, name string, want ...string) (float64, error) {
	f := fams[name]
	if f == nil {
		return 0, fmt.Errorf("no family %s", name)
	}
	for _, m := range f.Metric {
		labels := map[string]string{}
		for _, l := range m.Label {
			labels[l.GetName()] = l.GetValue()
		}
		ok := true
		for i := 0; i+1 < len(want); i += 2 {
			ok = ok && labels[want[i]] == want[i+1]
		}
		if !ok {
			continue
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue(), nil
		case m.Counter != nil:
			return m.Counter.GetValue(), nil
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), nil
		}
	}
	return 0, fmt.Errorf("%s has no series with %v", name, want)
}

func TestMetricsSink(t *testing.T) {
	file := filepath.Join(t.TempDir(), "strata.prom")
	s, err := newMetricsSink("prod", file, "127.0.0.1:0", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// Written once at the start, before any event.
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	fams := parseMetrics(t, f)
	f.Close()
	if v, err := metricValue(fams, "strata_rollout_finished"); err != nil || v != 0 {
		t.Fatalf("at the start: finished = %v, %v", v, err)
	}

	obs := s.observer("db1/app")
	obs(engine.RunStarted{Targets: 3, Total: 5, Pending: 6})
	for _, tn := range []string{"t1", "t2", "t3"} {
		obs(engine.TargetStarted{Target: tn, Pending: 2})
	}
	obs(engine.MigrationApplied{Target: "t1", Duration: 20 * time.Millisecond})
	obs(engine.MigrationApplied{Target: "t1", Duration: 30 * time.Millisecond})
	obs(engine.TargetFinished{Target: "t1", Applied: 2, Duration: 60 * time.Millisecond})
	obs(engine.TargetRetrying{Target: "t2", Attempt: 2, Attempts: 3, Err: errors.New("connection reset")})
	obs(engine.TargetFinished{Target: "t2", Err: errors.New("syntax error"), Duration: time.Second})
	s.instanceEnded(true)

	// Scraped over HTTP while the run lasts: t3 is still migrating.
	resp, err := http.Get("http://" + s.addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	fams = parseMetrics(t, resp.Body)
	resp.Body.Close()
	for _, c := range []struct {
		name  string
		want  float64
		label []string
	}{
		{"strata_tenants", 1, []string{"instance", "db1/app", "state", "done"}},
		{"strata_tenants", 1, []string{"instance", "db1/app", "state", "failed"}},
		{"strata_tenants", 1, []string{"instance", "db1/app", "state", "migrating"}},
		{"strata_tenants", 0, []string{"instance", "db1/app", "state", "pending"}},
		{"strata_tenants", 2, []string{"instance", "db1/app", "state", "up_to_date"}},
		{"strata_migrations_applied_total", 2, []string{"env", "prod", "instance", "db1/app"}},
		{"strata_tenant_retries_total", 1, []string{"instance", "db1/app"}},
		{"strata_migration_duration_seconds", 2, []string{"instance", "db1/app"}},
		{"strata_tenant_duration_seconds", 2, []string{"instance", "db1/app"}},
		{"strata_instances", 1, []string{"state", "failed"}},
		{"strata_rollout_finished", 0, nil},
	} {
		if v, err := metricValue(fams, c.name, c.label...); err != nil || v != c.want {
			t.Errorf("scrape: %s%v = %v (%v), want %v", c.name, c.label, v, err, c.want)
		}
	}

	addr := s.addr()
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	f, err = os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fams = parseMetrics(t, f)
	if v, err := metricValue(fams, "strata_rollout_finished"); err != nil || v != 1 {
		t.Errorf("at the end: finished = %v, %v", v, err)
	}
	if v, err := metricValue(fams, "strata_tenants", "state", "done"); err != nil || v != 1 {
		t.Errorf("at the end: done = %v, %v", v, err)
	}
	if _, err := http.Get("http://" + addr + "/metrics"); err == nil {
		t.Error("the metrics server still answers after the run")
	}
	if entries, _ := os.ReadDir(filepath.Dir(file)); len(entries) != 1 {
		t.Errorf("the atomic writes left files behind: %v", entries)
	}
}

func TestMetricsFileUnwritable(t *testing.T) {
	_, err := newMetricsSink("prod", filepath.Join(t.TempDir(), "no", "such", "dir", "m.prom"), "", time.Hour)
	if err == nil || codeOf(err) != exitUsage || !strings.Contains(err.Error(), "--metrics-file") {
		t.Fatalf("err = %v", err)
	}
}
