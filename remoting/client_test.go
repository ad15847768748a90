package remoting

import (
	"bufio"
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// peer is a scripted server: handle gets every request and the connection,
// and writes whatever the test wants back.
type peer struct {
	ln     net.Listener
	wg     sync.WaitGroup
	accept atomic.Int32
	mu     sync.Mutex
	conns  []net.Conn
}

func newPeer(t *testing.T, handle func(req *Command, w func([]byte))) *peer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &peer{ln: ln}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.accept.Add(1)
			p.mu.Lock()
			p.conns = append(p.conns, c)
			p.mu.Unlock()
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				defer c.Close()
				var wmu sync.Mutex
				w := func(b []byte) { wmu.Lock(); c.Write(b); wmu.Unlock() }
				br := bufio.NewReader(c)
				for {
					req, err := ReadFrame(br)
					if err != nil {
						return
					}
					handle(req, w)
				}
			}()
		}
	}()
	t.Cleanup(p.close)
	return p
}

func (p *peer) addr() string { return p.ln.Addr().String() }

// dropConns closes every server-side connection, as an idle broker does.
func (p *peer) dropConns() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *peer) close() {
	p.ln.Close()
	p.dropConns()
	p.wg.Wait()
}

func reply(req *Command, code int, remark string, body []byte) []byte {
	b, _ := AppendFrame(nil, &Command{Code: code, Opaque: req.Opaque, Flag: flagResponse, Remark: remark, Body: body})
	return b
}

func TestClientMultiplexesOutOfOrder(t *testing.T) {
	// Answer in reverse order of arrival once 20 requests are in flight.
	var mu sync.Mutex
	var held []*Command
	var p *peer
	p = newPeer(t, func(req *Command, w func([]byte)) {
		mu.Lock()
		held = append(held, req)
		if len(held) == 20 {
			for i := len(held) - 1; i >= 0; i-- {
				r := held[i]
				w(reply(r, 0, "", []byte(r.ExtFields["n"])))
			}
		}
		mu.Unlock()
	})
	c := NewClient(Options{})
	defer c.Close()
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(n string) {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			resp, err := c.Call(ctx, p.addr(), 28, map[string]string{"n": n}, nil)
			if err != nil {
				t.Error(err)
				return
			}
			if string(resp.Body) != n {
				t.Errorf("request %s got answer %s", n, resp.Body)
			}
		}(string(rune('a' + i)))
	}
	wg.Wait()
	if n := p.accept.Load(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

func TestClientTypedResponseError(t *testing.T) {
	p := newPeer(t, func(req *Command, w func([]byte)) {
		w(reply(req, 1, "The stats <TOPIC_PUT_NUMS> <x> not exist", nil))
	})
	c := NewClient(Options{})
	defer c.Close()
	_, err := c.Call(context.Background(), p.addr(), ViewBrokerStatsData, nil, nil)
	var re *ResponseError
	if !errors.As(err, &re) || re.Code != 1 || re.RequestCode != ViewBrokerStatsData || ResponseCode(err) != 1 {
		t.Fatalf("got %v", err)
	}
}

func TestClientSilentPeerTimesOutAndResets(t *testing.T) {
	var calls atomic.Int32
	p := newPeer(t, func(req *Command, w func([]byte)) {
		if calls.Add(1) > 1 {
			w(reply(req, 0, "", nil))
		}
	})
	c := NewClient(Options{})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.Call(ctx, p.addr(), 28, nil, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want a deadline error", err)
	}
	// The silent connection is dropped; the next call dials afresh.
	if _, err := c.Call(context.Background(), p.addr(), 28, nil, nil); err != nil {
		t.Fatal(err)
	}
	if n := p.accept.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

func TestClientReconnectsAfterPeerCloses(t *testing.T) {
	p := newPeer(t, func(req *Command, w func([]byte)) { w(reply(req, 0, "", nil)) })
	c := NewClient(Options{})
	defer c.Close()
	if _, err := c.Call(context.Background(), p.addr(), 28, nil, nil); err != nil {
		t.Fatal(err)
	}
	p.dropConns()
	time.Sleep(20 * time.Millisecond)
	if _, err := c.Call(context.Background(), p.addr(), 28, nil, nil); err != nil {
		t.Fatalf("after the peer closed: %v", err)
	}
}

func TestClientGarbageAnswerFailsCall(t *testing.T) {
	p := newPeer(t, func(req *Command, w func([]byte)) {
		w(frame(0, []byte("not json at all"), nil))
	})
	c := NewClient(Options{})
	defer c.Close()
	_, err := c.Call(context.Background(), p.addr(), 28, nil, nil)
	var fe *FrameError
	if !errors.As(err, &fe) {
		t.Fatalf("got %v, want a FrameError", err)
	}
}

func TestClientIgnoresUnknownOpaque(t *testing.T) {
	p := newPeer(t, func(req *Command, w func([]byte)) {
		stray := *req
		stray.Opaque += 1000
		w(reply(&stray, 0, "", []byte("stray")))
		w(reply(req, 0, "", []byte("mine")))
	})
	c := NewClient(Options{})
	defer c.Close()
	resp, err := c.Call(context.Background(), p.addr(), 28, nil, nil)
	if err != nil || string(resp.Body) != "mine" {
		t.Fatalf("got %v %v", resp, err)
	}
}

func TestClientPeerDiesMidStream(t *testing.T) {
	var p *peer
	p = newPeer(t, func(req *Command, w func([]byte)) {
		b := reply(req, 0, "", []byte("0123456789"))
		w(b[:len(b)-4]) // half a frame, then the peer is gone
		go p.dropConns()
	})
	c := NewClient(Options{})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := c.Call(ctx, p.addr(), 28, nil, nil)
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want a connection error before the deadline", err)
	}
}

func TestClientSignsRequests(t *testing.T) {
	got := make(chan *Command, 1)
	p := newPeer(t, func(req *Command, w func([]byte)) {
		got <- req
		w(reply(req, 0, "", nil))
	})
	c := NewClient(Options{Credentials: &Credentials{AccessKey: "ak", SecretKey: "sk"}})
	defer c.Close()
	ext := map[string]string{"topic": "t"}
	if _, err := c.Call(context.Background(), p.addr(), 202, ext, []byte("b")); err != nil {
		t.Fatal(err)
	}
	req := <-got
	if req.ExtFields["AccessKey"] != "ak" || req.ExtFields["Signature"] != Signature("sk", req.ExtFields, []byte("b")) {
		t.Fatalf("bad signature fields: %v", req.ExtFields)
	}
	if _, signed := ext["Signature"]; signed {
		t.Fatal("the caller's map was modified")
	}
}

func TestClientClosed(t *testing.T) {
	c := NewClient(Options{})
	c.Close()
	if _, err := c.Call(context.Background(), "127.0.0.1:1", 28, nil, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("got %v", err)
	}
}
