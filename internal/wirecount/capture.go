package wirecount

import (
	"bufio"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Options configure a Capture.
type Options struct {
	// Ports are the servers' ports (namesrv, broker): the capture keeps
	// the packets sent to them, which hold every request and no answer.
	Ports []int
	// Owner is the process whose requests are counted; it is refreshed at
	// every new connection. Required.
	Owner     *Owner
	Interface string // default "lo"
	Tcpdump   string // default: tcpdump on PATH
}

// Capture is a running tcpdump and the requests it has seen so far.
type Capture struct {
	cmd   *exec.Cmd
	owner *Owner
	done  chan struct{} // closed when the packet stream has been read to its end

	// The marker: a UDP socket of our own whose datagrams to itself the
	// capture keeps too. Packets reach the capture in the order they were
	// sent, so once the reader has seen a marker it has read every packet
	// sent before it (Sync).
	marker  *net.UDPConn
	mport   uint16
	marks   atomic.Uint64 // markers sent
	seen    atomic.Uint64 // the last marker read
	seenSig chan struct{} // a marker was read

	mu        sync.Mutex
	flows     map[Flow]*stream
	truncated map[Flow]bool // a packet of theirs was cut by the snap length
	readErr   error
	stderr    strings.Builder
}

// Stats are tcpdump's own figures, printed when it stops.
type Stats struct {
	Captured, Dropped int // Dropped: by the kernel, for lack of buffer
}

// Start runs tcpdump and returns once it listens (its filter is in place,
// so no later packet is missed). It needs the right to capture (root or
// CAP_NET_RAW).
func Start(ctx context.Context, opts Options) (*Capture, error) {
	if opts.Owner == nil || len(opts.Ports) == 0 {
		return nil, errors.New("wirecount: an Owner and at least one port are needed")
	}
	bin, err := exec.LookPath(cmp.Or(opts.Tcpdump, "tcpdump"))
	if err != nil {
		return nil, fmt.Errorf("wirecount: counting on the wire needs tcpdump (Debian: apt-get install tcpdump): %w", err)
	}
	marker, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, fmt.Errorf("wirecount: marker socket: %w", err)
	}
	c, err := start(ctx, bin, opts, marker)
	if err != nil {
		marker.Close()
	}
	return c, err
}

func start(ctx context.Context, bin string, opts Options, marker *net.UDPConn) (*Capture, error) {
	var ports []string
	for _, p := range opts.Ports {
		ports = append(ports, "dst port "+strconv.Itoa(p))
	}
	filter := fmt.Sprintf("(tcp and (%s)) or (udp and dst port %d)", strings.Join(ports, " or "), marker.LocalAddr().(*net.UDPAddr).Port)
	// -U: each packet is written as soon as libpcap hands it over (in
	// blocks, within a second: Sync waits for that); not --immediate-mode,
	// whose ring holds one snap length per packet (the kernel dropped
	// packets with it in a 1,000-topic run); -B: a 32 MiB ring for bursts;
	// nano: time stamps to compare with the exporter's own cycle times.
	cmd := exec.CommandContext(ctx, bin, "-i", cmp.Or(opts.Interface, "lo"), "-n", "-U", "-s", "0", "-B", "32768",
		"--time-stamp-precision=nano", "-w", "-", filter)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("wirecount: %w", err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("wirecount: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("wirecount: tcpdump: %w", err)
	}
	c := &Capture{cmd: cmd, owner: opts.Owner, done: make(chan struct{}), flows: map[Flow]*stream{}, truncated: map[Flow]bool{},
		marker: marker, mport: uint16(marker.LocalAddr().(*net.UDPAddr).Port), seenSig: make(chan struct{}, 1)}
	listening := make(chan bool, 1)
	go c.readStderr(stderr, listening)
	if !<-listening {
		err := cmd.Wait()
		return nil, fmt.Errorf("wirecount: tcpdump did not start (%v): %s", err, c.stderrText())
	}
	go c.readPackets(stdout)
	return c, nil
}

// readStderr keeps tcpdump's messages and says (once) whether it got as
// far as listening.
func (c *Capture) readStderr(r io.Reader, listening chan<- bool) {
	sc := bufio.NewScanner(r)
	said := false
	for sc.Scan() {
		c.mu.Lock()
		c.stderr.WriteString(sc.Text() + "\n")
		c.mu.Unlock()
		if !said && strings.Contains(sc.Text(), "listening on ") {
			listening <- true
			said = true
		}
	}
	if !said {
		listening <- false
	}
}

func (c *Capture) stderrText() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.TrimSpace(c.stderr.String())
}

// readPackets follows the pcap stream to its end.
func (c *Capture) readPackets(r io.Reader) {
	defer close(c.done)
	err := c.read(r)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	c.mu.Lock()
	c.readErr = err
	c.mu.Unlock()
	_, _ = io.Copy(io.Discard, r) // never leave tcpdump blocked on a full pipe
}

