package testtool

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// ender records how a test would have ended; Fatalf and Skip stop the
// goroutine as the real ones do.
type ender struct {
	testing.TB
	fatal, skip string
}

func (e *ender) Helper() {}

func (e *ender) Fatalf(format string, args ...any) {
	e.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (e *ender) Skip(args ...any) {
	e.skip = fmt.Sprint(args...)
	runtime.Goexit()
}

// run calls need in a goroutine of its own, as the testing package runs a
// test, and returns how it ended and what it returned.
func run(t *testing.T, need func(testing.TB) string) (e *ender, path string) {
	e = &ender{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		path = need(e)
	}()
	<-done
	return e, path
}

func TestNeed(t *testing.T) {
	dir := t.TempDir()
	tool := filepath.Join(dir, "some-tool")
	if err := os.WriteFile(tool, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	need := func(names ...string) func(testing.TB) string {
		return func(tb testing.TB) string { return Need(tb, "apt-get install it", names...) }
	}

	for _, ci := range []string{"", "false", "true", "1"} {
		t.Setenv("CI", ci)
		if e, p := run(t, need("no-such-tool", "some-tool")); p != tool || e.fatal != "" || e.skip != "" {
			t.Errorf("CI=%q, an installed tool: path %q, fatal %q, skip %q; want %s", ci, p, e.fatal, e.skip, tool)
		}
		e, _ := run(t, need("no-such-tool"))
		strict := ci == "true" || ci == "1"
		if strict && (e.fatal == "" || e.skip != "") || !strict && (e.skip == "" || e.fatal != "") {
			t.Errorf("CI=%q, a missing tool: fatal %q, skip %q; want it to %s", ci, e.fatal, e.skip, map[bool]string{true: "fail", false: "skip"}[strict])
		}
	}
}
