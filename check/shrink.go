package check

import "time"

// Shrink looks for a shorter log that still breaks invariant v.Invariant
// the same way (the same check of it): first
// the log cut after the operation that broke it, then delta debugging
// (drop one of n chunks, re-run from scratch; on success keep the rest,
// else halve the chunks) until no single operation can go or the budget
// is spent. It returns the shortest failing log found and its result.
func Shrink(cfg Config, ops []Op, first *Result, v Violation, opt Options, budget time.Duration) ([]Op, *Result) {
	deadline := time.Now().Add(budget)
	opt.StopAt = v.Invariant + " " + v.Check
	best, bestRes := ops, first
	try := func(cand []Op) bool {
		if time.Now().After(deadline) {
			return false
		}
		res := Run(cfg, cand, opt)
		if got := res.First(v.Invariant); res.Err == nil && got != nil && got.Check == v.Check {
			best, bestRes = cand, res
			return true
		}
		return false
	}
	if v.Op < len(ops) {
		try(append([]Op(nil), ops[:v.Op]...))
	}
	for n := 2; len(best) >= 2 && time.Now().Before(deadline); {
		size := (len(best) + n - 1) / n
		reduced := false
		for start := 0; start < len(best); start += size {
			cand := append(append([]Op(nil), best[:start]...), best[min(start+size, len(best)):]...)
			if try(cand) {
				n = max(n-1, 2)
				reduced = true
				break
			}
		}
		if !reduced {
			if size == 1 {
				break
			}
			n = min(2*n, len(best))
		}
	}
	return best, bestRes
}
