// Command benchreal measures the exporter against a real RocketMQ broker
// (started with internal/realbroker, 5.3.3 by default), in the two shapes
// the Java exporter was measured in: 100 topics / 100 groups, then 1,000
// topics / 500 groups, with 10 groups online (real rocketmq-client-go
// consumers) and the others offline, lagging by 3 messages.
//
// The exporter runs as a process of its own (cmd/exporter, built here
// unless -exporter names a binary), so its RSS is its own. Its requests
// are counted on the wire, not by its own counter: tcpdump captures every
// packet sent to the namesrv and broker ports (package wirecount), the
// exporter's connections are told from the consumers' by the sockets its
// process holds (/proc), and a cycle's requests are those captured between
// the end of the previous cycle and its own end (the exporter makes no
// call between cycles). Its counter (rocketmq_exporter_rpcs_total) is
// printed beside the wire count, cycle by cycle. One table per size: RPCs
// per cycle (first, 2nd, steady = after the poller's 70 s activity window),
// by request, cycle time, series served and RSS, against the targets of
// 188 and 1,092 (5 % of the Java exporter's counts). It needs tcpdump and
// the right to capture on lo (root), java and mvn.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/internal/brokeradmin"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/estate"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/realbroker"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/wirecount"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
)

type shape struct {
	topics, groups int
	target         int // 0: none
}

// targets are #7's, per size (5 % of the Java exporter's counts).
var targets = map[[2]int]int{{100, 100}: 188, {1000, 500}: 1092}

// parseSizes reads "100/100,1000/500".
func parseSizes(v string) ([]shape, error) {
	var out []shape
	for _, f := range strings.Split(v, ",") {
		t, g, _ := strings.Cut(strings.TrimSpace(f), "/")
		topics, err1 := strconv.Atoi(t)
		groups, err2 := strconv.Atoi(g)
		if err1 != nil || err2 != nil || topics < 1 || groups < 1 || groups > topics ||
			(len(out) > 0 && (topics < out[len(out)-1].topics || groups < out[len(out)-1].groups)) {
			return nil, fmt.Errorf("-sizes %q: want topics/groups pairs, groups ≤ topics, growing", v)
		}
		out = append(out, shape{topics, groups, targets[[2]int{topics, groups}]})
	}
	return out, nil
}

// config is the command line.
type config struct {
	version             string
	online, queues, lag int
	every, steady       time.Duration
	measured            int
	exporter            string
	sizes               string
}

func main() {
	var cfg config
	flag.StringVar(&cfg.version, "version", "", "RocketMQ version (default $ROCKETMQ_VERSION, else 5.3.3)")
	flag.IntVar(&cfg.online, "online", 10, "groups with a live consumer")
	flag.IntVar(&cfg.queues, "queues", 4, "queues per topic")
	flag.IntVar(&cfg.lag, "lag", 3, "messages each offline group lags behind")
	flag.DurationVar(&cfg.every, "every", 5*time.Second, "time between cycle starts (--collect.interval)")
	flag.DurationVar(&cfg.steady, "steady", 80*time.Second, "measure after this long (the poller's 70 s activity window)")
	flag.IntVar(&cfg.measured, "measured", 4, "steady cycles averaged")
	flag.StringVar(&cfg.exporter, "exporter", "", "exporter binary (default: go build ./cmd/exporter into a temp dir)")
	flag.StringVar(&cfg.sizes, "sizes", "100/100,1000/500", "topics/groups of each size measured, in growing order")
	flag.Parse()

	ctx, cancel := context.WithCancel(context.Background())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() { <-sig; cancel() }()
	err := run(ctx, cfg)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreal:", err)
		os.Exit(1)
	}
}

