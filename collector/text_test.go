package collector

import (
	"bytes"
	"log/slog"
	"math"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// awkward are families whose series put the text writer where it can go
// wrong: label values to escape, NUL bytes and prefixes that sort
// differently once escaped, label names out of name order, series emitted
// out of order and twice, values that are not UTF-8, every float
// expfmt special-cases, a family without series, names that sort around
// the meta families, and a HELP string to escape.
func awkward() []*family {
	fixed := func(name, help string, typ prometheus.ValueType, labels []string, rows ...row) *family {
		return &family{name: name, help: help, typ: typ, labels: labels, prio: prioTopic,
			emit: func(_ *view, s *sink) {
				for _, r := range rows {
					s.add(r.v, r.lvs...)
				}
			}}
	}
	values := []float64{0, math.Copysign(0, -1), 1, -1, math.NaN(), math.Inf(1), math.Inf(-1), 0.1, -2.5, 1e-300,
		5e-324, 1.5e21, 123456789012345678, math.MaxFloat64, 1 << 53, 1.0 / 3}
	var floats []row
	for i, v := range values {
		floats = append(floats, row{v, []string{strings.Repeat("x", i)}})
	}
	return append([]*family{
		fixed("zz_escape", "Values to escape: a \\ backslash,\na newline and \"quotes\".", gauge, []string{"zeta", "alpha", "mid"},
			row{1, []string{"a", `q"uote`, "b\\s"}},
			row{2, []string{"a\x00", "new\nline", ""}},
			row{3, []string{"ab", "", "é"}},
			row{4, []string{"a\n", "z", "z"}},
			row{5, []string{"a", "A", "b\\s"}},
			row{6, []string{"a", `q"uote`, "b\\s"}}, // a second series with the first's labels: the registry keeps the first
			row{7, []string{"", "", ""}},
			row{8, []string{"a\x00\x00", "\x00", "\x01"}},
		),
		fixed("zz_invalid", "Two of three series are not UTF-8.", counter, []string{"v"},
			row{1, []string{"ok"}}, row{2, []string{"bad\xff"}}, row{3, []string{"\xc3"}}),
		fixed("aa_floats", "Every value expfmt formats its own way.", untyped, []string{"i"}, floats...),
		fixed("aa_plain", "No labels.", counter, nil, row{42, nil}),
		fixed("rocketmq_exporter_s", "Sorts just before the meta families.", gauge, []string{"k"}, row{1, []string{"b"}}, row{2, []string{"a"}}),
		fixed("rocketmq_exporter_seriez", "Sorts between them.", gauge, nil, row{1, nil}),
		fixed("aa_empty", "Emits nothing: no HELP, no TYPE.", gauge, []string{"k"}),
	}, metaFamilies()...)
}

type row struct {
	v   float64
	lvs []string
}

// registryText is what client_golang serves for c: a registry gathers it
// (leaving out, as the cache did, what it refuses) and expfmt encodes it.
func registryText(t *testing.T, c *Collector) string {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	mfs, _ := reg.Gather() // duplicates are reported and left out; the rest is served
	return render(t, mfs)
}

// TestTextMatchesRegistry: the text the cache writes is, byte for byte,
// what a registry and expfmt make of the same families, with one target
// or several (every series then has a target label first), and with
// --collect.max-series dropping a family.
func TestTextMatchesRegistry(t *testing.T) {
	cases := map[string]Options{
		"one target":  {},
		"two targets": {Targets: []string{`ns"1`, `ns\2`}},
		"max-series":  {MaxSeries: 25},
	}
	for name, o := range cases {
		t.Run(name, func(t *testing.T) {
			s := fixtureSnapshot(t)
			var viaRegistry, viaText bytes.Buffer
			o.Logger = slog.New(slog.NewTextHandler(&viaRegistry, &slog.HandlerOptions{ReplaceAttr: dropTime}))
			want := registryText(t, newCollector(fixedSource{s}, o, awkward()))
			o.Logger = slog.New(slog.NewTextHandler(&viaText, &slog.HandlerOptions{ReplaceAttr: dropTime}))
			c := newCollector(nil, o, awkward())
			var got bytes.Buffer
			c.encode(s, &got)
			if got.String() != want {
				t.Errorf("text writer differs from registry + expfmt:\n%s", lineDiff(want, got.String()))
			}
			if !strings.Contains(want, "zz_escape") || !strings.Contains(want, "rocketmq_exporter_series{") {
				t.Fatalf("the registry served too little to compare with:\n%s", want)
			}
			if o.MaxSeries > 0 && !strings.Contains(want, "rocketmq_exporter_series_dropped{") {
				t.Fatalf("the cap dropped nothing:\n%s", want)
			}

			if viaText.String() != viaRegistry.String() || !strings.Contains(viaText.String(), "not valid UTF-8") {
				t.Errorf("logs differ:\nregistry:\n%s\ntext:\n%s", viaRegistry.String(), viaText.String())
			}
		})
	}
}

func dropTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

// TestTextMatchesRegistryOnFixture: the same on every real family, with
// every option on, over the fixture's two targets, and on the benchmark's
// shape at 1k topics.
func TestTextMatchesRegistryOnFixture(t *testing.T) {
	for name, o := range map[string]Options{"all on": allOn(), "defaults": {Compat: true, ClientMetrics: true},
		"targets":   {Compat: true, QueueMetrics: true, ClientMetrics: true, Targets: []string{"a", "b"}},
		"1k topics": {Compat: true, QueueMetrics: true, ClientMetrics: true, MaxSeries: 20000}} {
		t.Run(name, func(t *testing.T) {
			s := fixtureSnapshot(t)
			if name == "1k topics" {
				s = benchSnapshot(t, 1000)
			}
			want := registryText(t, newTestCollector(s, o))
			c := newTestCollector(nil, o)
			var got bytes.Buffer
			c.encode(s, &got)
			if got.String() != want {
				t.Errorf("text writer differs from registry + expfmt:\n%s", lineDiff(want, got.String()))
			}
		})
	}
}

// TestIsPlain holds the eight-bytes-at-a-time scan to the byte table: each
// byte value at each position of values short and long.
func TestIsPlain(t *testing.T) {
	bytewise := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if !plain[s[i]] {
				return false
			}
		}
		return true
	}
	for n := 1; n <= 20; n++ {
		for pos := range n {
			for c := range 256 {
				b := []byte(strings.Repeat("a", n))
				b[pos] = byte(c)
				if got, want := isPlain(string(b)), bytewise(string(b)); got != want {
					t.Fatalf("isPlain(%q) = %v, want %v", b, got, want)
				}
			}
		}
	}
	for _, s := range []string{"", "topic-1", "%RETRY%group_a", "GID_ORDER@broker-a:10911", "10.0.0.1@12345#2334#98765"} {
		if !isPlain(s) {
			t.Errorf("isPlain(%q) = false", s)
		}
	}
}
