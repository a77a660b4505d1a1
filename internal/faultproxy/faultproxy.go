// Package faultproxy is a TCP proxy for tests that breaks the network on
// demand between a client and a server on this machine: it cuts
// connections, stops forwarding in both directions (a partition), delays
// what it forwards, and refuses new connections. It listens on 127.0.0.1
// only.
//
// A partition made by a proxy is seen by both ends as silence: the proxy's
// kernel still acknowledges what they send (TCP keepalive probes included),
// so only deadlines above TCP, or a server-side idle timeout, end it.
package faultproxy

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// Action is what a trigger does.
type Action int

const (
	// Cut closes every connection, both sides, at once.
	Cut Action = iota
	// Blackhole stops forwarding in both directions (see Proxy.Blackhole).
	Blackhole
)

// Trigger fires an action once, when a client has sent the server a marker
// or a number of bytes. The data that fires it is forwarded first.
type Trigger struct {
	Marker []byte        // fire when the client's bytes contain Marker (across chunk boundaries)
	Bytes  int64         // or when one connection has forwarded this many client bytes (0: unused)
	Delay  time.Duration // wait this long after the data is forwarded
	// OnReply waits, once the marker or the bytes were forwarded, for the
	// server's next answer on that connection, drops it and then acts: the
	// server has done the work (a COMMIT), the client never hears of it.
	OnReply bool
	// ReplyMarker, with OnReply, lets the server's answers pass until one
	// contains it (within one chunk): that one is dropped. A request that
	// holds several transactions is answered in several chunks.
	ReplyMarker []byte
	Action      Action
}

// Proxy forwards connections from Addr to a target address.
type Proxy struct {
	target string
	addr   string

	mu        sync.Mutex
	ln        net.Listener
	conns     map[*pair]struct{}
	blackhole bool
	delay     time.Duration
	trigger   *Trigger
	fired     chan struct{}
	accepted  int
	closed    bool
	wg        sync.WaitGroup
}

type pair struct {
	client, server net.Conn
	sent           int64  // client bytes forwarded
	tail           []byte // the end of the client's bytes, to find a marker split across chunks
	onReply        func() // set by an OnReply trigger: drop the server's next bytes and call it
	replyMarker    []byte // drop only a chunk that holds this
}

// New starts a proxy to target on a free port of 127.0.0.1.
func New(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen: %w", err)
	}
	p := &Proxy{target: target, addr: ln.Addr().String(), ln: ln, conns: map[*pair]struct{}{}}
	p.wg.Add(1)
	go p.serve(ln)
	return p, nil
}

// Addr is the proxy's address, host:port.
func (p *Proxy) Addr() string { return p.addr }

// Accepted is the number of connections accepted so far.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// Open is the number of connections open now.
func (p *Proxy) Open() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

func (p *Proxy) serve(ln net.Listener) {
	defer p.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go p.handle(c)
	}
}

func (p *Proxy) handle(c net.Conn) {
	defer p.wg.Done()
	s, err := net.DialTimeout("tcp", p.target, 10*time.Second)
	if err != nil {
		c.Close()
		return
	}
	pr := &pair{client: c, server: s}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		c.Close()
		s.Close()
		return
	}
	p.conns[pr] = struct{}{}
	p.accepted++
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { p.copy(pr, s, c, true); done <- struct{}{} }()
	go func() { p.copy(pr, c, s, false); done <- struct{}{} }()
	<-done
	<-done
	p.mu.Lock()
	delete(p.conns, pr)
	p.mu.Unlock()
}

