package scale

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/rocketmq-exporter/rocketmq_exporter/app"
	"github.com/rocketmq-exporter/rocketmq_exporter/collector"
	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// ActiveWindow is how long the poller counts a topic or pair as moving
// after it last moved (poller/broker.go activeWindow).
const ActiveWindow = 70 * time.Second

// NewExporter assembles the exporter as cmd/exporter does, with the
// defaults of its flags, pointed at namesrv. mod may change settings.
func NewExporter(namesrv string, mod func(*app.Settings)) (*app.App, error) {
	s := app.Defaults()
	s.Namesrvs = []string{namesrv}
	s.CycleTimeout = 60 * time.Second // measure the cycle, do not cut it
	if mod != nil {
		mod(&s)
	}
	return app.New(s, nil)
}

// Cycle is one measured collection cycle.
type Cycle struct {
	Snapshot *snapshot.Snapshot
	// Duration is the whole Poller.Cycle call: Collect, the collection
	// (the snapshot's own Started to Finished), then Publish, the hooks run
	// on publication (the encoded-metrics cache is built there).
	Duration time.Duration
	Collect  time.Duration
	Publish  time.Duration
	// RPCs are the requests the simulated servers received during the
	// cycle, by request name: the receiving side's count, which every RPC
	// figure is taken from. ByServer is the same by server.
	RPCs      map[string]int
	TotalRPCs int
	ByServer  map[string]int
	// Counted is what the exporter counted of its own calls in the cycle:
	// the rise of rocketmq_exporter_rpcs_total (snapshot.Self.RPC.Calls),
	// by request, to hold against RPCs.
	Counted     map[string]int
	BytesRead   int64  // bytes the simulated servers wrote during the cycle
	Allocs      uint64 // heap objects allocated in this process during the cycle
	AllocBytes  uint64
	BrokersUp   int
	BrokersDown int
}

// RunCycle runs one cycle of a and measures it.
func RunCycle(ctx context.Context, a *app.App, sim Sim) (Cycle, error) {
	var before, after runtime.MemStats
	b0, err := sim.BytesOut()
	if err != nil {
		return Cycle{}, err
	}
	r0, err := sim.Received()
	if err != nil {
		return Cycle{}, err
	}
	counted0 := selfCalls(a.Poller.Snapshot())
	runtime.ReadMemStats(&before)
	start := time.Now()
	s := a.Cycle(ctx)
	d := time.Since(start)
	runtime.ReadMemStats(&after)
	b1, err := sim.BytesOut()
	if err != nil {
		return Cycle{}, err
	}
	r1, err := sim.Received()
	if err != nil {
		return Cycle{}, err
	}
	got := r1.Sub(r0)
	c := Cycle{Snapshot: s, Duration: d, Collect: s.Duration(), Publish: d - s.Duration(), RPCs: got.ByRequest(),
		ByServer: got.ByServer(), Counted: map[string]int{}, BytesRead: b1 - b0,
		Allocs: after.Mallocs - before.Mallocs, AllocBytes: after.TotalAlloc - before.TotalAlloc}
	c.TotalRPCs = Total(c.RPCs)
	for name, n := range selfCalls(s) {
		if d := int(n - counted0[name]); d != 0 {
			c.Counted[name] = d
		}
	}
	for _, b := range s.Brokers {
		if b.Up {
			c.BrokersUp++
		} else {
			c.BrokersDown++
		}
	}
	return c, nil
}

// selfCalls is the exporter's running count of its calls as of s.
func selfCalls(s *snapshot.Snapshot) map[string]int64 {
	if s == nil {
		return nil
	}
	return s.Self.RPC.Calls
}

// Phase places a cycle in the exporter's life, for the parts of the
// formula that depend on it.
type Phase struct {
	// K is the exporter's cycle number, from 1.
	K int
	// Idle: no message was written on any broker since the exporter
	// started (no Tick). Otherwise traffic ticks before every cycle but
	// the first.
	Idle   bool
	Slaves int
	// OfflineRefresh is app.Settings.OfflineRefresh (0: its default, 4).
	OfflineRefresh int
	// MessageRates: --collect.message-rates or --collect.compat-metrics is
	// on, so a moving topic's message rate is asked beside its byte rate.
	MessageRates bool
}

// Poller constants the formula follows (poller.Config defaults and
// poller/broker.go fullRefreshEvery).
const (
	brokerConfigEvery = 20
	fullRefreshEvery  = 20
	lagBudget         = 2000 // app.New's LagSecondsBudget
	idleRefresh       = 4    // app.Settings.IdleTopicRefresh
	rangeRefreshEvery = 20   // a consumed topic's min offset and last put
	firstSightFloor   = 2000 // the least first-sight budget per broker per cycle
)

