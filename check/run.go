package check

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"

	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// Violation is one broken invariant.
type Violation struct {
	Invariant string // I1 … I5
	Check     string // which check of the invariant (its message's format)
	Cycle     int    // exporter cycle after which it was seen (0: before any)
	Op        int    // operations of the log applied by then
	Msg       string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s after cycle %d (op %d): %s", v.Invariant, v.Cycle, v.Op, v.Msg)
}

// Result is what a run found: the first violation of each check of each
// invariant, in the order found.
type Result struct {
	Config     Config
	Violations []Violation
	// Counts counts the violations of each check ("I3 <format>"), one per
	// cycle and check at most.
	Counts map[string]int
	Cycles int
	Err    error // the run itself failed (a simulator did not start)
}

// Failed reports whether any invariant broke.
func (r *Result) Failed() bool { return len(r.Violations) > 0 }

// First returns the first violation of invariant inv ("" any), or nil.
func (r *Result) First(inv string) *Violation {
	for i := range r.Violations {
		if inv == "" || r.Violations[i].Invariant == inv {
			return &r.Violations[i]
		}
	}
	return nil
}

// Options steer a run.
type Options struct {
	// Dir holds the exporter's state file; a fresh directory per run.
	Dir string
	// StopAt ends the run at the first violation of these invariants
	// ("I3,I4"; "any": of any; "I3 <format>": of that check of I3); ""
	// runs to the end, keeping the first violation of each check.
	StopAt string
	// Stop, when set, also ends the run at a violation it accepts.
	Stop func(Violation) bool
	// Logf, when set, narrates the run.
	Logf func(format string, args ...any)
}

// AuditEvery is how often (in cycles) `audit` runs beside the daemon.
const AuditEvery = 6

// maxTail bounds the quiet cycles after the log.
const maxTail = 40

type checker struct {
	w       *world
	opt     Options
	res     *Result
	seen    map[string]bool // checks already reported
	counted map[string]int  // check -> last cycle counted, plus one
	cycle   int
	op      int
	builtAt int // cycle count when the current exporter was built
	prev    *scrape
	prevM   *model
	tracks  map[ref]*track
	heap    uint64 // live heap after warm-up
	stopped bool
}

// Run replays ops from scratch on a new world and checks every invariant
// after every cycle, then heals every fault and runs quiet cycles until
// every leak must have been reported, and checks the end state.
func Run(cfg Config, ops []Op, opt Options) *Result {
	res := &Result{Config: cfg, Counts: map[string]int{}}
	dir, err := os.MkdirTemp(opt.Dir, "run")
	if err != nil {
		res.Err = err
		return res
	}
	defer os.RemoveAll(dir)
	w, err := newWorld(cfg, dir)
	if err != nil {
		res.Err = err
		return res
	}
	defer w.close()
	k := &checker{w: w, opt: opt, res: res, seen: map[string]bool{}, counted: map[string]int{}, tracks: map[ref]*track{}}
	for r := range w.model().brokers {
		k.tracks[r] = newTrack()
	}
	for i, o := range ops {
		if k.stopped {
			break
		}
		k.op = i + 1
		if o.Kind == OpCycle {
			k.runCycle()
			continue
		}
		k.apply(o)
	}
	if !k.stopped {
		k.finish()
	}
	res.Cycles = k.cycle
	return res
}

func (k *checker) logf(format string, args ...any) {
	if k.opt.Logf != nil {
		k.opt.Logf(format, args...)
	}
}

// fail records a violation (the first of each invariant) and stops the
// run when asked to.
func (k *checker) fail(inv, format string, args ...any) {
	if k.stopped {
		return
	}
	msg := fmt.Sprintf(format, args...)
	k.logf("cycle %d: %s %s", k.cycle, inv, msg)
	v := Violation{Invariant: inv, Check: format, Cycle: k.cycle, Op: k.op, Msg: msg}
	id := inv + " " + format
	if !k.seen[id] {
		k.seen[id] = true
		k.res.Violations = append(k.res.Violations, v)
	}
	if k.counted[id] != k.cycle+1 {
		k.counted[id] = k.cycle + 1
		k.res.Counts[id]++
	}
	if k.opt.StopAt == "any" || in(strings.Split(k.opt.StopAt, ","), inv) || k.opt.StopAt == inv+" "+format ||
		(k.opt.Stop != nil && k.opt.Stop(v)) {
		k.stopped = true
	}
}

