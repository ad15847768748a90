package simbroker

import (
	"maps"
	"sync"

	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
)

// Received is what a cluster's servers were asked, counted where the
// requests arrive: requests by server name (namesrv, broker-0,
// broker-0-slave, …) and request code, since the cluster started. A
// server's count goes on across its restarts. Measurements take their RPC
// figures from here, not from the exporter's own counters, so a client
// that miscounts cannot grade itself.
type Received map[string]map[int]int64

// Sub is what was received between earlier and r.
func (r Received) Sub(earlier Received) Received {
	out := Received{}
	for server, codes := range r {
		for code, n := range codes {
			if d := n - earlier[server][code]; d != 0 {
				if out[server] == nil {
					out[server] = map[int]int64{}
				}
				out[server][code] = d
			}
		}
	}
	return out
}

// ByRequest sums r over servers, by request name as the exporter names
// requests (remoting.RequestName).
func (r Received) ByRequest() map[string]int {
	out := map[string]int{}
	for _, codes := range r {
		for code, n := range codes {
			out[remoting.RequestName(code)] += int(n)
		}
	}
	return out
}

// ByServer sums r over requests, by server name.
func (r Received) ByServer() map[string]int {
	out := map[string]int{}
	for server, codes := range r {
		for _, n := range codes {
			out[server] += int(n)
		}
	}
	return out
}

// ledger holds a cluster's Received; every server of the cluster, old and
// restarted, adds to it.
type ledger struct {
	mu sync.Mutex
	n  Received
}

func (l *ledger) add(server string, code int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n == nil {
		l.n = Received{}
	}
	if l.n[server] == nil {
		l.n[server] = map[int]int64{}
	}
	l.n[server][code]++
}

func (l *ledger) read() Received {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(Received, len(l.n))
	for server, codes := range l.n {
		out[server] = maps.Clone(codes)
	}
	return out
}

// Received is every request the cluster's servers have received, by
// server and request code.
func (c *Cluster) Received() Received { return c.recv.read() }
