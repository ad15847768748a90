package collector

import (
	"slices"
	"testing"
)

// A family of ours whose series grow with the topics or groups is in a set
// (sets.go), so a flag can leave it out; the Java families are all behind
// --collect.compat-metrics, the per-client ones behind
// --collect.client-metrics.
func TestEveryScaledFamilyInASet(t *testing.T) {
	for _, f := range allFamilies() {
		scaled := slices.Contains(f.labels, "topic") || slices.Contains(f.labels, "group")
		if scaled && f.needs&(needCompat|needClient|needTopic|needGroup) == 0 {
			t.Errorf("%s has a series per topic or group and no flag that leaves it out: give it a set in sets.go", f.name)
		}
	}
	for name := range setOf {
		if !slices.ContainsFunc(allFamilies(), func(f *family) bool { return f.name == name }) {
			t.Errorf("sets.go names %s, which no family is", name)
		}
	}
}
