package wirecount

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
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
	var ports []string
	for _, p := range opts.Ports {
		ports = append(ports, "dst port "+strconv.Itoa(p))
	}
	// -U: each packet is written as it is captured; -B: an 8 MiB kernel
	// buffer, so a burst of requests is not dropped; nano: time stamps to
	// compare with the exporter's own cycle times.
	cmd := exec.CommandContext(ctx, bin, "-i", cmp.Or(opts.Interface, "lo"), "-n", "-U", "-s", "0", "-B", "8192",
		"--time-stamp-precision=nano", "-w", "-", "tcp and ("+strings.Join(ports, " or ")+")")
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
	c := &Capture{cmd: cmd, owner: opts.Owner, done: make(chan struct{}), flows: map[Flow]*stream{}, truncated: map[Flow]bool{}}
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
		seg, ok := tcpSegment(at, ip)
		if ok {
			c.add(seg, cut)
		}
	}
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

// Stop stops tcpdump (SIGINT: it flushes what it captured) and returns once
// every captured packet has been read, with tcpdump's own figures.
func (c *Capture) Stop() (Stats, error) {
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	<-c.done
	werr := c.cmd.Wait()
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
	return st, nil
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

// Others counts the request frames of every other connection to the ports
// (other clients, the broker registering with the namesrv): what the
// attribution left out.
func (c *Capture) Others() (connections, frames int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for f, s := range c.flows {
		if !c.owner.Owns(f) {
			connections++
			frames += len(s.frames)
		}
	}
	return connections, frames
}