// Expected is the written formula: the number of calls of each request
// the exporter's poller (poller/broker.go collectInto) should make in
// cycle ph.K over brokers holding truth, with the default settings (lag
// seconds and leak probes on, running info off) and no churn. It is
// documentation, checked against what the simulated servers received
// (TestRPCFormula, cmd/bench), never the measure of the poller itself:
//
//	GET_BROKER_CLUSTER_INFO           1 per namesrv set
//	GET_BROKER_RUNTIME_INFO           1 per broker process (masters and slaves)
//	GET_BROKER_CONFIG                 1 per process in cycles 1, 21, 41, …
//	GET_ALL_TOPIC_CONFIG, GET_ALL_SUBSCRIPTIONGROUP_CONFIG,
//	GET_BROKER_CONSUME_STATS, GET_ALL_PRODUCER_INFO,
//	GET_ALL_CONSUMER_OFFSET (leak prober)   1 per master each
//	GET_TOPIC_STATS_INFO              1 per topic on its turn (cycles where
//	                                  (FNV-1a(name)>>16 + cycle) % N == 0, N = 4,
//	                                  or 20 for a topic some group has offsets
//	                                  on: its min offset and last put) and 1 per
//	                                  topic no group has offsets on that moved
//	                                  within 70 s; none but first sights while
//	                                  the broker's commit log and topic config
//	                                  stand still, but for a refresh every 21
//	                                  cycles
//	GET_CONSUMER_CONNECTION_LIST      1 per group online last cycle, and 1 per
//	                                  offline group on its turn
//	first sights (both)               a topic or group never answered is asked
//	                                  at most max(2,000, ⌈entities/4⌉) per broker
//	                                  per cycle, in FNV-1a order
//	VIEW_BROKER_STATS_DATA            1 per topic seen moving within 70 s (2 with
//	                                  --collect.message-rates or the Java families)
//	                                  + 2 per pair consuming (broker TPS > 0) or
//	                                    whose offset moved within 70 s
//	                                  + leak probes (≤ 64 per master, after deletions)
//	QUERY_CONSUME_TIME_SPAN           1 per lagging pair whose consumer offset
//	                                  moved (or is new) since the last cycle, at
//	                                  most 2,000 per broker per cycle
//
// No term multiplies topics by groups: the cost is linear in topics,
// groups and brokers.
func Expected(truth []simbroker.BrokerTruth, ph Phase) map[string]int {
	m := map[string]int{}
	refresh := ph.OfflineRefresh
	if refresh <= 0 {
		refresh = 4
	}
	masters := len(truth)
	m["GET_BROKER_CLUSTER_INFO"] = 1
	m["GET_BROKER_RUNTIME_INFO"] = masters + ph.Slaves
	if (ph.K-1)%brokerConfigEvery == 0 {
		m["GET_BROKER_CONFIG"] = masters + ph.Slaves
	}
	for _, k := range []string{"GET_ALL_TOPIC_CONFIG", "GET_ALL_SUBSCRIPTIONGROUP_CONFIG", "GET_BROKER_CONSUME_STATS",
		"GET_ALL_PRODUCER_INFO", "GET_ALL_CONSUMER_OFFSET"} {
		m[k] = masters
	}
	for _, b := range truth {
		stats, moving := expectTopics(b, ph)
		m["GET_TOPIC_STATS_INFO"] += stats
		m["GET_CONSUMER_CONNECTION_LIST"] += expectGroups(b, ph.K, refresh)
		perTopic := 1 // TOPIC_PUT_SIZE
		if ph.MessageRates {
			perTopic = 2 // and TOPIC_PUT_NUMS
		}
		m["VIEW_BROKER_STATS_DATA"] += perTopic*moving + 2*b.ConsumingPairs
		// New lagging pairs are looked up at most lagBudget per broker per
		// cycle; their answers stay cached while the pairs stand still.
		if rem := b.LaggingPairs - lagBudget*(ph.K-1); rem > 0 {
			m["QUERY_CONSUME_TIME_SPAN"] += min(rem, lagBudget)
		}
	}
	for k, v := range m {
		if v == 0 {
			delete(m, k)
		}
	}
	return m
}

