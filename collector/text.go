package collector

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// The cache writes the text exposition format straight from the view: no
// const metric, no registry, no dto. What it writes must be, byte for
// byte, what client_golang's registry and expfmt would write for the same
// series, since scrapes, the goldens and the collector's own tests compare
// the two (TestCacheEncodesWhatCollectServes, TestTextMatchesRegistry). So
// it does what the registry does: families in name order, each family's
// series sorted by their label values taken in label-name order, the first
// of two series with one label set kept, label pairs written in
// label-name order, floats as expfmt formats them.

// textForm is what a family's lines share, worked out once per Collector.
type textForm struct {
	name    string
	nlabels int    // label values a series carries, the target's included
	head    []byte // "# HELP …\n# TYPE …\n"
	// perm[i] is the position, in the family's own label order, of the
	// i-th label in name order; pieces[i] opens that label's pair.
	perm   []int
	pieces []string
}

func newTextForm(name, help string, typ prometheus.ValueType, labels []string) textForm {
	f := textForm{name: name, nlabels: len(labels)}
	f.head = fmt.Appendf(nil, "# HELP %s %s\n# TYPE %s %s\n", name, helpEscaper.Replace(help), name, textType(typ))
	f.perm = make([]int, len(labels))
	for i := range f.perm {
		f.perm[i] = i
	}
	slices.SortStableFunc(f.perm, func(a, b int) int { return strings.Compare(labels[a], labels[b]) })
	for i, p := range f.perm {
		sep := ","
		if i == 0 {
			sep = "{"
		}
		f.pieces = append(f.pieces, sep+labels[p]+`="`)
	}
	return f
}

var helpEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`)

func textType(t prometheus.ValueType) string {
	switch t {
	case prometheus.CounterValue:
		return "counter"
	case prometheus.GaugeValue:
		return "gauge"
	}
	return "untyped"
}

// textFamily collects one family's lines, then sorts and writes them. Each
// line has a key beside it: its label values in name order, encoded so
// that comparing keys as bytes compares the values one by one as strings
// (the registry's order), which the escaped text would not.
type textFamily struct {
	lines, keys []byte
	rows        []textRow
}

// textSizes are the largest family's buffer lengths in the last encoding:
// the next one allocates them once, at that size, instead of growing them
// by doubling (which allocated twice the largest family per build).
type textSizes struct{ lines, keys, rows int }

func newTextFamily(z textSizes) *textFamily {
	return &textFamily{lines: make([]byte, 0, z.lines), keys: make([]byte, 0, z.keys), rows: make([]textRow, 0, z.rows)}
}

// grown is z raised to what t holds now.
func (t *textFamily) grown(z textSizes) textSizes {
	return textSizes{max(z.lines, len(t.lines)), max(z.keys, len(t.keys)), max(z.rows, len(t.rows))}
}

// textRow locates one series' line and key.
type textRow struct{ line, lineEnd, key, keyEnd int }

// reset empties t for the next family, keeping its buffers.
func (t *textFamily) reset() {
	t.lines, t.keys, t.rows = t.lines[:0], t.keys[:0], t.rows[:0]
}

// add appends one series: its value and label values in the family's
// own order, the target's first when targeted. A label value that is not
// UTF-8 is the error, and leaves t as it was: checking values as they are
// written scans each once.
func (t *textFamily) add(f *textForm, v float64, lvs []string, target string, targeted bool) error {
	row := textRow{line: len(t.lines), key: len(t.keys)}
	t.lines = append(t.lines, f.name...)
	for i, p := range f.perm {
		lv := target
		if !targeted {
			lv = lvs[p]
		} else if p > 0 {
			lv = lvs[p-1]
		}
		lines, ok := appendValue(append(t.lines, f.pieces[i]...), lv)
		if !ok {
			t.lines, t.keys = t.lines[:row.line], t.keys[:row.key]
			return notUTF8(lv)
		}
		t.lines = append(lines, '"')
		if i > 0 {
			t.keys = append(t.keys, 0, 1)
		}
		t.keys = appendKey(t.keys, lv)
	}
	if len(f.perm) > 0 {
		t.lines = append(t.lines, '}')
	}
	t.lines = append(appendFloat(append(t.lines, ' '), v), '\n')
	row.lineEnd, row.keyEnd = len(t.lines), len(t.keys)
	t.rows = append(t.rows, row)
	return nil
}

// compare orders rows by key, then by emission: of two series with one
// label set the first emitted comes first, and is the one kept.
func (t *textFamily) compare(a, b textRow) int {
	return cmp.Or(bytes.Compare(t.keys[a.key:a.keyEnd], t.keys[b.key:b.keyEnd]), cmp.Compare(a.line, b.line))
}

// flush writes the family, if it has any series, and empties t. Lines
// out of order are written one by one: w is buffered.
func (t *textFamily) flush(w io.Writer, f *textForm) {
	defer t.reset()
	if len(t.rows) == 0 {
		return // the registry serves no family without series
	}
	w.Write(f.head)
	if t.orderedUnique() {
		w.Write(t.lines)
		return
	}
	slices.SortFunc(t.rows, t.compare)
	for i, r := range t.rows {
		if i > 0 && t.sameKey(t.rows[i-1], r) {
			continue
		}
		w.Write(t.lines[r.line:r.lineEnd])
	}
}

// orderedUnique tells whether the rows came in the registry's order with
// no label set twice, as most families emit them: then the lines are
// written as they are.
func (t *textFamily) orderedUnique() bool {
	for i := 1; i < len(t.rows); i++ {
		a, b := t.rows[i-1], t.rows[i]
		if bytes.Compare(t.keys[a.key:a.keyEnd], t.keys[b.key:b.keyEnd]) >= 0 {
			return false
		}
	}
	return true
}

func (t *textFamily) sameKey(a, b textRow) bool {
	return bytes.Equal(t.keys[a.key:a.keyEnd], t.keys[b.key:b.keyEnd])
}

// appendEscaped appends a label value escaped as the text format wants:
// backslash, newline and double quote.
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, `\\`...)
		case '\n':
			b = append(b, `\n`...)
		case '"':
			b = append(b, `\"`...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendValue appends a label value, escaped; false when it is not UTF-8
