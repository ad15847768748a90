package remoting

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Observer learns of every round trip, for self metrics. err is nil only
// for a SUCCESS answer.
type Observer interface {
	ObserveRPC(addr string, requestCode int, d time.Duration, bytesIn int, err error)
}

// Options configure a Client.
type Options struct {
	Credentials *Credentials // nil: unsigned requests
	TLS         *tls.Config  // nil: plain TCP
	DialTimeout time.Duration
	// IdleTimeout closes a connection unused this long before the broker
	// does (its serverChannelMaxIdleTimeSeconds is 120 s), so a request is
	// never written into a socket the broker is about to drop.
	IdleTimeout time.Duration
	Observer    Observer
	// Tap sees every completed round trip; tests use it to record the
	// broker's answers as fixtures.
	Tap func(addr string, req, resp *Command)
	// AnswerBudget, when positive, bounds the bytes of large answers (from
	// LargeAnswer up) read and not yet released (Command.Release) at once,
	// across every connection: their readers wait for room, so a process
	// that must receive several brokers' listings holds one or two of them
	// at a time rather than all. Every caller must release what it got.
	AnswerBudget int
}

// Client multiplexes requests over one connection per address.
type Client struct {
	opts   Options
	opaque atomic.Int32
	budget *answerBudget

	mu      sync.Mutex
	conns   map[string]*conn
	dialing map[string]chan struct{} // closed when that address's dial ends
	closed  bool
}

// NewClient returns a client; connections are dialled on first use.
func NewClient(opts Options) *Client {
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 3 * time.Second
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 90 * time.Second
	}
	return &Client{opts: opts, budget: newAnswerBudget(opts.AnswerBudget), conns: map[string]*conn{}, dialing: map[string]chan struct{}{}}
}

// Close closes every connection; calls in flight fail with ErrClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	conns := c.conns
	c.conns = map[string]*conn{}
	c.mu.Unlock()
	for _, cn := range conns {
		cn.fail(ErrClosed)
	}
	return nil
}

// Call sends a request and returns the response when its code is SUCCESS,
// and a *ResponseError otherwise.
func (c *Client) Call(ctx context.Context, addr string, code int, ext map[string]string, body []byte) (*Command, error) {
	start := time.Now()
	resp, err := c.invoke(ctx, addr, code, ext, body)
	if err == nil && c.opts.Tap != nil {
		c.opts.Tap(addr, &Command{Code: code, ExtFields: ext, Body: body}, resp)
	}
	if err == nil && resp.Code != CodeSuccess {
		ak := ""
		if c.opts.Credentials != nil {
			ak = c.opts.Credentials.AccessKey
		}
		err = authError(&ResponseError{Addr: addr, RequestCode: code, Code: resp.Code, Remark: resp.Remark}, ak)
	}
	if c.opts.Observer != nil {
		n := 0
		if resp != nil {
			n = len(resp.Body)
		}
		c.opts.Observer.ObserveRPC(addr, code, time.Since(start), n, err)
	}
	if err != nil {
		resp.Release()
		return nil, err
	}
	return resp, nil
}

func (c *Client) invoke(ctx context.Context, addr string, code int, ext map[string]string, body []byte) (*Command, error) {
	req := &Command{Code: code, Language: LanguageGo, Version: ProtocolVersion, ExtFields: ext, Body: body}
	if c.opts.Credentials != nil {
		// Signing mutates extFields: work on a copy the caller does not see.
		req.ExtFields = make(map[string]string, len(ext)+3)
		for k, v := range ext {
			req.ExtFields[k] = v
		}
		c.opts.Credentials.sign(req)
	}
	for attempt := 0; ; attempt++ {
		cn, reused, err := c.conn(ctx, addr)
		if err != nil {
			return nil, err
		}
		req.Opaque = c.opaque.Add(1)
		resp, err := cn.roundTrip(ctx, req)
		// A reused connection may have been closed by the broker just as we
		// wrote; one retry on a fresh connection hides that race.
		if err != nil && reused && attempt == 0 && errors.Is(err, errConnLost) && ctx.Err() == nil {
			continue
		}
		return resp, err
	}
}

