// Package tcpopt makes TCP connections that end within a bounded time when
// the peer stops answering: TCP keepalives, and TCP_USER_TIMEOUT where the
// system has it (Linux). Keepalive probes are answered by the peer's
// kernel, so a connection whose server is busy with a long statement is
// never affected.
package tcpopt

import (
	"net"
	"syscall"
	"time"
)

// KeepAlive returns the keepalive settings that end a connection whose peer
// stopped answering within about nt: the first probe after nt/2 of silence,
// then three probes nt/6 apart, in whole seconds (at least one each).
func KeepAlive(nt time.Duration) (idle, interval time.Duration, count int) {
	sec := func(d time.Duration) time.Duration {
		return max(time.Second, (d+time.Second-1)/time.Second*time.Second)
	}
	return sec(nt / 2), sec(nt / 6), 3
}

// Dialer returns a dialer with the connect timeout and, when nt > 0, the
// keepalives of KeepAlive(nt) and TCP_USER_TIMEOUT nt (data the peer does
// not acknowledge within nt ends the connection).
func Dialer(connect, nt time.Duration) *net.Dialer {
	d := &net.Dialer{Timeout: connect}
	if nt <= 0 {
		d.KeepAlive = 30 * time.Second
		return d
	}
	idle, interval, count := KeepAlive(nt)
	d.KeepAliveConfig = net.KeepAliveConfig{Enable: true, Idle: idle, Interval: interval, Count: count}
	d.Control = func(network, _ string, c syscall.RawConn) error {
		if network != "tcp" && network != "tcp4" && network != "tcp6" {
			return nil
		}
		var serr error
		if err := c.Control(func(fd uintptr) { serr = setUserTimeout(fd, nt) }); err != nil {
			return err
		}
		return serr
	}
	return d
}
