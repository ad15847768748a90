package wirecount

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// Owner remembers the TCP connections one process has had open, as read
// from /proc/<pid>/fd and /proc/<pid>/net/tcp{,6} at each Refresh: a
// connection closed between two refreshes is missed, so Capture refreshes
// as soon as it reads a new connection's SYN. tcpdump hands packets over
// in batches, so a connection opened and closed within one batch is still
// missed (counted under Others): the exporter's connections stay open.
type Owner struct {
	mu    sync.Mutex
	pid   int           // 0: none yet
	flows map[Flow]bool // client-to-server direction, as captured
	err   error         // the last failed Refresh
}

// NewOwner watches the process pid (os.Getpid() for this one); 0: none
// yet, see SetPID.
func NewOwner(pid int) *Owner { return &Owner{pid: pid, flows: map[Flow]bool{}} }

// SetPID names the process once it is started: a capture has to start
// before the process does, to see its connections open.
func (o *Owner) SetPID(pid int) {
	o.mu.Lock()
	o.pid = pid
	o.mu.Unlock()
	_ = o.Refresh() // its error is kept for Err
}

// Owns tells whether the process had the connection f open at a Refresh.
func (o *Owner) Owns(f Flow) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.flows[f]
}

// Err is the last Refresh's error, nil when it succeeded.
func (o *Owner) Err() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.err
}

// Refresh adds the connections the process has open now. A process that
// has exited has none; that is no error.
func (o *Owner) Refresh() error {
	o.mu.Lock()
	pid := o.pid
	o.mu.Unlock()
	if pid == 0 {
		return nil
	}
	inodes, err := socketInodes(pid)
	if err == nil {
		var flows []Flow
		flows, err = tcpFlows(pid, inodes)
		o.mu.Lock()
		for _, f := range flows {
			o.flows[f] = true
		}
		o.mu.Unlock()
	}
	o.mu.Lock()
	o.err = err
	o.mu.Unlock()
	return err
}

// socketInodes lists the inodes of the sockets among pid's open files.
func socketInodes(pid int) (map[string]bool, error) {
	dir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	ents, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("wirecount: %w", err)
	}
	out := map[string]bool{}
	for _, e := range ents {
		l, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // closed meanwhile
		}
		if in, ok := strings.CutPrefix(l, "socket:["); ok {
			out[strings.TrimSuffix(in, "]")] = true
		}
	}
	return out, nil
}

// tcpFlows reads the TCP sockets of pid's network namespace and keeps those
// whose inode is in inodes, as client-to-server flows (local to remote).
func tcpFlows(pid int, inodes map[string]bool) ([]Flow, error) {
	if len(inodes) == 0 {
		return nil, nil
	}
	var out []Flow
	for _, name := range []string{"tcp", "tcp6"} {
		f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "net", name))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("wirecount: %w", err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			// sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
			fs := strings.Fields(sc.Text())
			if len(fs) < 10 || !inodes[fs[9]] {
				continue
			}
			local, err1 := procAddr(fs[1])
			remote, err2 := procAddr(fs[2])
			if err1 == nil && err2 == nil {
				out = append(out, Flow{Src: local, Dst: remote})
			}
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("wirecount: %w", err)
		}
	}
	return out, nil
}

// procAddr parses /proc/net/tcp's "0100007F:1F90": the address as 32-bit
// words printed in the host's byte order, the port in hex.
// IPv4-mapped IPv6 addresses come back as IPv4, as the capture shows them.
func procAddr(s string) (netip.AddrPort, error) {
	h, p, ok := strings.Cut(s, ":")
	port, err := strconv.ParseUint(p, 16, 16)
	raw, herr := hex.DecodeString(h)
	if !ok || err != nil || herr != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, fmt.Errorf("wirecount: socket address %q", s)
	}
	for i := 0; i < len(raw); i += 4 {
		binary.BigEndian.PutUint32(raw[i:], binary.NativeEndian.Uint32(raw[i:]))
	}
	addr, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(addr.Unmap(), uint16(port)), nil
}