// (what client_golang refuses), b then as it was.
func appendValue(b []byte, s string) ([]byte, bool) {
	switch {
	case isPlain(s):
		return append(b, s...), true
	case !utf8.ValidString(s):
		return b, false
	}
	return appendEscaped(b, s), true
}

// plain holds the bytes a label value is written with as they are, and
// which need no UTF-8 check: ASCII but backslash, newline and double quote.
var plain = func() (t [256]bool) {
	for c := range utf8.RuneSelf {
		t[c] = c != '\\' && c != '\n' && c != '"'
	}
	return t
}()

// isPlain tells a value of plain bytes only, as almost every topic, group
// and client name is. It reads eight bytes at a time: escaping and UTF-8
// checks each scanning every value were a tenth of an exposition's time.
func isPlain(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		b := s[i : i+8]
		w := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		if w&allHigh != 0 || hasByte(w, '\\') || hasByte(w, '\n') || hasByte(w, '"') {
			return false
		}
	}
	for ; i < len(s); i++ {
		if !plain[s[i]] {
			return false
		}
	}
	return true
}

const (
	allLow  = 0x0101010101010101
	allHigh = 0x8080808080808080
)

// hasByte tells whether one of the eight bytes of w is c: the byte that
// equals c is zero in x, and only a zero byte borrows into its high bit
// there (an exact test of whether there is one).
func hasByte(w uint64, c byte) bool {
	x := w ^ allLow*uint64(c)
	return (x-allLow)&^x&allHigh != 0
}

// appendKey appends a label value to a sort key. Values are separated by
// 0x00 0x01 and a 0x00 inside a value is written 0x00 0x02, so a value
// that is a prefix of another sorts first and a NUL byte sorts below any
// other, as in a string comparison.
func appendKey(b []byte, s string) []byte {
	if strings.IndexByte(s, 0) < 0 {
		return append(b, s...)
	}
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			b = append(b, 0, 2)
			continue
		}
		b = append(b, s[i])
	}
	return b
}

// appendFloat formats a sample value as expfmt does.
func appendFloat(b []byte, f float64) []byte {
	switch {
	case f == 1:
		return append(b, '1')
	case f == 0:
		return append(b, '0')
	case f == -1:
		return append(b, "-1"...)
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, +1):
		return append(b, "+Inf"...)
	case math.IsInf(f, -1):
		return append(b, "-Inf"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// cardinalityError and utf8Error are the errors client_golang gives for
// label values it refuses (NewConstMetric), so the log reads as it did
// when series were const metrics; nil when the values are fine.
func cardinalityError(want int, lvs []string, target string, targeted bool) error {
	got := len(lvs)
	if targeted {
		got++
	}
	if got != want {
		all := make([]string, 0, got) // a copy: lvs must not escape
		if targeted {
			all = append(all, target)
		}
		all = append(all, lvs...)
		return fmt.Errorf("inconsistent label cardinality: expected %d label values but got %d in %#v", want, got, all)
	}
	return nil
}

// utf8Error is the first label value that is not UTF-8, as an error.
func utf8Error(lvs []string, target string, targeted bool) error {
	if targeted && !isPlain(target) && !utf8.ValidString(target) {
		return notUTF8(target)
	}
	for _, v := range lvs {
		if !isPlain(v) && !utf8.ValidString(v) {
			return notUTF8(v)
		}
	}
	return nil
}

func notUTF8(v string) error { return fmt.Errorf("label value %q is not valid UTF-8", v) }

// encode writes the families of s to w in the text format, as a registry
// holding c would be gathered and encoded, and remembers what it served.
// Families are written one at a time in name order, so only the largest
// family is ever held as text. A meta family reports the series of the
// families before it in c.families (Collect's order), so when one comes
// up in name order those not yet written are counted first (or their
// counts taken from --collect.max-series' plan).
func (c *Collector) encode(s *snapshot.Snapshot, w io.Writer) {
	v, counts := c.view(s)
	if v == nil {
		return
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	defer bw.Flush()
	w = bw
	t := newTextFamily(c.sizes)
	var sizes textSizes
	defer func() { c.sizes = sizes }()
	known := make([]bool, len(c.families)) // served[name] holds the family's count
	for _, i := range c.byName {
		f := c.families[i]
		if _, gone := v.dropped[f.name]; gone {
			continue
		}
		if f.meta {
			c.countBefore(i, v, known, counts)
		}
		sk := sink{form: &c.forms[i], text: t}
		f.emit(v, &sk)
		c.served(v, f, &sk)
		sizes = t.grown(sizes)
		t.flush(w, &c.forms[i])
		known[i] = true
	}
	c.remember(v)
}

// countBefore records the series of the families before c.families[end]
// whose count is not known yet. counts, when there are any, are those
// --collect.max-series counted on this view already.
func (c *Collector) countBefore(end int, v *view, known []bool, counts map[string]int) {
	for i, f := range c.families[:end] {
		if _, gone := v.dropped[f.name]; gone || known[i] {
			continue
		}
		sk := sink{form: &c.forms[i]}
		if n, ok := counts[f.name]; ok {
			sk.n = n
		} else {
			f.emit(v, &sk)
		}
		sk.errs = 0 // the writing reports them
		c.served(v, f, &sk)
		known[i] = true
	}
}