// conn returns a live connection to addr. Concurrent callers share one
// dial, so a burst of first calls opens one socket, not one each.
func (c *Client) conn(ctx context.Context, addr string) (*conn, bool, error) {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, false, ErrClosed
		}
		if cn := c.conns[addr]; cn != nil {
			if cn.alive() && time.Since(cn.lastUsed()) < c.opts.IdleTimeout {
				c.mu.Unlock()
				return cn, true, nil
			}
			delete(c.conns, addr)
			go cn.fail(errConnLost)
		}
		if wait := c.dialing[addr]; wait != nil {
			c.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return nil, false, fmt.Errorf("rocketmq %s: connect: %w", addr, ctx.Err())
			}
		}
		wait := make(chan struct{})
		c.dialing[addr] = wait
		c.mu.Unlock()

		nc, err := c.dial(ctx, addr)
		c.mu.Lock()
		delete(c.dialing, addr)
		close(wait)
		if err != nil {
			c.mu.Unlock()
			return nil, false, err
		}
		cn := newConn(addr, nc, c.budget)
		if c.closed {
			c.mu.Unlock()
			cn.fail(ErrClosed)
			return nil, false, ErrClosed
		}
		c.conns[addr] = cn
		c.mu.Unlock()
		return cn, false, nil
	}
}

func (c *Client) dial(ctx context.Context, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: c.opts.DialTimeout, KeepAlive: 30 * time.Second}
	var nc net.Conn
	var err error
	if c.opts.TLS != nil {
		td := &tls.Dialer{NetDialer: d, Config: c.opts.TLS}
		nc, err = td.DialContext(ctx, "tcp", addr)
	} else {
		nc, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		var op *net.OpError
		if c.opts.TLS != nil && !(errors.As(err, &op) && op.Op == "dial") {
			err = withTLSHint(err, true) // the TCP connection stood: the handshake failed
		}
		return nil, fmt.Errorf("rocketmq %s: connect: %w", addr, err)
	}
	return nc, nil
}

// errConnLost marks a call whose connection died before its answer came.
var errConnLost = errors.New("connection lost")

type result struct {
	cmd *Command
	err error
}

// conn is one multiplexed connection: writes are serialised, one reader
// goroutine hands each response to the caller waiting on its opaque.
type conn struct {
	addr    string
	nc      net.Conn
	overTLS bool
	budget  *answerBudget // the client's, shared by its connections

	wmu  sync.Mutex
	wbuf []byte

	mu      sync.Mutex
	pending map[int32]chan result
	err     error
	used    atomic.Int64 // unix nanos of the last request
	read    atomic.Int64 // unix nanos of the last frame received
	done    chan struct{}
}

func newConn(addr string, nc net.Conn, budget *answerBudget) *conn {
	_, overTLS := nc.(*tls.Conn)
	cn := &conn{addr: addr, nc: nc, overTLS: overTLS, budget: budget, pending: map[int32]chan result{}, done: make(chan struct{})}
	cn.used.Store(time.Now().UnixNano())
	go cn.readLoop()
	return cn
}

func (cn *conn) alive() bool {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	return cn.err == nil
}

func (cn *conn) lastUsed() time.Time { return time.Unix(0, cn.used.Load()) }

// fail closes the connection and fails every call waiting on it.
func (cn *conn) fail(err error) {
	if pending, ok := cn.markFailed(err); ok {
		cn.release(pending, err)
	}
}

// markFailed marks the connection dead, so no new call picks it, and takes
// the calls waiting on it; only the first caller gets ok.
func (cn *conn) markFailed(err error) (map[int32]chan result, bool) {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	if cn.err != nil {
		return nil, false
	}
	cn.err = err
	pending := cn.pending
	cn.pending = nil
	close(cn.done)
	return pending, true
}

// release closes the socket and fails the calls markFailed took.
func (cn *conn) release(pending map[int32]chan result, err error) {
	cn.nc.Close()
	for _, ch := range pending {
		ch <- result{err: err}
	}
}

