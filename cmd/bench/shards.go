package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/app"
	"github.com/rocketmq-exporter/rocketmq_exporter/scale"
	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
)

// The shard measurement (-shards N): one simulated cluster, at rest, and
// one exporter process after another against it: unsharded, then each of
// the N shards. Each warms up for the same time, then runs the measured
// cycles, reports its memory and writes the hashes of the series it
// serves. What each received per cycle is the simulator's count over the
// measured cycles. The union of the shards' series must be the unsharded
// one's, series for series, none served twice.

// shardReport is what a -shard-child process prints on its stdout.
type shardReport struct {
	Count, Index  int
	Cycles        int
	MeanCycle     time.Duration
	Series        int
	RSS, LiveHeap uint64
}

func measureShards(exe string, o simbroker.Options, n int, warm time.Duration, cycles int) error {
	fmt.Fprintf(os.Stderr, "bench: shards: %d topics, starting the simulator\n", o.Topics)
	sim, err := spawn(exe, o)
	if err != nil {
		return err
	}
	defer sim.Close()
	dir, err := os.MkdirTemp("", "bench-shards")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var runs []shardRun
	for i := -1; i < n; i++ {
		count, index := n, i
		if i < 0 {
			count, index = 1, 0
		}
		r, err := runShard(exe, sim, count, index, warm, cycles, filepath.Join(dir, fmt.Sprintf("series-%d", i+1)))
		if err != nil {
			return fmt.Errorf("shard %d/%d: %w", index, count, err)
		}
		runs = append(runs, r)
		fmt.Fprintf(os.Stderr, "bench: shard %d/%d: %d series, RSS %s\n", index, count, r.rep.Series, mib(r.rep.RSS))
	}
	whole, shards := runs[0], runs[1:]
	ids, values := map[uint64]int{}, map[uint64]int{}
	twice := 0
	for _, s := range shards {
		for h := range s.ids {
			if ids[h]++; ids[h] == 2 {
				twice++
			}
		}
		for h := range s.values {
			values[h]++
		}
	}
	missing, extra, differ := 0, 0, 0
	for h := range whole.ids {
		if ids[h] == 0 {
			missing++
		}
	}
	for h := range ids {
		if whole.ids[h] == 0 {
			extra++
		}
	}
	for h := range whole.values {
		if values[h] == 0 {
			differ++
		}
	}
	fmt.Printf("### %d shards, %d topics / %d groups, %d brokers, at rest: each process warmed up for %v, then %d cycles measured\n\n",
		n, o.Topics, o.Groups, o.Brokers, warm, cycles)
	fmt.Printf("union of the shards' series against the unsharded exporter's: %d series unsharded, %d in the shards; "+
		"missing %d, extra %d, served twice %d, other value %d (clock-bound families compared by name only)\n\n",
		len(whole.ids), len(ids), missing, extra, twice, differ)
	printShardTable(runs)
	return nil
}

// runShard runs one -shard-child process: it warms up on its own, says
// "ready", and the requests the simulator receives from the "go" to its
// report are its measured cycles'.
func runShard(exe string, sim *scale.Remote, count, index int, warm time.Duration, cycles int, out string) (shardRun, error) {
	var r shardRun
	cmd := exec.Command(exe, "-shard-child", sim.Namesrv(), strconv.Itoa(count), strconv.Itoa(index), warm.String(), strconv.Itoa(cycles), out)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return r, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return r, err
	}
	if err := cmd.Start(); err != nil {
		return r, err
	}
	defer cmd.Wait()
	defer stdin.Close() // first: a child still waiting for "go" then ends, so Wait returns
	lines := bufio.NewReader(stdout)
	if line, err := lines.ReadString('\n'); err != nil || line != "ready\n" {
		return r, fmt.Errorf("no ready line (%q, %v)", line, err)
	}
	before, err := sim.Received()
	if err != nil {
		return r, err
	}
	if _, err := io.WriteString(stdin, "go\n"); err != nil {
		return r, err
	}
	js, err := lines.ReadBytes('\n')
	if err != nil {
		return r, err
	}
	after, err := sim.Received()
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(js, &r.rep); err != nil {
		return r, err
	}
	r.received = map[string]int{}
	for req, k := range after.Sub(before).ByRequest() {
		r.received[req] = (k + cycles/2) / cycles
	}
	r.ids, r.values, err = readHashes(out)
	return r, err
}

// shardRun is one exporter process of the shard measurement.
type shardRun struct {
	rep      shardReport
	received map[string]int // by the simulator, per measured cycle
	ids      map[uint64]int // series hashes (name and labels)
	values   map[uint64]int // the same with the value, clock-bound families aside
}

