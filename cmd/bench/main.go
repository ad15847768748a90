// Command bench measures the exporter against a simulated cluster (package
// simbroker, run in a child process so the figures are the exporter's own)
// and prints the tables of BENCHMARKS.md: cycle time, RPCs per cycle by
// request as the simulator received them, beside the exporter's own count
// and the written formula, bytes read, allocations, the exposition's cost
// per series, scrape time and size against client_golang's encoding alone,
// memory, and a churn soak.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/app"
	"github.com/rocketmq-exporter/rocketmq_exporter/scale"
	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-sim-child" {
		if err := scale.ServeChild(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "simulator:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "-shard-child" {
		if err := shardChild(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "shard:", err)
			os.Exit(1)
		}
		return
	}
	sizes := flag.String("sizes", "1000,10000,100000", "topic counts to measure (groups = topics/2)")
	brokers := flag.Int("brokers", 3, "broker groups")
	queues := flag.Int("queues", 4, "queues per topic")
	latency := flag.Duration("latency", time.Millisecond, "simulated latency per call")
	steady := flag.Duration("steady", 75*time.Second, "run cycles this long before measuring the steady state (the poller's 70 s activity window)")
	measured := flag.Int("measured", 4, "consecutive steady cycles averaged (4 spans the every-4th-cycle refreshes)")
	soakTopics := flag.Int("soak-topics", 10000, "topics in the churn soak (0: no soak)")
	soakCycles := flag.Int("soak-cycles", 1000, "cycles in the churn soak")
	soakFrac := flag.Float64("soak-churn", 0.01, "share of topics and groups deleted and created per soak cycle")
	flag.StringVar(&memProfile, "memprofile", "", "write a heap profile of the exporter after the cycles (what the live heap column holds), one per size (file.1000)")
	flag.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the exporter's steady cycles to this file, one per size (the size is appended: file.1000); the simulator runs in another process, so the profile is the exporter's alone")
	shards := flag.Int("shards", 0, "instead of the tables: at each size, the unsharded exporter and then each of this many shards, one process each, against one cluster at rest (union of their series, requests received, memory)")
	shardWarm := flag.Duration("shard-warmup", 100*time.Second, "cycles each process of -shards runs before it is measured: past the poller's 70 s windows and the first-sight and lag-age backlogs, so that every process is in the same phase")
	shardCycles := flag.Int("shard-cycles", 4, "cycles of each -shards process measured after the warm-up (4 spans the every-4th-cycle re-checks)")
	flag.Parse()

	exe, err := os.Executable()
	if err != nil {
		fail(err)
	}
	fmt.Printf("# rocketmq_exporter benchmark\n\n")
	fmt.Printf("date %s, %s, %d CPUs (%s), GOMAXPROCS %d, load average at start %s\n", time.Now().UTC().Format(time.RFC3339), runtime.Version(),
		runtime.NumCPU(), cpuModel(), runtime.GOMAXPROCS(0), loadAvg())
	fmt.Printf("command: %s\n", strings.Join(os.Args, " "))
	fmt.Printf("cluster: %d brokers, %d queues per topic, groups = topics/2 (1 in 10 online, 1 client each), 1 in 10 topics with traffic every cycle, %v per call\n\n",
		*brokers, *queues, *latency)

	if *shards > 0 {
		for _, f := range strings.Split(*sizes, ",") {
			t, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				fail(err)
			}
			if err := measureShards(exe, simbroker.Options{Brokers: *brokers, Topics: t, Groups: t / 2, Queues: *queues,
				Latency: *latency, Seed: 1}, *shards, *shardWarm, *shardCycles); err != nil {
				fail(fmt.Errorf("%d topics: %w", t, err))
			}
		}
		return
	}
	var rows []row
	for _, f := range strings.Split(*sizes, ",") {
		t, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			fail(err)
		}
		r, err := measureSize(exe, simbroker.Options{Brokers: *brokers, Topics: t, Groups: t / 2, Queues: *queues,
			Latency: *latency, Seed: 1}, *steady, *measured)
		if err != nil {
			fail(fmt.Errorf("%d topics: %w", t, err))
		}
		rows = append(rows, r)
	}
	printRows(rows)
	fmt.Printf("load average at the end: %s\n\n", loadAvg())
	if *soakTopics > 0 && *soakCycles > 0 {
		if err := soak(exe, simbroker.Options{Brokers: *brokers, Topics: *soakTopics, Groups: *soakTopics / 2, Queues: *queues,
			Latency: *latency, Seed: 2}, *soakCycles, *soakFrac); err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

// loadAvg is the machine's 1, 5 and 15 minute load averages: durations
// are only comparable at a like load.
func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return "unknown CPU"
}