func (cn *conn) roundTrip(ctx context.Context, req *Command) (*Command, error) {
	ch := make(chan result, 1)
	cn.mu.Lock()
	if cn.err != nil {
		err := cn.err
		cn.mu.Unlock()
		return nil, cn.wrap(err)
	}
	cn.pending[req.Opaque] = ch
	cn.mu.Unlock()
	sent := time.Now().UnixNano()
	cn.used.Store(sent)

	if err := cn.write(ctx, req); err != nil {
		cn.forget(req.Opaque)
		return nil, cn.wrap(cn.cause(err))
	}
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, cn.wrap(r.err)
		}
		return r.cmd, nil
	case <-ctx.Done():
		if !cn.forget(req.Opaque) {
			// The reader or a failure has taken the call and sends its one
			// result now: an answer nobody decodes must give its room back.
			if r := <-ch; r.cmd != nil {
				r.cmd.Release()
			}
		}
		if cn.read.Load() < sent {
			// Nothing at all arrived since we asked: the peer has stopped
			// answering, and every call on this socket would wait the same.
			// It is marked dead now, so the next call dials afresh; closing
			// a TLS socket may wait on the peer, so that happens aside.
			if pending, ok := cn.markFailed(errConnLost); ok {
				go cn.release(pending, errConnLost)
			}
		}
		return nil, fmt.Errorf("rocketmq %s: request %s: %w", cn.addr, RequestName(req.Code), ctx.Err())
	}
}

// explain adds a TLS hint to the error that ends a connection which never
// received a frame: how a server that requires TLS (or refuses this
// client's TLS) answers a first request. Later errors are not about TLS.
func (cn *conn) explain(err error) error {
	if cn.read.Load() != 0 {
		return err
	}
	return withTLSHint(err, cn.overTLS)
}

// cause is the error that ended the connection when it ended before err,
// which then only reports the consequence: a write that fails because the
// reader closed the socket on the server's TLS alert must say the alert,
// not "use of closed network connection".
func (cn *conn) cause(err error) error {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	if cn.err != nil {
		return cn.err
	}
	return err
}

// forget drops a call nobody waits for any more and reports whether it
// was still pending; when not, exactly one result is on its way to it.
func (cn *conn) forget(opaque int32) bool {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	if _, ok := cn.pending[opaque]; ok {
		delete(cn.pending, opaque)
		return true
	}
	return false
}

func (cn *conn) wrap(err error) error {
	if errors.Is(err, ErrClosed) {
		return err
	}
	var fe *FrameError
	if errors.As(err, &fe) {
		return fmt.Errorf("rocketmq %s: %w: %w", cn.addr, errConnLost, err)
	}
	if errors.Is(err, errConnLost) {
		return fmt.Errorf("rocketmq %s: %w", cn.addr, err)
	}
	return fmt.Errorf("rocketmq %s: %w: %w", cn.addr, errConnLost, err)
}

func (cn *conn) write(ctx context.Context, req *Command) error {
	cn.wmu.Lock()
	defer cn.wmu.Unlock()
	buf, err := AppendFrame(cn.wbuf[:0], req)
	if err != nil {
		return err
	}
	cn.wbuf = buf
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(30 * time.Second)
	}
	cn.nc.SetWriteDeadline(deadline)
	if _, err := cn.nc.Write(buf); err != nil {
		err = cn.explain(err)
		cn.fail(err)
		return err
	}
	if cap(cn.wbuf) > 1<<20 {
		cn.wbuf = nil // do not pin a large request buffer
	}
	return nil
}

func (cn *conn) readLoop() {
	br := bufio.NewReaderSize(cn.nc, 64<<10)
	for {
		cmd, err := readFrame(br, cn.budget)
		if err != nil {
			cn.fail(cn.explain(err))
			return
		}
		cn.read.Store(time.Now().UnixNano())
		if !cmd.IsResponse() {
			cmd.Release()
			continue // server-initiated requests go only to registered clients; we are none
		}
		cn.mu.Lock()
		ch := cn.pending[cmd.Opaque]
		if ch != nil {
			delete(cn.pending, cmd.Opaque)
		}
		cn.mu.Unlock()
		if ch != nil {
			ch <- result{cmd: cmd}
		} else {
			cmd.Release()
		}
		// An answer for an opaque nobody waits for is a late reply to a
		// cancelled call: dropping it is correct.
	}
}