// copy forwards src to dst. While the proxy is a black hole, what is read
// is dropped, and an end of stream is not passed on: the other side learns
// nothing, as behind a partition.
func (p *Proxy) copy(pr *pair, dst, src net.Conn, fromClient bool) {
	buf := make([]byte, 32*1024)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			hole, delay := p.blackhole, p.delay
			var act func()
			if !fromClient && pr.onReply != nil && (pr.replyMarker == nil || bytes.Contains(buf[:n], pr.replyMarker)) {
				act, pr.onReply = pr.onReply, nil
			}
			p.mu.Unlock()
			if act != nil {
				act() // the answer is dropped
				continue
			}
			if !hole {
				if delay > 0 {
					time.Sleep(delay)
				}
				if _, werr := dst.Write(buf[:n]); werr != nil {
					src.Close()
					return
				}
				if fromClient {
					p.check(pr, buf[:n])
				}
			}
		}
		if err != nil {
			p.mu.Lock()
			hole := p.blackhole
			p.mu.Unlock()
			if hole && !errors.Is(err, net.ErrClosed) {
				// Keep the other side open and silent until Cut or Close.
				p.waitClosed(pr)
			}
			dst.Close()
			src.Close()
			return
		}
	}
}

// waitClosed blocks until the pair is cut or the proxy closed.
func (p *Proxy) waitClosed(pr *pair) {
	for {
		p.mu.Lock()
		_, open := p.conns[pr]
		closed := p.closed
		p.mu.Unlock()
		if !open || closed {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// check fires the trigger on a client chunk just forwarded.
func (p *Proxy) check(pr *pair, chunk []byte) {
	p.mu.Lock()
	t := p.trigger
	pr.sent += int64(len(chunk))
	hit := false
	if t != nil {
		if len(t.Marker) > 0 {
			window := append(pr.tail, chunk...)
			hit = bytes.Contains(window, t.Marker)
			keep := min(len(window), len(t.Marker)-1)
			pr.tail = append([]byte(nil), window[len(window)-keep:]...)
		}
		if t.Bytes > 0 && pr.sent >= t.Bytes {
			hit = true
		}
	}
	if !hit {
		p.mu.Unlock()
		return
	}
	p.trigger = nil
	fired := p.fired
	act := func() {
		time.Sleep(t.Delay)
		switch t.Action {
		case Cut:
			p.Cut()
		case Blackhole:
			p.Blackhole(true)
		}
		close(fired)
	}
	if t.OnReply {
		pr.onReply, pr.replyMarker = act, t.ReplyMarker
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	go act()
}

// Arm sets a trigger, replacing any earlier one; the channel is closed once
// its action is done.
func (p *Proxy) Arm(t Trigger) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.trigger = &t
	p.fired = make(chan struct{})
	for pr := range p.conns {
		pr.tail = nil
	}
	return p.fired
}

// Cut closes every open connection on both sides, abortively on the
// client's side (a reset), as a crashed middlebox does. New connections
// are still accepted.
func (p *Proxy) Cut() {
	p.mu.Lock()
	pairs := make([]*pair, 0, len(p.conns))
	for pr := range p.conns {
		pairs = append(pairs, pr)
		delete(p.conns, pr)
	}
	p.mu.Unlock()
	for _, pr := range pairs {
		if tc, ok := pr.client.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		pr.client.Close()
		pr.server.Close()
	}
}

// Blackhole starts (true) or ends (false) a partition: nothing is forwarded
// in either direction, ends of stream included, and new connections are
// accepted but get nothing through either. Bytes dropped meanwhile are
// lost: after the partition, connections that lived through it are broken
// and should be cut.
func (p *Proxy) Blackhole(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blackhole = on
}

// Delay makes every forwarded chunk wait d first, in both directions.
func (p *Proxy) Delay(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = d
}

// Refuse closes the listening socket (true), so that new connections are
// refused by the kernel, or listens again on the same port (false).
// Connections already open are not affected.
func (p *Proxy) Refuse(on bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if on {
		if p.ln != nil {
			err := p.ln.Close()
			p.ln = nil
			return err
		}
		return nil
	}
	if p.ln != nil || p.closed {
		return nil
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return fmt.Errorf("faultproxy: listen again on %s: %w", p.addr, err)
	}
	p.ln = ln
	p.wg.Add(1)
	go p.serve(ln)
	return nil
}

// Close stops the proxy and closes every connection.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	var err error
	if p.ln != nil {
		err = p.ln.Close()
		p.ln = nil
	}
	p.mu.Unlock()
	p.Cut()
	p.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}
