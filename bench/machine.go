package main

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// machine describes where the benchmark ran.
type machine struct {
	CPU               string `json:"cpu"`
	Cores             int    `json:"cores"`
	GOMAXPROCS        int    `json:"gomaxprocs"`
	MemoryMiB         int64  `json:"memory_mib"`
	Kernel            string `json:"kernel"`
	Go                string `json:"go"`
	PostgreSQL        string `json:"postgresql"`
	Server            string `json:"server"` // host:port, never credentials
	SharedBuffers     string `json:"shared_buffers"`
	SynchronousCommit string `json:"synchronous_commit"`
	Fsync             string `json:"fsync"`
}

func describeMachine(ctx context.Context, admin *pgx.Conn) machine {
	m := machine{
		CPU:        "unknown",
		Cores:      runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		Go:         runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH,
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kib, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
				m.MemoryMiB = kib / 1024
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(b))
	} else {
		m.Kernel = runtime.GOOS
	}
	cfg := admin.Config()
	m.Server = cfg.Host + ":" + strconv.Itoa(int(cfg.Port))
	for _, q := range []struct {
		sql string
		dst *string
	}{
		{"SELECT version()", &m.PostgreSQL},
		{"SHOW shared_buffers", &m.SharedBuffers},
		{"SHOW synchronous_commit", &m.SynchronousCommit},
		{"SHOW fsync", &m.Fsync},
	} {
		if err := admin.QueryRow(ctx, q.sql).Scan(q.dst); err != nil {
			*q.dst = "unknown (" + err.Error() + ")"
		}
	}
	return m
}