type row struct {
	topics, groups                  int
	first, warm, steady             scale.Cycle
	steadyRPCs, steadyCounted       map[string]int // averaged
	steadyByServer                  map[string]int // averaged
	firstWant, warmWant, steadyWant map[string]int
	checked                         []checked // every measured cycle
	build                           scale.Build
	scrape                          scale.Scrape
	memCycles                       scale.Memory // after the cycles, before the scrapes
	mem                             scale.Memory
	simRSS                          uint64
	steadyCycles                    int
	steadyTime, steadyDur           time.Duration
	steadyCollect                   time.Duration
	steadyPublish                   time.Duration
	steadyBytes                     int64
	steadyAllocs, allocsMB          float64
}

func spawn(exe string, o simbroker.Options) (*scale.Remote, error) {
	return scale.Spawn(exe, []string{"-sim-child"}, o)
}

func measureSize(exe string, o simbroker.Options, steady time.Duration, measured int) (row, error) {
	r := row{topics: o.Topics, groups: o.Groups}
	fmt.Fprintf(os.Stderr, "bench: %d topics: starting the simulator\n", o.Topics)
	sim, err := spawn(exe, o)
	if err != nil {
		return r, err
	}
	defer sim.Close()
	a, err := scale.NewExporter(sim.Namesrv(), nil)
	if err != nil {
		return r, err
	}
	defer a.Close()
	ctx := context.Background()
	k := 0
	cycle := func() (scale.Cycle, error) {
		k++
		if k > 1 {
			if err := sim.Tick(); err != nil {
				return scale.Cycle{}, err
			}
		}
		cy, err := scale.RunCycle(ctx, a, sim)
		if err == nil && cy.BrokersDown > 0 {
			err = fmt.Errorf("cycle %d: %d brokers down: %s", k, cy.BrokersDown, downReason(cy))
		}
		return cy, err
	}
	start := time.Now()
	if r.first, err = cycle(); err != nil {
		return r, err
	}
	if r.firstWant, err = r.check(sim, "first", r.first, scale.Phase{K: 1}); err != nil {
		return r, err
	}
	if r.warm, err = cycle(); err != nil {
		return r, err
	}
	if r.warmWant, err = r.check(sim, "2nd", r.warm, scale.Phase{K: k}); err != nil {
		return r, err
	}
	fmt.Fprintf(os.Stderr, "bench: %d topics: first cycle %v, second %v; cycling until the 70 s window passes\n",
		o.Topics, r.first.Duration.Round(time.Millisecond), r.warm.Duration.Round(time.Millisecond))
	for time.Since(start) < steady {
		if _, err := cycle(); err != nil {
			return r, err
		}
	}
	// Steady state: the mean of `measured` consecutive cycles (4: one
	// period of the every-4th-cycle refreshes of idle topics and offline
	// groups), each checked against the formula.
	for k%4 != 1 {
		if _, err := cycle(); err != nil {
			return r, err
		}
	}
	r.steadyRPCs, r.steadyCounted, r.steadyWant, r.steadyByServer = map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	stopProfile, err := startProfile(o.Topics)
	if err != nil {
		return r, err
	}
	for r.steadyCycles < measured {
		cy, err := cycle()
		if err != nil {
			return r, err
		}
		want, err := r.check(sim, fmt.Sprintf("steady %d", r.steadyCycles+1), cy, scale.Phase{K: k})
		if err != nil {
			return r, err
		}
		r.steady = cy
		add(r.steadyWant, want)
		add(r.steadyRPCs, cy.RPCs)
		add(r.steadyCounted, cy.Counted)
		add(r.steadyByServer, cy.ByServer)
		r.steadyDur += cy.Duration
		r.steadyCollect += cy.Collect
		r.steadyPublish += cy.Publish
		r.steadyBytes += cy.BytesRead
		r.steadyAllocs += float64(cy.Allocs)
		r.allocsMB += float64(cy.AllocBytes) / (1 << 20)
		r.steadyCycles++
	}
	stopProfile()
	n := r.steadyCycles
	for _, m := range []map[string]int{r.steadyRPCs, r.steadyCounted, r.steadyWant, r.steadyByServer} {
		for name := range m {
			m[name] = (m[name] + n/2) / n
		}
	}
	r.steadyTime = r.steadyDur / time.Duration(n)
	r.steadyCollect /= time.Duration(n)
	r.steadyPublish /= time.Duration(n)
	r.steadyBytes /= int64(n)
	r.steadyAllocs /= float64(n)
	r.allocsMB /= float64(n)
	if r.build, err = scale.MeasureBuild(a, r.steady.Snapshot); err != nil {
		return r, err
	}

	// Memory before the scrapes: their reference gather builds a const
	// metric per series, which the exporter itself no longer does. The
	// bench lets go of the snapshots it kept of earlier cycles first: they
	// are its own, not the exporter's (which holds the latest only), and
	// two of them were a third of the live heap at 100k topics.
	r.first.Snapshot, r.warm.Snapshot, r.steady.Snapshot = nil, nil, nil
	r.memCycles = scale.ReadMemory()
	if err := writeHeapProfile(o.Topics); err != nil {
		return r, err
	}
	var best scale.Scrape
	for i := 0; i < 3; i++ {
		s, err := scale.RunScrape(a)
		if err != nil {
			return r, err
		}
		if i == 0 || s.Duration < best.Duration {
			best = s
		}
	}
	r.scrape = best
	r.mem = scale.ReadMemory()
	r.simRSS = scale.RSS(sim.Pid())
	fmt.Fprintf(os.Stderr, "bench: %d topics: done (%d cycles)\n", o.Topics, k)
	return r, nil
}