func (c *Capture) read(r io.Reader) error {
	p, err := newPcapReader(bufio.NewReaderSize(r, 1<<20))
	if err != nil {
		return err
	}
	for {
		at, pkt, cut, err := p.next()
		if err != nil {
			return err
		}
		ip, ok := p.ipPacket(pkt)
		if !ok {
			continue
		}
		if seg, ok := tcpSegment(at, ip); ok {
			c.add(seg, cut)
		} else if id, ok := udpTo(ip, c.mport); ok && len(id) == 8 {
			c.seen.Store(binary.BigEndian.Uint64(id))
			select {
			case c.seenSig <- struct{}{}:
			default:
			}
		}
	}
}

// syncTimeout bounds Sync: a marker takes microseconds to come round on
// loopback; only a capture that died waits this long.
const syncTimeout = 30 * time.Second

// Sync returns once every packet sent before it was called has been read
// from the capture, so that Requests counts them: it sends a marker and
// waits until the reader has seen it.
func (c *Capture) Sync() error {
	id := c.marks.Add(1)
	msg := binary.BigEndian.AppendUint64(nil, id)
	if _, err := c.marker.WriteTo(msg, c.marker.LocalAddr()); err != nil {
		return fmt.Errorf("wirecount: marker: %w", err)
	}
	timeout := time.NewTimer(syncTimeout)
	defer timeout.Stop()
	for c.seen.Load() < id {
		select {
		case <-c.seenSig:
		case <-c.done:
			return errors.New("wirecount: the capture ended before its marker came round: " + c.stderrText())
		case <-timeout.C:
			return fmt.Errorf("wirecount: the capture did not see its marker in %v", syncTimeout)
		}
	}
	return nil
}

// add feeds one segment to its flow's stream; a new connection's SYN makes
// the owner look at its sockets while this one is surely open.
func (c *Capture) add(seg segment, cut bool) {
	if seg.syn && !c.owner.Owns(seg.flow) {
		_ = c.owner.Refresh() // its error is reported by Requests
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.flows[seg.flow]
	if s == nil {
		s = &stream{}
		c.flows[seg.flow] = s
	}
	if cut {
		c.truncated[seg.flow] = true
	}
	if seg.syn {
		s.syn(seg.seq)
		return
	}
	s.data(seg.at, seg.seq, seg.payload)
}

var droppedRe = regexp.MustCompile(`(?m)^(\d+) packets? (captured|dropped by kernel)`)

// Stop stops tcpdump once every packet sent before the call has been read
// (Sync: tcpdump drops what it has not handed over when it is told to stop)
// and returns its own figures.
func (c *Capture) Stop() (Stats, error) {
	serr := c.Sync()
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	<-c.done
	werr := c.cmd.Wait()
	c.marker.Close()
	var st Stats
	for _, m := range droppedRe.FindAllStringSubmatch(c.stderrText(), -1) {
		n, _ := strconv.Atoi(m[1])
		if m[2] == "captured" {
			st.Captured = n
		} else {
			st.Dropped = n
		}
	}
	c.mu.Lock()
	rerr := c.readErr
	c.mu.Unlock()
	if rerr != nil {
		return st, fmt.Errorf("wirecount: reading the capture: %w", rerr)
	}
	if werr != nil {
		return st, fmt.Errorf("wirecount: tcpdump: %v: %s", werr, c.stderrText())
	}
	return st, serr
}

// Requests counts, by request code, the request frames captured in the
// window (from, to] on the owner's connections; a zero time leaves that
// end open. A connection of the owner that could not be followed (a packet
// missing from the capture, or cut short) is an error: its count would be
// short.
func (c *Capture) Requests(from, to time.Time) (map[int]int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[int]int{}
	var errs []error
	for f, s := range c.flows {
		if !c.owner.Owns(f) {
			continue
		}
		if s.broken != "" {
			errs = append(errs, fmt.Errorf("connection %v: %s", f, s.broken))
		}
		if c.truncated[f] {
			errs = append(errs, fmt.Errorf("connection %v: a packet was cut short by the snap length", f))
		}
		for _, fr := range s.frames {
			if fr.At.After(from) && (to.IsZero() || !fr.At.After(to)) {
				out[fr.Code]++
			}
		}
	}
	if err := c.owner.Err(); err != nil {
		errs = append(errs, err)
	}
	return out, errors.Join(errs...)
}

// Others describes every other connection to the ports (other clients,
// the broker registering with the namesrv): what the attribution left out.
type Others struct {
	Connections int
	Unread      int // opened before the capture, or not remoting: not followed
	Requests    int // request frames on the others
}

// Others tells what the attribution left out.
func (c *Capture) Others() Others {
	c.mu.Lock()
	defer c.mu.Unlock()
	var o Others
	for f, s := range c.flows {
		if c.owner.Owns(f) {
			continue
		}
		o.Connections++
		o.Requests += len(s.frames)
		if s.broken != "" {
			o.Unread++
		}
	}
	return o
}
