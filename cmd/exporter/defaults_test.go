package main

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/rocketmq-exporter/rocketmq_exporter/app"
)

// parse parses args without running anything and returns the settings.
func parse(t *testing.T, args ...string) *cli {
	t.Helper()
	c := newCLI(io.Discard, io.Discard, false)
	if _, err := c.parse(args); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return c
}

// TestFlagDefaultsAreAppDefaults: a flag's default is app.Defaults' value,
// so the two cannot disagree again (they did: offline-group refresh 4 on
// the flag, 1 in the poller).
func TestFlagDefaultsAreAppDefaults(t *testing.T) {
	c := parse(t)
	want := app.Defaults()
	if !reflect.DeepEqual(c.s, want) {
		t.Errorf("settings after parsing no flags:\n%+v\nwant app.Defaults():\n%+v", c.s, want)
	}
	// And every default is one the constructors accept.
	want.Namesrvs = []string{"127.0.0.1:9876"}
	a, err := app.New(want, nil)
	if err != nil {
		t.Fatalf("app.New(app.Defaults()): %v", err)
	}
	a.Close()
}

func TestRenamedFlagsStillWork(t *testing.T) {
	c := parse(t, "--max-series=100", "--lmq.expand")
	if c.s.MaxSeries != 100 || !c.s.ExpandLMQ {
		t.Fatalf("old names set MaxSeries=%d ExpandLMQ=%v, want 100 true", c.s.MaxSeries, c.s.ExpandLMQ)
	}
	var buf bytes.Buffer
	c.warnRenamed(slog.New(slog.NewTextHandler(&buf, nil)))
	for _, r := range renamed {
		if !strings.Contains(buf.String(), "new=--"+r.now) {
			t.Errorf("no warning naming --%s in %q", r.now, buf.String())
		}
	}
	c = parse(t, "--collect.max-series=7", "--collect.lmq-expand")
	if c.s.MaxSeries != 7 || !c.s.ExpandLMQ {
		t.Fatalf("new names set MaxSeries=%d ExpandLMQ=%v, want 7 true", c.s.MaxSeries, c.s.ExpandLMQ)
	}
	buf.Reset()
	c.warnRenamed(slog.New(slog.NewTextHandler(&buf, nil)))
	if buf.Len() != 0 {
		t.Errorf("new names warned: %q", buf.String())
	}
	if c = parse(t, "--max-series=100", "--collect.max-series=7"); c.s.MaxSeries != 7 {
		t.Errorf("both names given: MaxSeries=%d, want the new name's 7", c.s.MaxSeries)
	}
	var help bytes.Buffer
	c = newCLI(&help, io.Discard, false)
	c.ka.Parse([]string{"--help"})
	if strings.Contains(help.String(), "--max-series") || !strings.Contains(help.String(), "--collect.max-series") {
		t.Errorf("--help should list the new names only")
	}
}

// TestValuesConstructorsRefuse: a value out of range is an error naming
// the flag, where the poller used to put its own default in silently.
func TestValuesConstructorsRefuse(t *testing.T) {
	ns := "--rocketmq.namesrv-addr=127.0.0.1:9876"
	for _, c := range []struct{ flag, want string }{
		{"--collect.broker-concurrency=0", "--collect.broker-concurrency"},
		{"--collect.call-concurrency=-1", "--collect.call-concurrency"},
		{"--collect.offline-group-refresh=0", "--collect.offline-group-refresh"},
		{"--collect.grace-cycles=-1", "--collect.grace-cycles"},
		{"--collect.lag-seconds-budget=-5", "--collect.lag-seconds-budget"},
		{"--collect.max-series=-1", "--collect.max-series"},
		{"--leak.max-tombstones=0", "--leak.max-tombstones"},
		{"--leak.reprobe-interval=0s", "reprobe"},
		{"--collect.client-running-info", "needs --collect.client-metrics"},
		{"--web.external-url=rocketmq.example.org", "--web.external-url"},
		{"--web.route-prefix=rocketmq", "--web.route-prefix"},
	} {
		for _, cmd := range []string{"serve", "audit"} {
			code, stderr := runCapture(t, ns, c.flag, "--no-collect.client-metrics", cmd)
			if c.want != "needs --collect.client-metrics" {
				code, stderr = runCapture(t, ns, c.flag, cmd)
			}
			if code != 2 || !strings.Contains(stderr, c.want) {
				t.Errorf("%s %s: exit %d, stderr %q; want 2 and %q", c.flag, cmd, code, stderr, c.want)
			}
		}
	}
}

// TestReadmeListsEveryFlag: every flag the command takes is in README's
// table with the default --help shows; a flag missing from it is a knob
// nobody can find.
func TestReadmeListsEveryFlag(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{} // flag cell -> default cell
	for _, line := range strings.Split(string(b), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`--") {
			continue
		}
		rows[strings.TrimSpace(cells[1])] = strings.TrimSpace(cells[2])
	}
	c := newCLI(io.Discard, io.Discard, false)
	for _, f := range c.ka.Model().Flags {
		if f.Hidden || slices.Contains(builtinFlags, f.Name) {
			continue
		}
		def := strings.Join(f.Default, ",")
		found := false
		for cell, d := range rows {
			if !strings.Contains(cell, "`--"+f.Name+"`") && !strings.Contains(cell, "`--"+f.Name+",") && !strings.HasPrefix(cell, "`--"+f.Name+"/") && !strings.Contains(cell, "`--"+strings.Split(f.Name, ".")[0]+".include/exclude`") {
				continue
			}
			found = true
			if strings.Count(cell, "`") == 2 && def != "" && d != def && !(f.Name == "collect.timeout" && d == "90% of the interval") {
				t.Errorf("README says --%s defaults to %q, the flag to %q", f.Name, d, def)
			}
		}
		if !found {
			t.Errorf("README's flag table has no row for --%s", f.Name)
		}
	}
}

// TestRenamedFlagFromTheEnvironment: an old name's variable still sets the
// value and is warned about, naming the new variable.
func TestRenamedFlagFromTheEnvironment(t *testing.T) {
	t.Setenv("ROCKETMQ_EXPORTER_MAX_SERIES", "5")
	c := newCLI(io.Discard, io.Discard, true)
	if _, err := c.parse(nil); err != nil {
		t.Fatal(err)
	}
	if c.s.MaxSeries != 5 {
		t.Fatalf("MaxSeries = %d from ROCKETMQ_EXPORTER_MAX_SERIES, want 5", c.s.MaxSeries)
	}
	var buf bytes.Buffer
	c.warnRenamed(slog.New(slog.NewTextHandler(&buf, nil)))
	if !strings.Contains(buf.String(), "new_env=ROCKETMQ_EXPORTER_COLLECT_MAX_SERIES") || strings.Contains(buf.String(), "lmq") {
		t.Errorf("warning %q, want one naming ROCKETMQ_EXPORTER_COLLECT_MAX_SERIES", buf.String())
	}
}