// checked is one measured cycle's RPCs three ways: received by the
// simulator, counted by the exporter, and the written formula.
type checked struct {
	cycle                      string
	received, counted, formula int
	diffs                      []string
}

// check holds cy's RPCs, as the simulator received them, against the
// exporter's own count and against the formula for phase ph on what the
// brokers hold now, keeps the three totals and any disagreement, and
// returns the formula's table.
func (r *row) check(sim *scale.Remote, name string, cy scale.Cycle, ph scale.Phase) (map[string]int, error) {
	truth, err := sim.Truth(scale.ActiveWindow)
	if err != nil {
		return nil, err
	}
	want := scale.Expected(truth, ph)
	c := checked{cycle: name, received: cy.TotalRPCs, counted: scale.Total(cy.Counted), formula: scale.Total(want)}
	c.diffs = append(scale.Diff(want, cy.RPCs), scale.DiffCounted(cy.RPCs, cy.Counted)...)
	r.checked = append(r.checked, c)
	return want, nil
}

func add(sum, m map[string]int) {
	for k, v := range m {
		sum[k] += v
	}
}

func downReason(cy scale.Cycle) string {
	for _, b := range cy.Snapshot.Brokers {
		if !b.Up {
			return b.Name + ": " + b.Err
		}
	}
	return ""
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func printRows(rows []row) {
	fmt.Println("## Collection cycle")
	fmt.Println()
	fmt.Println("| topics / groups | first cycle | 2nd cycle (< 70 s) | steady cycle | steady: collection + metrics encoding | RPCs received first / 2nd / steady | formula first / 2nd / steady | bytes read / steady cycle | allocs / steady cycle |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Printf("| %d / %d | %v | %v | %v | %v + %v | %d / %d / %d | %d / %d / %d | %s | %.0f (%.0f MiB) |\n", r.topics, r.groups,
			r.first.Duration.Round(time.Millisecond), r.warm.Duration.Round(time.Millisecond), r.steadyTime.Round(time.Millisecond),
			r.steadyCollect.Round(time.Millisecond), r.steadyPublish.Round(time.Millisecond),
			r.first.TotalRPCs, r.warm.TotalRPCs, scale.Total(r.steadyRPCs),
			scale.Total(r.firstWant), scale.Total(r.warmWant), scale.Total(r.steadyWant),
			mib(uint64(r.steadyBytes)), r.steadyAllocs, r.allocsMB)
	}
	fmt.Println()
	printChecked(rows)
	printByRequest(rows)
	printByServer(rows)
	printBuild(rows)
	printScrape(rows)
}

