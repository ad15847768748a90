package simbroker

import (
	"bufio"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
)

// Fault is what a server does wrong. The zero Fault is a healthy server.
type Fault struct {
	// Latency is added to every answer, on top of Options.Latency.
	Latency time.Duration
	// Hold reads requests but answers none until the fault is cleared;
	// then the held requests are answered (late).
	Hold bool
	// Close drops a connection as soon as a request arrives on it, and
	// every new connection at once.
	Close bool
	// Garbage answers with frames that are not remoting frames.
	Garbage bool
	// BadBody answers SUCCESS with a body that is not JSON.
	BadBody bool
	// Code answers every request with this response code (and Remark).
	Code   int
	Remark string
	// AfterCalls delays the fault until this many more requests have
	// arrived, so it can strike in the middle of a cycle.
	AfterCalls int64
	// Request limits the fault to requests of this code (0: every
	// request), so one kind of call fails while the rest are answered.
	Request int
}

// Server is one listening process of the simulated cluster: the namesrv, a
// broker or a slave.
type Server struct {
	Name string
	Addr string

	ln      net.Listener
	handle  func(*remoting.Command) *remoting.Command
	binary  bool
	latency time.Duration
	version int // the broker version's ordinal, in every answer's header

	fmu     sync.Mutex
	fault   Fault
	since   int64         // requests since the fault was set
	release chan struct{} // closed when a Hold ends

	closed    chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
	cmu       sync.Mutex
	conns     map[net.Conn]struct{}

	calls    atomic.Int64
	bytesOut atomic.Int64
	accepts  atomic.Int64
	codeMu   sync.Mutex
	byCode   map[int]int64
	ledger   *ledger // the cluster's count, which outlives this process
}

// anyPort asks the kernel for a free port.
const anyPort = "127.0.0.1:0"

// newServer listens on addr (anyPort for a fresh one; a restarted process
// asks for its old address).
func newServer(name, addr string, handle func(*remoting.Command) *remoting.Command, binary bool, latency time.Duration, version int, l *ledger) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{Name: name, Addr: ln.Addr().String(), ln: ln, handle: handle, binary: binary, latency: latency, version: version,
		release: make(chan struct{}), closed: make(chan struct{}), conns: map[net.Conn]struct{}{}, byCode: map[int]int64{}, ledger: l}
	s.wg.Add(1)
	go s.acceptLoop()
	return s, nil
}

// SetFault replaces the server's fault; the zero Fault heals it.
func (s *Server) SetFault(f Fault) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	if s.fault.Hold && !f.Hold {
		close(s.release)
		s.release = make(chan struct{})
	}
	s.fault, s.since = f, 0
}

// ClearFault heals the server: held requests are answered.
func (s *Server) ClearFault() { s.SetFault(Fault{}) }

// DropConnections closes every open connection once, as a broker restart
// or a network blip would.
func (s *Server) DropConnections() {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	for c := range s.conns {
		c.Close()
	}
}

// Calls is how many requests the server has received.
func (s *Server) Calls() int64 { return s.calls.Load() }

// CallsByCode counts the requests received by request code.
func (s *Server) CallsByCode() map[int]int64 {
	s.codeMu.Lock()
	defer s.codeMu.Unlock()
	out := make(map[int]int64, len(s.byCode))
	for k, v := range s.byCode {
		out[k] = v
	}
	return out
}

// BytesOut is how many bytes the server has written, frames included.
func (s *Server) BytesOut() int64 { return s.bytesOut.Load() }

// Accepts is how many connections the server has accepted.
func (s *Server) Accepts() int64 { return s.accepts.Load() }

// arm counts one request and returns the fault in force for it.
func (s *Server) arm(count bool) (Fault, chan struct{}, bool) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	if count {
		s.since++
	}
	armed := s.fault != (Fault{}) && s.since > s.fault.AfterCalls
	return s.fault, s.release, armed
}

func (s *Server) close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.ln.Close()
		s.DropConnections()
	})
	s.wg.Wait()
}

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.accepts.Add(1)
		if f, _, armed := s.arm(false); armed && f.Close && f.Request == 0 {
			nc.Close()
			continue
		}
		s.cmu.Lock()
		select {
		case <-s.closed:
			s.cmu.Unlock()
			nc.Close()
			return
		default:
		}
		s.conns[nc] = struct{}{}
		s.wg.Add(1)
		s.cmu.Unlock()
		go s.serveConn(nc)
	}
}

func (s *Server) serveConn(nc net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.cmu.Lock()
		delete(s.conns, nc)
		s.cmu.Unlock()
		nc.Close()
	}()
	br := bufio.NewReaderSize(nc, 16<<10)
	var wmu sync.Mutex
	for {
		req, err := remoting.ReadFrame(br)
		if err != nil {
			return
		}
		if req.IsResponse() {
			continue
		}
		s.calls.Add(1)
		s.codeMu.Lock()
		s.byCode[req.Code]++
		s.codeMu.Unlock()
		if s.ledger != nil {
			s.ledger.add(s.Name, req.Code)
		}
		f, rel, armed := s.arm(true)
		armed = armed && (f.Request == 0 || f.Request == req.Code)
		if armed && f.Close {
			return
		}
		s.wg.Add(1)
		go s.answer(nc, &wmu, req, f, rel, armed)
	}
}

func (s *Server) wait(d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.closed:
		return false
	}
}

func (s *Server) answer(nc net.Conn, wmu *sync.Mutex, req *remoting.Command, f Fault, rel chan struct{}, armed bool) {
	defer s.wg.Done()
	lat := s.latency
	if armed {
		lat += f.Latency
	}
	if !s.wait(lat) {
		return
	}
	if armed && f.Hold {
		select {
		case <-rel:
		case <-s.closed:
			return
		}
	}
	var frame []byte
	switch {
	case armed && f.Garbage:
		frame = []byte{0, 0, 0, 12, 0xEE, 0, 0, 4, 'j', 'u', 'n', 'k', 0xFF, 0xFE, 0xFD, 0xFC}
	default:
		var resp *remoting.Command
		switch {
		case armed && f.Code != 0:
			remark := f.Remark
			if remark == "" {
				remark = "simulated " + remoting.CodeName(f.Code)
			}
			resp = &remoting.Command{Code: f.Code, Remark: remark}
		case armed && f.BadBody:
			resp = &remoting.Command{Body: []byte("<html>not json</html>")}
		default:
			resp = s.handle(req)
		}
		resp.Opaque, resp.Flag, resp.Language, resp.Version = req.Opaque, 1, "JAVA", s.version
		if s.binary {
			frame = remoting.AppendBinaryFrame(nil, resp)
		} else {
			var err error
			if frame, err = remoting.AppendFrame(nil, resp); err != nil {
				frame, _ = remoting.AppendFrame(nil, &remoting.Command{Code: remoting.CodeSystemError, Remark: err.Error(),
					Opaque: req.Opaque, Flag: 1, Language: "JAVA", Version: s.version})
			}
		}
	}
	wmu.Lock()
	nc.SetWriteDeadline(time.Now().Add(30 * time.Second))
	n, _ := nc.Write(frame)
	wmu.Unlock()
	s.bytesOut.Add(int64(n))
}
