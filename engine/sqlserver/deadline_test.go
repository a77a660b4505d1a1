package sqlserver

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// silentServer accepts TCP connections and never answers, as a wrong port
// or a hung server does.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range held {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// TestConnectTimeoutOnSilentServer: a server that accepts TCP but never
// answers ends the login at connect_timeout instead of hanging.
func TestConnectTimeoutOnSilentServer(t *testing.T) {
	addr := silentServer(t)
	db, err := Open(context.Background(), "sqlserver://sa:pw@"+addr+"?database=x&encrypt=disable", Options{ConnectTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.PingContext(context.Background())
	if err == nil || !strings.Contains(err.Error(), "connect_timeout") {
		t.Fatalf("ping of a silent server: %v, want an error naming connect_timeout", err)
	}
}

// TestConnectHonoursCancel: a cancelled context (SIGINT, SIGTERM) ends a
// login that waits for the server, long before connect_timeout.
func TestConnectHonoursCancel(t *testing.T) {
	addr := silentServer(t)
	db, err := Open(context.Background(), "sqlserver://sa:pw@"+addr+"?database=x&encrypt=disable", Options{ConnectTimeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- db.PingContext(ctx) }()
	// The login is under way (the server accepted) when the cancel comes.
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case err := <-errc:
		if err == nil || !errors.Is(err, context.Canceled) && !strings.Contains(err.Error(), "cancel") {
			t.Fatalf("ping after cancel: %v, want a cancellation", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the login ignored the cancelled context")
	}
}