// printChecked lists every measured cycle's RPCs three ways, and what
// differs.
func printChecked(rows []row) {
	fmt.Println("## Every measured cycle: RPCs received by the simulator, counted by the exporter (rocketmq_exporter_rpcs_total), and the formula (scale.Expected)")
	fmt.Println()
	fmt.Println("| topics | cycle | received | exporter counted | formula | agree |")
	fmt.Println("|---|---|---|---|---|---|")
	var diffs []string
	for _, r := range rows {
		for _, c := range r.checked {
			agree := "yes"
			if len(c.diffs) > 0 {
				agree = "**no**"
			}
			fmt.Printf("| %d | %s | %d | %d | %d | %s |\n", r.topics, c.cycle, c.received, c.counted, c.formula, agree)
			for _, d := range c.diffs {
				diffs = append(diffs, fmt.Sprintf("%d topics, %s cycle: %s", r.topics, c.cycle, d))
			}
		}
	}
	fmt.Println()
	for _, d := range diffs {
		fmt.Println("- " + d)
	}
	if len(diffs) > 0 {
		fmt.Println()
	}
}

func printByRequest(rows []row) {
	fmt.Println("## RPCs per cycle by request, as the simulator received them (steady: the mean of the measured cycles)")
	fmt.Println()
	names := map[string]bool{}
	for _, r := range rows {
		for _, m := range []map[string]int{r.steadyRPCs, r.first.RPCs, r.steadyWant, r.firstWant} {
			for n := range m {
				names[n] = true
			}
		}
	}
	order := sortedKeys(names)
	fmt.Print("| request |")
	for _, r := range rows {
		fmt.Printf(" %d topics: first | steady | formula, steady |", r.topics)
	}
	fmt.Println()
	fmt.Print("|---|")
	for range rows {
		fmt.Print("---|---|---|")
	}
	fmt.Println()
	for _, n := range append(order, "total") {
		fmt.Printf("| %s |", n)
		for _, r := range rows {
			if n == "total" {
				fmt.Printf(" %d | %d | %d |", r.first.TotalRPCs, scale.Total(r.steadyRPCs), scale.Total(r.steadyWant))
				continue
			}
			fmt.Printf(" %d | %d | %d |", r.first.RPCs[n], r.steadyRPCs[n], r.steadyWant[n])
		}
		fmt.Println()
	}
	fmt.Println()
}

func printByServer(rows []row) {
	fmt.Println("## Steady RPCs per cycle by simulated server (mean)")
	fmt.Println()
	fmt.Println("| topics | requests received, by server |")
	fmt.Println("|---|---|")
	for _, r := range rows {
		var parts []string
		for _, srv := range sortedKeys(r.steadyByServer) {
			parts = append(parts, fmt.Sprintf("%s %d", srv, r.steadyByServer[srv]))
		}
		fmt.Printf("| %d | %s |\n", r.topics, strings.Join(parts, ", "))
	}
	fmt.Println()
}

func printBuild(rows []row) {
	fmt.Println("## Exposition: one snapshot's metrics written as text and gzipped (collector.Cache.Build), measured apart")
	fmt.Println()
	fmt.Println("| topics | series | build | allocations (per series) | bytes allocated (per series) | text (per series) | gzip (per series) |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, r := range rows {
		b := r.build
		per := float64(max(b.Series, 1))
		fmt.Printf("| %d | %d | %v | %d (%.2f) | %s (%.0f B) | %s (%.0f B) | %s (%.1f B) |\n", r.topics, b.Series, b.Duration.Round(time.Millisecond),
			b.Allocs, float64(b.Allocs)/per, mib(b.AllocBytes), float64(b.AllocBytes)/per,
			mib(uint64(b.TextBytes)), float64(b.TextBytes)/per, mib(uint64(b.GzBytes)), float64(b.GzBytes)/per)
	}
	fmt.Println()
}