// run builds the exporter, starts RocketMQ and measures both sizes; every
// process it starts is stopped when it returns.
func run(ctx context.Context, cfg config) error {
	shapes, err := parseSizes(cfg.sizes)
	if err != nil {
		return err
	}
	if _, err := exec.LookPath("tcpdump"); err != nil {
		return fmt.Errorf("RPCs are counted on the wire with tcpdump (Debian: apt-get install tcpdump): %w", err)
	}
	if cfg.exporter == "" {
		dir, err := os.MkdirTemp("", "benchreal-bin-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if cfg.exporter, err = buildExporter(ctx, dir); err != nil {
			return err
		}
	}
	fmt.Fprintln(os.Stderr, "benchreal: starting a real RocketMQ (first run resolves its jars with mvn)")
	c, err := realbroker.Start(ctx, realbroker.Options{Version: cfg.version, Logf: func(f string, a ...any) {
		fmt.Fprintf(os.Stderr, f+"\n", a...)
	}})
	if err != nil {
		return err
	}
	defer c.Stop()
	adm := brokeradmin.New(remoting.NewClient(remoting.Options{}))
	defer adm.Remoting().Close()
	b := &bench{c: c, exporter: cfg.exporter,
		est: &estate.Estate{Namesrv: c.NamesrvAddr, Broker: c.BrokerAddr, Admin: adm, Queues: cfg.queues, Lag: cfg.lag}}
	defer b.est.Close()

	fmt.Printf("# The exporter against a real RocketMQ %s, RPCs counted on the wire\n\n", c.Version)
	fmt.Printf("date %s; %d queues per topic; %d groups online (rocketmq-client-go push consumers, caught up), the others offline, "+
		"lagging by %d messages; no traffic while measuring; the exporter (its own process, cmd/exporter's defaults but "+
		"--collect.interval=%v --collect.timeout=1m) fresh for each size; steady = the %d cycles after the first one served %v "+
		"after its start; RPCs: request frames tcpdump saw on the exporter's connections; RSS: VmRSS of its process when "+
		"the cycle was served (VmHWM, its peak so far)\n\n",
		time.Now().UTC().Format(time.RFC3339), cfg.queues, cfg.online, cfg.lag, cfg.every, cfg.measured, cfg.steady)
	for _, s := range shapes {
		if err := b.grow(ctx, s, cfg.online); err != nil {
			return err
		}
		if err := b.measure(ctx, s, cfg.every, cfg.steady, cfg.measured); err != nil {
			return err
		}
	}
	return nil
}

type bench struct {
	c        *realbroker.Cluster
	est      *estate.Estate
	exporter string // binary
}

// grow creates topics and groups up to s (package estate).
func (b *bench) grow(ctx context.Context, s shape, online int) error {
	start := time.Now()
	if err := b.est.Grow(ctx, s.topics, s.groups, online); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "benchreal: %d topics / %d groups ready in %v\n", s.topics, s.groups, time.Since(start).Round(time.Second))
	return nil
}

// measure runs a fresh exporter process against the cluster under a
// capture of every request to the namesrv and the broker, reads its
// /metrics after every cycle until `measured` cycles past `steady` are
// served, and prints the size's table.
func (b *bench) measure(ctx context.Context, s shape, every, steady time.Duration, measured int) error {
	own := wirecount.NewOwner(0)
	capt, err := wirecount.Start(ctx, wirecount.Options{Ports: []int{port(b.c.NamesrvAddr), port(b.c.BrokerAddr)}, Owner: own})
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "benchreal-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	exp, err := startExporter(b.exporter, b.c.NamesrvAddr, every, dir)
	if err != nil {
		_, _ = capt.Stop()
		return err
	}
	own.SetPID(exp.cmd.Process.Pid)
	obs, steadyFrom, err := b.observe(ctx, exp, own, steady, measured)
	exp.stop()
	st, serr := capt.Stop()
	if err != nil {
		return fmt.Errorf("%w\nexporter log (tail):\n%s", err, exp.logTail())
	}
	if serr != nil {
		return serr
	}
	return report(s, capt, st, obs, steadyFrom)
}

// observe scrapes the exporter until it has served `measured` cycles after
// the first observation past `steady`; it returns every distinct snapshot
// seen (a zero one first: the exporter's start) and the index of the one
// that opens the steady window.
func (b *bench) observe(ctx context.Context, exp *exporter, own *wirecount.Owner, steady time.Duration, measured int) ([]*observation, int, error) {
	start := time.Now()
	lastNew := start
	obs := []*observation{{rpcs: map[string]int{}}}
	steadyFrom := -1
	for {
		select {
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		case <-time.After(500 * time.Millisecond): // well under the interval: each cycle is seen on its own
		}
		if exp.exited() {
			return nil, 0, errors.New("the exporter exited")
		}
		_ = own.Refresh() // an error shows when counting
		o, err := exp.scrape(ctx)
		if err != nil || o.seq == obs[len(obs)-1].seq {
			if time.Since(lastNew) > stall {
				return nil, 0, fmt.Errorf("no new cycle served for %v (last scrape: %v)", stall, err)
			}
			continue // not up yet, or the same snapshot
		}
		lastNew = time.Now()
		if len(o.down) > 0 {
			return nil, 0, fmt.Errorf("cycle %d: broker down: %v", o.seq, o.down)
		}
		obs = append(obs, o)
		fmt.Fprintf(os.Stderr, "benchreal: cycle %d at %v took %v, %d series, RSS %.1f MiB\n",
			o.seq, time.Since(start).Round(time.Second), o.took.Round(time.Millisecond), o.series, mib(o.rss))
		if steadyFrom < 0 && o.seq >= 2 && time.Since(start) >= steady {
			steadyFrom = len(obs) - 1
		}
		if steadyFrom >= 0 && o.seq-obs[steadyFrom].seq >= measured {
			return obs, steadyFrom, nil
		}
	}
}

// stall is how long observe waits for a new cycle before it gives up (the
// 1,000-topic first cycle takes about a second).
const stall = 2 * time.Minute

func port(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
