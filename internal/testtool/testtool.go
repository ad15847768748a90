// Package testtool decides what a test does when a program it runs is not
// installed: on a developer's machine it skips, in CI it fails, because
// .ci/run installs every such program and a skip there would hide a test
// that never ran.
//
// CI is told by the environment variable CI=true, which most CI services
// set and .ci/run exports itself. Skips for -short or for an opt-in heavy
// test are not this package's business: they stay skips everywhere.
package testtool

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// CI reports whether a missing tool fails the test: $CI holds a true
// value (true, 1, …, as strconv.ParseBool reads it).
func CI() bool {
	on, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && on
}

// Missing ends the test for want of a tool: t.Fatal in CI, else t.Skip.
// what names the tool and how to install it.
func Missing(t testing.TB, what string) {
	t.Helper()
	if CI() {
		t.Fatalf("%s (CI=true: .ci/run must install it)", what)
	}
	t.Skip(what)
}

// Need returns the path of the first of names found on PATH; with none,
// it ends the test through Missing, saying install (e.g. "Debian: apt-get
// install prometheus").
func Need(t testing.TB, install string, names ...string) string {
	t.Helper()
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	Missing(t, fmt.Sprintf("%s not installed (%s)", strings.Join(names, " or "), install))
	return ""
}