func printScrape(rows []row) {
	fmt.Println("## Scrape and memory")
	fmt.Println()
	fmt.Println("| topics | series | /metrics size (gzip) | scrape | scrape, gzip | gather (per-scrape path, for reference) | client_golang encoding alone | scrape / encoding | exporter RSS / live heap after the cycles | RSS / live heap after the reference gather | goroutines | simulator RSS |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		s := r.scrape
		fmt.Printf("| %d | %d | %s (%s) | %v | %v | %v | %v | %.2fx | %s / %s | %s / %s | %d | %s |\n", r.topics, s.Series,
			mib(uint64(s.Bytes)), mib(uint64(s.GzBytes)), s.Duration.Round(time.Millisecond), s.Gzip.Round(time.Millisecond),
			s.Gather.Round(time.Millisecond), s.Encode.Round(time.Millisecond), float64(s.Duration)/float64(s.Encode),
			mib(r.memCycles.RSS), mib(r.memCycles.LiveHeap), mib(r.mem.RSS), mib(r.mem.LiveHeap), r.mem.Goroutines, mib(r.simRSS))
	}
	fmt.Println()
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func soak(exe string, o simbroker.Options, cycles int, frac float64) error {
	fmt.Fprintf(os.Stderr, "bench: churn soak, %d topics, %d cycles\n", o.Topics, cycles)
	sim, err := spawn(exe, o)
	if err != nil {
		return err
	}
	defer sim.Close()
	a, err := scale.NewExporter(sim.Namesrv(), func(s *app.Settings) { s.Interval = time.Second })
	if err != nil {
		return err
	}
	defer a.Close()
	type point struct {
		cycle  int
		mem    scale.Memory
		series int
		rpcs   int
		took   time.Duration
		tombs  int
	}
	var points []point
	take := func(k int, cy scale.Cycle) error {
		runtime.GC() // the scrape below measures; its garbage is not the cycle's
		s, err := scale.RunScrape(a)
		if err != nil {
			return err
		}
		tombs := 0
		for _, b := range cy.Snapshot.Brokers {
			if b.Leaks != nil {
				for _, n := range b.Leaks.Tombstones {
					tombs += n
				}
			}
		}
		points = append(points, point{k, scale.ReadMemory(), s.Series, cy.TotalRPCs, cy.Duration, tombs})
		return nil
	}
	ctx := context.Background()
	start := time.Now()
	for k := 1; k <= cycles; k++ {
		if k > 1 {
			if err := sim.Churn(frac); err != nil {
				return err
			}
			if err := sim.Tick(); err != nil {
				return err
			}
		}
		cy, err := scale.RunCycle(ctx, a, sim)
		if err != nil {
			return err
		}
		if cy.BrokersDown > 0 {
			return fmt.Errorf("soak cycle %d: %s", k, downReason(cy))
		}
		if k == 1 || k == 10 || k == 100 || k%250 == 0 || k == cycles {
			if err := take(k, cy); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "bench: soak cycle %d after %v\n", k, time.Since(start).Round(time.Second))
		}
	}
	fmt.Printf("## Churn soak: %d topics / %d groups, %.0f%% of each deleted and created per cycle, %d cycles back to back (%v)\n\n",
		o.Topics, o.Groups, frac*100, cycles, time.Since(start).Round(time.Second))
	fmt.Println("| after cycle | live heap | RSS | goroutines | series | tombstones held | RPCs in the cycle | cycle time |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for _, p := range points {
		fmt.Printf("| %d | %s | %s | %d | %d | %d | %d | %v |\n", p.cycle, mib(p.mem.LiveHeap), mib(p.mem.RSS), p.mem.Goroutines,
			p.series, p.tombs, p.rpcs, p.took.Round(time.Millisecond))
	}
	fmt.Println()
	return nil
}

// cpuProfile is -cpuprofile.
var cpuProfile string

// startProfile profiles the exporter's steady cycles of one size, when
// -cpuprofile asks; the returned function stops it.
func startProfile(topics int) (func(), error) {
	if cpuProfile == "" {
		return func() {}, nil
	}
	f, err := os.Create(fmt.Sprintf("%s.%d", cpuProfile, topics))
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// memProfile is -memprofile.
var memProfile string

// writeHeapProfile writes what the exporter holds after a size's cycles
// (the collection just before ran it), when -memprofile asks.
func writeHeapProfile(topics int) error {
	if memProfile == "" {
		return nil
	}
	f, err := os.Create(fmt.Sprintf("%s.%d", memProfile, topics))
	if err != nil {
		return err
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