func printShardTable(runs []shardRun) {
	fmt.Println("| exporter | series | per-entity requests received per cycle | namesrv and listings received per cycle | RSS | live heap | cycle (mean) |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, r := range runs {
		entity, other := 0, 0
		for req, k := range r.received {
			if scale.PerEntity[req] {
				entity += k
			} else {
				other += k
			}
		}
		name := "unsharded"
		if r.rep.Count > 1 {
			name = fmt.Sprintf("shard %d of %d", r.rep.Index, r.rep.Count)
		}
		fmt.Printf("| %s | %d | %d | %d | %s | %s | %v |\n", name, r.rep.Series, entity, other, mib(r.rep.RSS), mib(r.rep.LiveHeap),
			r.rep.MeanCycle.Round(time.Millisecond))
	}
	fmt.Println()
	fmt.Println("Received per measured cycle, by request (unsharded / each shard):")
	fmt.Println()
	seen := map[string]bool{}
	for _, r := range runs {
		for req := range r.received {
			seen[req] = true
		}
	}
	reqs := slices.Sorted(maps.Keys(seen))
	for _, req := range reqs {
		line := "- " + req + ": "
		for i, r := range runs {
			if i > 0 {
				line += " / "
			}
			line += strconv.Itoa(r.received[req])
		}
		fmt.Println(line)
	}
	fmt.Println()
}

// shardChild runs one exporter process for measureShards: args are the
// namesrv, the shard count and index, the warm-up, the measured cycles and
// the series file. It cycles until the warm-up has passed (the poller's
// 70 s windows: every process is then in the same phase, whatever its
// cycle time), prints "ready", waits for a line, runs the measured cycles
// and prints its report.
func shardChild(args []string) error {
	if len(args) != 6 {
		return fmt.Errorf("-shard-child wants namesrv count index warm-up cycles file, got %q", args)
	}
	count, err1 := strconv.Atoi(args[1])
	index, err2 := strconv.Atoi(args[2])
	warm, err3 := time.ParseDuration(args[3])
	cycles, err4 := strconv.Atoi(args[4])
	if err := errors.Join(err1, err2, err3, err4); err != nil || cycles < 1 {
		return fmt.Errorf("-shard-child: bad arguments %q: %v", args, err)
	}
	a, err := scale.NewExporter(args[0], func(s *app.Settings) { s.ShardCount, s.ShardIndex = count, index })
	if err != nil {
		return err
	}
	defer a.Close()
	ctx := context.Background()
	for start := time.Now(); time.Since(start) < warm; {
		a.Cycle(ctx)
	}
	fmt.Println("ready")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return err
	}
	rep := shardReport{Count: count, Index: index, Cycles: cycles}
	var total time.Duration
	for range cycles {
		start := time.Now()
		a.Cycle(ctx)
		total += time.Since(start)
	}
	rep.MeanCycle = total / time.Duration(cycles)
	m := scale.ReadMemory()
	rep.RSS, rep.LiveHeap = m.RSS, m.LiveHeap
	if rep.Series, err = writeHashes(a, args[5]); err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(rep)
}

// writeHashes scrapes a and writes, per RocketMQ series (not the
// exporter's own families nor the Go collector's, nor those every replica
// serves about its own calls), the hash of its name
// and labels, and, unless its value moves with the clock, of the whole
// line: 'i' or 'v' then 8 bytes.
func writeHashes(a *app.App, path string) (int, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriter(f)
	n := 0
	err = scale.EachSeries(a, func(series, value string) {
		if scale.Replicated(series) {
			return // each replica's own calls, served by every replica
		}
		n++
		writeHash(w, 'i', series)
		if !scale.ClockBound(series) {
			writeHash(w, 'v', series+" "+value)
		}
	})
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		f.Close()
		return 0, err
	}
	return n, f.Close()
}

func writeHash(w *bufio.Writer, kind byte, s string) {
	h := fnv.New64a()
	h.Write([]byte(s))
	w.WriteByte(kind)
	binary.Write(w, binary.LittleEndian, h.Sum64())
}

func readHashes(path string) (ids, values map[uint64]int, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	ids, values = map[uint64]int{}, map[uint64]int{}
	for len(b) >= 9 {
		h := binary.LittleEndian.Uint64(b[1:9])
		if b[0] == 'i' {
			ids[h]++
		} else {
			values[h]++
		}
		b = b[9:]
	}
	return ids, values, nil
}
