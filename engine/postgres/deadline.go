package postgres

import (
	"context"
	"crypto/tls"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/stratadb/strata/engine/internal/tcpopt"
)

// Defaults of Options.ConnectTimeout and Options.NetworkTimeout.
const (
	DefaultConnectTimeout = 10 * time.Second
	DefaultNetworkTimeout = 30 * time.Second
)

// serverParams returns the session settings that make the server end the
// session of a client that is gone within about nt: TCP keepalives and
// tcp_user_timeout for a peer that stopped answering (probes are answered by
// the client's kernel, so a long statement is never affected), and
// idle_session_timeout (PostgreSQL 14 and later) for a session left idle
// while something between them keeps the TCP connection up. The last two
// are optional: a server that does not know them is asked again without.
func serverParams(nt time.Duration) (params, optional map[string]string) {
	idle, interval, count := tcpopt.KeepAlive(nt)
	params = map[string]string{
		"tcp_keepalives_idle":     strconv.Itoa(int(idle / time.Second)),
		"tcp_keepalives_interval": strconv.Itoa(int(interval / time.Second)),
		"tcp_keepalives_count":    strconv.Itoa(count),
	}
	optional = map[string]string{
		"tcp_user_timeout":     strconv.FormatInt(nt.Milliseconds(), 10),
		"idle_session_timeout": strconv.FormatInt(nt.Milliseconds(), 10),
	}
	return params, optional
}

// fallbackConnector connects with the optional server parameters first and,
// once a server refused one of them as unknown (SQLSTATE 42704: an older
// PostgreSQL), without them.
type fallbackConnector struct {
	full, basic driver.Connector
	old         atomic.Bool
}

func (c *fallbackConnector) Connect(ctx context.Context) (driver.Conn, error) {
	if !c.old.Load() {
		conn, err := c.full.Connect(ctx)
		var pe *pgconn.PgError
		if err == nil || !errors.As(err, &pe) || pe.Code != "42704" {
			return conn, err
		}
		c.old.Store(true)
	}
	return c.basic.Connect(ctx)
}

func (c *fallbackConnector) Driver() driver.Driver { return c.full.Driver() }

// LostError is a connection given up because the server could not be
// reached: nothing came back for a while and a new connection to the
// server (the probe) failed too, or the session's server process is gone.
type LostError struct {
	Silence time.Duration // how long nothing came back
	Reason  string        // what the probe found
}

func (e *LostError) Error() string {
	return fmt.Sprintf("connection lost: no answer from the server for %s, and %s (network_timeout)", e.Silence.Round(time.Millisecond), e.Reason)
}

// watchedConn is a client connection whose reads do not wait forever for a
// server that cannot be reached. Silence alone is no reason to give up: a
// long statement sends nothing until it ends. After check of silence, it
// asks the server over a new connection (the probe) whether it can be
// reached and whether this session's server process still exists; it gives
// up only when the probe fails within its own deadline or finds the process
// gone. Deadlines the driver sets (when a context is cancelled) are kept.
type watchedConn struct {
	net.Conn
	check time.Duration
	probe func(ctx context.Context, pid uint32) error // nil: alive
	pid   atomic.Uint32

	mu       sync.Mutex
	deadline time.Time // the driver's read deadline, zero when none
	checkAt  time.Time // the silence check of the read in progress
	stop     context.CancelFunc
	lost     error
}

func (c *watchedConn) effective() time.Time {
	d := c.deadline
	if !c.checkAt.IsZero() && (d.IsZero() || c.checkAt.Before(d)) {
		d = c.checkAt
	}
	return d
}

func (c *watchedConn) Read(b []byte) (int, error) {
	began := time.Now()
	for {
		c.mu.Lock()
		if c.lost != nil {
			c.mu.Unlock()
			return 0, c.lost
		}
		c.checkAt = time.Now().Add(c.check)
		err := c.Conn.SetReadDeadline(c.effective())
		c.mu.Unlock()
		if err != nil {
			return 0, err
		}
		n, err := c.Conn.Read(b)
		c.mu.Lock()
		c.checkAt = time.Time{}
		user := c.deadline
		_ = c.Conn.SetReadDeadline(user)
		c.mu.Unlock()
		if n > 0 || err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
			return n, err
		}
		if !user.IsZero() && !time.Now().Before(user) {
			return n, err // the driver's own deadline
		}
		if perr := c.probeNow(began); perr != nil {
			c.mu.Lock()
			c.lost = perr
			c.mu.Unlock()
			c.Conn.Close()
			return 0, perr
		}
	}
}

// probeNow runs the probe; a probe stopped because the driver set a
// deadline meanwhile is no verdict.
func (c *watchedConn) probeNow(began time.Time) error {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	c.mu.Lock()
	c.stop = stop
	c.mu.Unlock()
	err := c.probe(ctx, c.pid.Load())
	c.mu.Lock()
	c.stop = nil
	c.mu.Unlock()
	if err == nil || ctx.Err() != nil {
		return nil
	}
	return &LostError{Silence: time.Since(began), Reason: err.Error()}
}