// expectTopics is one broker's GET_TOPIC_STATS_INFO calls in cycle ph.K,
// and its topics seen moving (2 VIEW_BROKER_STATS_DATA each). A topic is
// first answered in cycle firstCycle; after that it is asked on its turn
// (unless the store stands still) and, when no group has offsets on it,
// every cycle once seen moving: from its first answer when that came after
// traffic (the put TPS shows it), else from its first turn after cycle 1
// (the max offset moved since the first answer). A topic some group has
// offsets on is seen moving from cycle 2 on through consume stats.
func expectTopics(b simbroker.BrokerTruth, ph Phase) (stats, moving int) {
	traffic := !ph.Idle
	still := ph.Idle && (ph.K-1)%(fullRefreshEvery+1) != 0
	first := firstCycles(topicNames(b), idleRefresh)
	for _, t := range b.TopicList {
		a := first[t.Name]
		turn := inTurn(t.Name, ph.K, idleRefresh)
		if t.Covered {
			turn = inTurn(t.Name, ph.K, rangeRefreshEvery)
		}
		switch {
		case ph.K < a:
		case ph.K == a:
			stats++
		case !still && turn:
			stats++
		case traffic && t.Active && !t.Covered && ph.K >= seenMoving(t.Name, a):
			stats++
		}
		switch {
		case !traffic || !t.Active || ph.K < 2:
		case t.Covered, ph.K >= a && ph.K >= seenMoving(t.Name, a):
			moving++
		}
	}
	return stats, moving
}

// seenMoving is the cycle from which a moving topic no group has offsets
// on, first answered in cycle a, is known to move.
func seenMoving(name string, a int) int {
	if a >= 2 {
		return a
	}
	k := 2
	for !inTurn(name, k, idleRefresh) {
		k++
	}
	return k
}

// expectGroups is one broker's GET_CONSUMER_CONNECTION_LIST calls in cycle
// k: first sights, then every online group and offline ones on their turn.
func expectGroups(b simbroker.BrokerTruth, k, refresh int) int {
	names := make([]string, len(b.GroupList))
	for i, g := range b.GroupList {
		names[i] = g.Name
	}
	first := firstCycles(names, refresh)
	n := 0
	for _, g := range b.GroupList {
		a := first[g.Name]
		if k == a || (k > a && (g.Online || inTurn(g.Name, k, refresh))) {
			n++
		}
	}
	return n
}

func topicNames(b simbroker.BrokerTruth) []string {
	out := make([]string, len(b.TopicList))
	for i, t := range b.TopicList {
		out[i] = t.Name
	}
	return out
}

// firstCycles is the cycle in which each of names, all seen first in
// cycle 1, is first asked: max(firstSightFloor, ⌈len/every⌉) a cycle, in
// order of FNV-1a hash, then name.
func firstCycles(names []string, every int) map[string]int {
	limit := max(firstSightFloor, (len(names)+every-1)/every)
	sorted := append([]string(nil), names...)
	sort.Slice(sorted, func(i, j int) bool {
		hi, hj := fnv1a(sorted[i]), fnv1a(sorted[j])
		if hi != hj {
			return hi < hj
		}
		return sorted[i] < sorted[j]
	})
	out := make(map[string]int, len(names))
	for rank, name := range sorted {
		out[name] = 1 + rank/limit
	}
	return out
}

// inTurn: cycle k is one of name's every-th cycles, by the upper half of
// its hash.
func inTurn(name string, k, every int) bool {
	return (uint64(fnv1a(name)>>16)+uint64(k))%uint64(every) == 0
}

func fnv1a(name string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return h.Sum32()
}

// Total sums a count table.
func Total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// Diff lists the requests whose count received differs from the formula.
func Diff(want, got map[string]int) []string { return diff(want, got, "received %d, formula %d") }

// DiffCounted lists the requests the exporter counted otherwise than the
// simulator received them.
func DiffCounted(received, counted map[string]int) []string {
	return diff(counted, received, "received %d, the exporter counted %d")
}

// diff lists "request: " + format(got, want) for each request the two
// tables count differently.
func diff(want, got map[string]int, format string) []string {
	keys := map[string]bool{}
	for k := range want {
		keys[k] = true
	}
	for k := range got {
		keys[k] = true
	}
	var out []string
	for k := range keys {
		if want[k] != got[k] {
			out = append(out, k+": "+fmt.Sprintf(format, got[k], want[k]))
		}
	}
	sort.Strings(out)
	return out
}

// Scrape is one measured GET /metrics and, for comparison, client_golang
// alone encoding the same families.
type Scrape struct {
	Duration time.Duration // the whole handler, plain text, no compression
	Bytes    int
	Series   int
	Gzip     time.Duration // the whole handler with Accept-Encoding: gzip
	GzBytes  int
	// Gather is a fresh collector over the same snapshot plus the
	// exporter's own registry, gathered (what a scrape cost before the
	// encoded cache); Encode is expfmt text encoding of those families
	// alone: client_golang's floor for serving these series.
	Gather time.Duration
	Encode time.Duration
}

