package check

import (
	"flag"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"
)

var long = flag.Bool("check.long", false, "run many more seeds (make check-long)")

// The CI budget: defaultSeeds runs of defaultCycles cycles, and one shrink
// of the first failure within shrinkBudget.
const (
	defaultCycles = 30
	longSeeds     = 60
	longCycles    = 60
	shrinkBudget  = 40 * time.Second
)

// defaultSeeds: twin 5.3.3 clusters without stat cleanup; 4.9.7 (it leaks) with
// two brokers and two namesrvs; 5.4.0 as shipped; 4.9.7 with cleanup on.
// Between them TestCheckCatchesDefects finds every re-injected defect.
var defaultSeeds = []int64{2, 12, 5, 1}

// seeds picks the seeds and cycles: CHECK_SEED replays one, CHECK_SEEDS
// or -check.long runs many.
func seeds(t *testing.T) ([]int64, int) {
	if s := os.Getenv("CHECK_SEED"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("CHECK_SEED=%q: %v", s, err)
		}
		cycles := defaultCycles
		if *long {
			cycles = longCycles
		}
		return []int64{n}, cycles
	}
	n := 0
	if s := os.Getenv("CHECK_SEEDS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			t.Fatalf("CHECK_SEEDS=%q: %v", s, err)
		}
	} else if *long {
		n = longSeeds
	}
	if n == 0 {
		return defaultSeeds, defaultCycles
	}
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(100 + i)
	}
	return out, longCycles
}

// clean caches runs of the default seeds without injected defects, for
// TestCheckCatchesDefects to tell what a defect adds.
var clean = struct {
	sync.Mutex
	runs map[int64]*Result
}{runs: map[int64]*Result{}}

func remember(cycles int, res *Result) {
	if cycles == defaultCycles {
		clean.Lock()
		clean.runs[res.Config.Seed] = res
		clean.Unlock()
	}
}

// TestCheck runs the model check: a failure prints the seed, the broken
// invariants and the shortest log found that still breaks the first.
// CHECK_SHRINK=all shrinks every broken check of every seed.
func TestCheck(t *testing.T) {
	list, cycles := seeds(t)
	shrunk := false
	for _, seed := range list {
		cfg := ConfigFor(seed, cycles)
		ops := Generate(cfg)
		opt := Options{Dir: t.TempDir()}
		if testing.Verbose() {
			opt.Logf = t.Logf
		}
		start := time.Now()
		res := Run(cfg, ops, opt)
		t.Logf("%s: %d cycles in %v, %d check(s) broken", cfg, res.Cycles, time.Since(start).Round(time.Millisecond), len(res.Violations))
		if res.Err != nil {
			t.Fatalf("%s: %v", cfg, res.Err)
		}
		remember(cycles, res)
		if !res.Failed() {
			continue
		}
		all := os.Getenv("CHECK_SHRINK") == "all"
		if (shrunk && !all) || os.Getenv("CHECK_NOSHRINK") != "" {
			t.Errorf("%s", Report(res, ops))
			continue
		}
		shrunk = true // one shrink per run of the test keeps it in budget
		vs := res.Violations[:1]
		if all {
			vs = res.Violations
		}
		t.Errorf("%s\nall found in the full run (CHECK_SEED=%d replays it):\n%s", cfg, seed, violations(res))
		for _, v := range vs {
			small, sres := Shrink(cfg, ops, res, v, Options{Dir: t.TempDir()}, shrinkBudget)
			t.Errorf("%s", ShrunkReport(v, sres, small))
		}
	}
}

func violations(r *Result) string {
	s := ""
	for _, v := range r.Violations {
		s += "  " + v.String() + "\n"
	}
	return s
}