func (c *watchedConn) SetDeadline(t time.Time) error {
	if err := c.Conn.SetWriteDeadline(t); err != nil {
		return err
	}
	return c.SetReadDeadline(t)
}

func (c *watchedConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deadline = t
	if c.stop != nil {
		c.stop() // the driver wants the read to end: do not wait for a probe
	}
	return c.Conn.SetReadDeadline(c.effective())
}

// watch wraps the connections that d makes.
func watch(d func(ctx context.Context, network, addr string) (net.Conn, error), check time.Duration,
	probe func(ctx context.Context, pid uint32) error) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := d(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &watchedConn{Conn: conn, check: check, probe: probe}, nil
	}
}

// notePID records the server process of a new connection in its
// watchedConn, for the probe.
func notePID(_ context.Context, pc *pgconn.PgConn) error {
	conn := pc.Conn()
	if tc, ok := conn.(*tls.Conn); ok {
		conn = tc.NetConn()
	}
	if w, ok := conn.(*watchedConn); ok {
		w.pid.Store(pc.PID())
	}
	return nil
}

// prober returns the probe of connections made with cfg: a new connection
// (cfg, without the watch), within timeout, and a look for the session's
// server process. Any answer of the server, an error included, shows it
// can be reached; only a network failure or a timeout is a failure.
func prober(cfg *pgconn.Config, connect, timeout time.Duration) func(ctx context.Context, pid uint32) error {
	pcfg := cfg.Copy()
	pcfg.DialFunc = tcpopt.Dialer(min(connect, timeout), timeout).DialContext
	pcfg.AfterConnect, pcfg.ValidateConnect, pcfg.OnNotice, pcfg.OnNotification = nil, nil, nil, nil
	pcfg.ConnectTimeout = timeout
	pcfg.RuntimeParams = map[string]string{"application_name": "strata/probe"}
	return func(ctx context.Context, pid uint32) error {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		conn, err := pgconn.ConnectConfig(ctx, pcfg)
		if err != nil {
			var pe *pgconn.PgError
			if errors.As(err, &pe) {
				return nil // the server answered (too many connections, ...)
			}
			if ctx.Err() != nil {
				return fmt.Errorf("a new connection to the server did not succeed within %s either", timeout)
			}
			return fmt.Errorf("a new connection to the server failed too: %w", err)
		}
		defer func() {
			cctx, ccancel := context.WithTimeout(context.Background(), time.Second)
			defer ccancel()
			conn.Close(cctx)
		}()
		if pid == 0 {
			return nil
		}
		res := conn.ExecParams(ctx, "SELECT 1 FROM pg_catalog.pg_stat_activity WHERE pid = $1",
			[][]byte{[]byte(strconv.FormatUint(uint64(pid), 10))}, nil, nil, nil).Read()
		var pe *pgconn.PgError
		switch {
		case res.Err == nil && len(res.Rows) == 0:
			return fmt.Errorf("the session's server process %d is gone", pid)
		case res.Err == nil, errors.As(res.Err, &pe):
			return nil
		case ctx.Err() != nil:
			return fmt.Errorf("a new connection to the server did not answer within %s either", timeout)
		}
		return fmt.Errorf("a new connection to the server failed too: %w", res.Err)
	}
}

// brokeError is a connection that broke after a request was sent on it:
// pgx reports it as "conn closed", which alone would say that nothing was
// sent.
type brokeError struct{ err error }

func (e *brokeError) Error() string {
	return "the connection broke while waiting for the answer: " + e.err.Error()
}
func (e *brokeError) Unwrap() error     { return e.err }
func (e *brokeError) SafeToRetry() bool { return false }

// afterSend returns the error of a request on pc, which was closed before
// the request (closed) or not: a "conn closed" of a connection that was
// open is a connection that broke while the request ran; when the watch
// gave it up, its LostError says why.
func afterSend(pc *pgconn.PgConn, closed bool, err error) error {
	if closed || !errors.Is(err, pgconn.ErrConnClosed) {
		return err
	}
	conn := pc.Conn()
	if tc, ok := conn.(*tls.Conn); ok {
		conn = tc.NetConn()
	}
	if w, ok := conn.(*watchedConn); ok {
		w.mu.Lock()
		lost := w.lost
		w.mu.Unlock()
		if lost != nil {
			return lost
		}
	}
	return &brokeError{err: err}
}

// connectionLost reports whether err means that the connection broke
// rather than that the server refused a statement, and whether the request
// may have reached the server first (sent). A FATAL or PANIC error ends the
// session too: an immediate shutdown can end it while a COMMIT is being
// written, so what it interrupted is not known either.
func connectionLost(err error) (lost, sent bool) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Severity == "FATAL" || pe.Severity == "PANIC", true
	}
	var le *LostError
	var ne net.Error
	if (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) && pgconn.SafeToRetry(err) {
		return false, false // cancelled before anything was sent: an interrupt, not a lost connection
	}
	switch {
	case errors.As(err, &le), errors.As(err, &ne), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, pgconn.ErrConnClosed), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		pgconn.Timeout(err), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return true, !pgconn.SafeToRetry(err)
	}
	return false, false
}