// RunScrape serves /metrics from a's handler the way Prometheus asks for it,
// then gathers the same families once and times encoding them alone.
func RunScrape(a *app.App) (Scrape, error) {
	var s Scrape
	req := httptest.NewRequest(http.MethodGet, a.Settings.TelemetryPath, nil)
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	rec := httptest.NewRecorder()
	start := time.Now()
	a.Handler.ServeHTTP(rec, req)
	s.Duration = time.Since(start)
	if rec.Code != http.StatusOK {
		return s, fmt.Errorf("/metrics answered %d", rec.Code)
	}
	s.Bytes = rec.Body.Len()
	for _, line := range bytes.Split(rec.Body.Bytes(), []byte("\n")) {
		if len(line) > 0 && line[0] != '#' {
			s.Series++
		}
	}
	req.Header.Set("Accept-Encoding", "gzip")
	rec = httptest.NewRecorder()
	start = time.Now()
	a.Handler.ServeHTTP(rec, req)
	s.Gzip, s.GzBytes = time.Since(start), rec.Body.Len()

	set := a.Settings
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector.New(a.Poller, collector.Options{Compat: set.Compat, QueueMetrics: set.QueueMetrics,
		ClientMetrics: set.ClientMetrics, MaxSeries: set.MaxSeries}))
	start = time.Now()
	mfs, err := gatherAll(a.Registry, reg)
	s.Gather = time.Since(start)
	if err != nil {
		return s, err
	}
	var buf bytes.Buffer
	buf.Grow(s.Bytes)
	start = time.Now()
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return s, err
		}
	}
	s.Encode = time.Since(start)
	return s, nil
}

// gatherAll gathers the exporter's own registry and a collector over the
// snapshot, leaving out the collector's copy of the scrape-clock family
// that the own registry serves, in name order.
func gatherAll(own, snap prometheus.Gatherer) ([]*dto.MetricFamily, error) {
	a, err := own.Gather()
	if err != nil {
		return nil, err
	}
	b, err := snap.Gather()
	if err != nil {
		return nil, err
	}
	for _, mf := range b {
		if mf.GetName() != collector.AgeFamily {
			a = append(a, mf)
		}
	}
	sort.Slice(a, func(i, j int) bool { return a[i].GetName() < a[j].GetName() })
	return a, nil
}

// AllFamilies is every family a scrape of a serves, gathered once.
func AllFamilies(a *app.App) ([]*dto.MetricFamily, error) {
	set := a.Settings
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector.New(a.Poller, collector.Options{Compat: set.Compat, QueueMetrics: set.QueueMetrics,
		ClientMetrics: set.ClientMetrics, MaxSeries: set.MaxSeries}))
	return gatherAll(a.Registry, reg)
}

// Build is what encoding one snapshot's exposition costs
// (collector.Cache.Build: the text format written from the snapshot, and
// gzipped), measured apart from the cycle.
type Build struct {
	Duration   time.Duration
	Series     int
	Allocs     uint64 // heap objects allocated by the build
	AllocBytes uint64
	TextBytes  int64 // the exposition, uncompressed
	GzBytes    int
}

// MeasureBuild encodes s with the families a serves on a cache of its
// own, twice: the second build, the one measured, starts from the
// first's buffer sizes, as every build after an exporter's first does.
func MeasureBuild(a *app.App, s *snapshot.Snapshot) (Build, error) {
	set := a.Settings
	c := collector.NewCache(collector.Options{Compat: set.Compat, QueueMetrics: set.QueueMetrics,
		ClientMetrics: set.ClientMetrics, MaxSeries: set.MaxSeries})
	c.Build(s)
	next := *s
	next.Seq++
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	c.Build(&next)
	b := Build{Duration: time.Since(start)}
	runtime.ReadMemStats(&after)
	b.Allocs, b.AllocBytes = after.Mallocs-before.Mallocs, after.TotalAlloc-before.TotalAlloc
	for _, n := range c.LastSeries() {
		b.Series += n
	}
	gz, _ := c.Gzipped()
	b.GzBytes = len(gz)
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return b, err
	}
	b.TextBytes, err = io.Copy(io.Discard, zr)
	return b, err
}

// Memory is this process's memory after a full GC.
type Memory struct {
	LiveHeap   uint64 // HeapAlloc after runtime.GC
	RSS        uint64 // VmRSS
	Goroutines int
}

// ReadMemory collects garbage and reads the process's memory.
func ReadMemory() Memory {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return Memory{LiveHeap: m.HeapAlloc, RSS: RSS(os.Getpid()), Goroutines: runtime.NumGoroutine()}
}

// RSS reads a process's resident set size from /proc, 0 when unknown.
func RSS(pid int) uint64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				n, _ := strconv.ParseUint(f[0], 10, 64)
				return n << 10
			}
		}
	}
	return 0
}