// apply runs one operation and notes what it changed for the checks.
func (k *checker) apply(o Op) {
	before := k.w.model()
	if err := k.w.apply(o); err != nil {
		if o.Kind == OpRestartExporter || o.Kind == OpFilters {
			k.fail("I2", "the exporter did not build (%s): %v", o, err)
			return
		}
		k.logf("%s: %v", o, err)
	}
	if o.Kind == OpRestartExporter || o.Kind == OpFilters {
		k.builtAt = k.cycle
		k.prev = nil
		for _, t := range k.tracks {
			t.rebuilt()
		}
	}
	after := k.w.model()
	for _, r := range after.order {
		k.tracks[r].change(k, before.brokers[r], after.brokers[r], o)
	}
}

// runCycle runs one exporter cycle, scrapes it, and checks it.
func (k *checker) runCycle() {
	k.cycle++
	snap := k.w.cycle()
	m := k.w.model()
	sc, err := scrapeHandler(k.w.app.Handler)
	if err != nil {
		k.fail("I2", "%v", err)
		return
	}
	for _, r := range m.order {
		k.tracks[r].begin(k, r, snap)
	}
	k.checkSeries(sc, m)
	k.checkLeaks(sc, m, snap)
	k.checkBounds(sc, m)
	if k.cycle%AuditEvery == 0 {
		k.checkAudit(m)
	}
	for _, r := range m.order {
		k.tracks[r].end(k, m.brokers[r])
	}
	if k.cycle == 3 {
		k.heap = liveHeap()
	}
	k.prev, k.prevM = sc, m
}

// finish heals every fault, lets the exporter catch up, and checks the
// end state: every leak reported, audit agreeing, nothing grown.
func (k *checker) finish() {
	for _, o := range k.w.healOps() {
		k.apply(o)
	}
	for i := 0; i < maxTail && !k.stopped; i++ {
		k.runCycle()
		if i >= Grace && k.settled() {
			break
		}
	}
	if k.stopped {
		return
	}
	m := k.w.model()
	k.checkAudit(m)
	k.checkFresh(m)
	if k.heap > 0 {
		if h := liveHeap(); h > 2*k.heap+HeapSlack {
			k.fail("I5", "live heap %d bytes after %d cycles, %d after cycle 3 (bound: twice that plus %d)", h, k.cycle, k.heap, HeapSlack)
		}
	}
}

// settled: every leak's probe bound has passed on every broker.
func (k *checker) settled() bool {
	for _, t := range k.tracks {
		if !t.settled(k.cycle) {
			return false
		}
	}
	return true
}

// HeapSlack is the live-heap growth allowed over a run on top of doubling
// (the simulators' stat windows and the exporter's caches fill up).
const HeapSlack = 32 << 20

func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// overran tells whether the cycle hit its deadline: every broker counts as
// not reached then, whoever was slow.
func overran(s *snapshot.Snapshot) bool { return s != nil && s.Overran }

// Report formats a failed run for a human: the seed, its shape, each
// violation, and the log.
func Report(r *Result, ops []Op) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", r.Config)
	if r.Err != nil {
		fmt.Fprintf(&b, "run error: %v\n", r.Err)
	}
	vs := append([]Violation(nil), r.Violations...)
	sort.SliceStable(vs, func(i, j int) bool { return vs[i].Invariant < vs[j].Invariant })
	for _, v := range vs {
		fmt.Fprintf(&b, "  %s\n", v)
	}
	fmt.Fprintf(&b, "operation log (%d ops):\n%s", len(ops), FormatLog(ops))
	return b.String()
}

// ShrunkReport formats a shrunk log: the violation it still shows (the
// same check as v) and the log.
func ShrunkReport(v Violation, r *Result, ops []Op) string {
	got := v
	for _, x := range r.Violations {
		if x.Invariant == v.Invariant && x.Check == v.Check {
			got = x
			break
		}
	}
	return fmt.Sprintf("%s: shortest log found (%d ops) for\n  %s\n%s", r.Config, len(ops), got, FormatLog(ops))
}
