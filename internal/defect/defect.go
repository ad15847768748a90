// Package defect re-injects known, fixed defects on demand, so that the
// model checker (package check) can prove it still catches each of them.
// Nothing outside tests calls Inject; with no defect injected every check
// is one atomic load.
package defect

import "sync/atomic"

// Names of the defects that can be re-injected.
const (
	// FilteredExistence judges what exists on a broker from the filtered
	// topic and group lists, so live topics outside --topic.include look
	// deleted (issue #10, item 1).
	FilteredExistence = "filtered-existence"
	// UnfairProbes asks queued probe keys in subject-name order, so
	// group keys ("group:…") starve topic keys (item 3).
	UnfairProbes = "unfair-probes"
	// ForgetfulRestart ignores the recalled history and the state file
	// (item 4).
	ForgetfulRestart = "forgetful-restart"
	// MergedTwins keys brokers by cluster and name only, so two targets'
	// twin clusters merge (item 5).
	MergedTwins = "merged-twins"
)

var active atomic.Pointer[map[string]bool]

// Inject turns the named defects on until the returned undo is called.
func Inject(names ...string) (undo func()) {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	prev := active.Swap(&m)
	return func() { active.Store(prev) }
}

// On reports whether a defect is injected.
func On(name string) bool {
	m := active.Load()
	return m != nil && (*m)[name]
}
