package check

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/internal/defect"
)

// TestCheckCatchesDefects re-injects fixed defects of issue #10 into the
// exporter (internal/defect) one at a time and asserts that TestCheck's
// seeds, at its cycle count, break a check of the invariant each defect
// breaks where, or more often than, the same seed does without it: the
// checker would have found it in CI. CHECK_DEFECT_SEEDS=<n> tries seeds 1..n instead and
// logs every catch (to choose defaultSeeds).
func TestCheckCatchesDefects(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the model check per defect")
	}
	cases := []struct {
		defect string
		inv    []string
	}{
		{defect.MergedTwins, []string{"I2"}},
		{defect.FilteredExistence, []string{"I3", "I4"}},
		{defect.ForgetfulRestart, []string{"I3"}},
		{defect.UnfairProbes, []string{"I3"}},
	}
	list, scan := defaultSeeds, os.Getenv("CHECK_DEFECT_SEEDS") != ""
	if scan {
		n, _ := strconv.Atoi(os.Getenv("CHECK_DEFECT_SEEDS"))
		list = nil
		for i := 1; i <= n; i++ {
			list = append(list, int64(i))
		}
	}
	for _, tc := range cases {
		t.Run(tc.defect, func(t *testing.T) {
			for _, seed := range list {
				base := cleanRun(t, seed)
				if v := withDefect(t, tc.defect, seed, tc.inv, base); v != nil {
					t.Logf("seed %d caught it: %s", seed, v)
					if !scan {
						return
					}
				}
			}
			if !scan {
				t.Errorf("no seed of %v broke a new check of %v with %s injected", list, tc.inv, tc.defect)
			}
		})
	}
}

// cleanRun is TestCheck's run of a seed, run again if TestCheck did not.
func cleanRun(t *testing.T, seed int64) *Result {
	clean.Lock()
	res := clean.runs[seed]
	clean.Unlock()
	if res == nil {
		cfg := ConfigFor(seed, defaultCycles)
		res = Run(cfg, Generate(cfg), Options{Dir: t.TempDir()})
		remember(defaultCycles, res)
	}
	return res
}

// withDefect runs a seed with a defect injected until a check of invs
// breaks in more cycles (by margin) than in the clean run, or breaks where
// the clean run's does not.
func withDefect(t *testing.T, name string, seed int64, invs []string, base *Result) *Violation {
	const margin = 2
	undo := defect.Inject(name)
	defer undo()
	var caught *Violation
	counts := map[string]int{}
	last := map[string]int{}
	stop := func(v Violation) bool {
		id := v.Invariant + " " + v.Check
		if !in(invs, v.Invariant) || last[id] == v.Cycle+1 {
			return false
		}
		last[id] = v.Cycle + 1
		counts[id]++
		if base.Counts[id] == 0 || counts[id] > base.Counts[id]+margin {
			caught = &v
			return true
		}
		return false
	}
	cfg := ConfigFor(seed, defaultCycles)
	start := time.Now()
	Run(cfg, Generate(cfg), Options{Dir: t.TempDir(), Stop: stop})
	if caught != nil {
		t.Logf("seed %d: %v; %d cycles broke it, %d without the defect", seed, time.Since(start).Round(time.Millisecond),
			counts[caught.Invariant+" "+caught.Check], base.Counts[caught.Invariant+" "+caught.Check])
	}
	return caught
}
