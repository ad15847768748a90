package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCapture runs the command line and returns its exit code and stderr.
func runCapture(t *testing.T, args ...string) (int, string) {
	t.Helper()
	dir := t.TempDir()
	out, _ := os.Create(filepath.Join(dir, "out"))
	errf, _ := os.Create(filepath.Join(dir, "err"))
	defer out.Close()
	defer errf.Close()
	code := run(args, out, errf)
	b, _ := os.ReadFile(errf.Name())
	return code, string(b)
}

func TestBadInputGetsOneClearLine(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--rocketmq.namesrv-addr=127.0.0.1:9876", "--collect.interval=soon"}, `invalid duration "soon"`},
		{[]string{"--rocketmq.namesrv-addr=127.0.0.1:9876", "--topic.include=("}, "--topic.include"},
		{[]string{"--rocketmq.namesrv-addr=127.0.0.1:9876", "--group.exclude=[a-"}, "--group.include/--group.exclude"},
		{[]string{}, "--rocketmq.namesrv-addr is required"},
		{[]string{"--rocketmq.namesrv-addr=localhost"}, "has no port"},
		{[]string{"--rocketmq.namesrv-addr=a=127.0.0.1:9876", "--rocketmq.namesrv-addr=a=127.0.0.2:9876"}, `two targets are named "a"`},
		{[]string{"--rocketmq.namesrv-addr=127.0.0.1:9876", "--rocketmq.access-key=ak"}, "go together"},
		{[]string{"--no-such-flag"}, "unknown long flag"},
		{[]string{"--rocketmq.namesrv-addr=127.0.0.1:9876", "audit", "--output=xml"}, "enum value must be one of"},
	}
	for _, c := range cases {
		code, stderr := runCapture(t, c.args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", c.args, code)
		}
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if len(lines) != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: stderr %q, want one line containing %q", c.args, stderr, c.want)
		}
	}
}

func TestAuditUnreachableNamesrvIsAnError(t *testing.T) {
	code, _ := runCapture(t, "--rocketmq.namesrv-addr=127.0.0.1:1", "--rocketmq.timeout=300ms", "--collect.interval=1s", "audit")
	if code != 2 {
		t.Fatalf("audit against nothing: exit %d, want 2", code)
	}
}

func TestVersionAndHelpExitZero(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"--help"}, {"audit", "--help"}} {
		if code, stderr := runCapture(t, args...); code != 0 {
			t.Errorf("%v: exit %d (%s)", args, code, stderr)
		}
	}
}
