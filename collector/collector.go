// Package collector serves the latest snapshot as Prometheus metrics: a
// Cache writes each snapshot's families once, straight into the text format
// (text.go), and Collector is also a prometheus.Collector for the few
// families served per scrape and for tools. It never talks to a broker:
// every build turns the snapshot the poller last published into fresh
// series, so a topic, group or client that left the snapshot leaves
// /metrics with the next snapshot.
//
// Families are defined once, in a table per scope: broker.go (processes and
// broker names), runtime.go (GET_BROKER_RUNTIME_INFO), topic.go, group.go,
// client.go, leak.go, self.go (the exporter itself) and compat.go (the
// Java-exporter compatibility families); family.go says what a family is.
// Each definition carries its Desc, a priority and an emit function over
// the snapshot; a family with one value per entity is made by its scope's
// constructor (perBroker, perTopic, perGroupTopic, jPerGroupTopic, …),
// which alone writes the scope's labels. The same emit
// function, run against a counting sink, tells how many series a family
// would produce, which is how --collect.max-series decides what to drop before
// anything is sent.
package collector

import (
	"cmp"
	"context"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rocketmq-exporter/rocketmq_exporter/internal/defect"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// Source hands out the latest published snapshot.
type Source interface {
	// Snapshot may return nil before the first cycle has finished.
	Snapshot() *snapshot.Snapshot
}

// Options select what the collector serves.
type Options struct {
	// Compat serves the families of the Java rocketmq-exporter, with the
	// same names and label names.
	Compat bool
	// QueueMetrics serves the per-queue families.
	QueueMetrics bool
	// ClientMetrics serves the per-client families (client info and the
	// clients' own consumption figures).
	ClientMetrics bool
	// NoTopicMetrics leaves out our families per topic, NoGroupMetrics
	// those per consumer group (sets.go): negated, so that the zero
	// Options serve them, as the flags do by default.
	NoTopicMetrics, NoGroupMetrics bool
	// MessageRates serves the broker's minute-window message rates per
	// topic and group, which rate() over the counters replaces.
	MessageRates bool
	// MaxSeries caps the series of one scrape; 0 means no cap. Whole
	// families are dropped, lowest priority first, until the rest fits.
	MaxSeries int
	// Logger receives warnings; nil discards them.
	Logger *slog.Logger
	// Targets name the namesrv targets in snapshot order. With more than
	// one, every family about a target's brokers, topics, groups and
	// clients carries a target label, so clusters and brokers named alike
	// in two targets (DefaultCluster/broker-a) never merge. With one, the
	// label sets are those of the Java exporter.
	Targets []string

	// part selects the live families, the others, or (zero) all: a Cache
	// encodes the others once per snapshot and serves the live ones per
	// scrape.
	part part
}

// part is a share of the families.
type part uint8

const (
	partAll    part = iota
	partCached      // every family whose value is fixed with its snapshot
	partLive        // the families whose value depends on the scrape's clock
)

// Collector is a prometheus.Collector over a Source.
type Collector struct {
	src      Source
	opts     Options
	log      *slog.Logger
	families []*family  // enabled families, in emission order
	forms    []textForm // families[i]'s text form
	byName   []int      // indexes of families in name order, as a registry sorts them
	sizes    textSizes  // the last encoding's (encode runs one at a time: Cache.mu)
	now      func() time.Time

	mu          sync.Mutex
	lastSeries  map[string]int
	lastDropped map[string]int
	dropKey     string // the dropped set last logged, to log once per change
	warned      map[string]bool
	// held are the families --collect.max-series left out of the snapshot before
	// the last one collected (outSeq); out those left out of the last.
	// They come back only with room to spare (restoreRatio).
	held, out map[string]bool
	outSeq    uint64
}

// New builds the collector and every Desc it can send.
func New(src Source, opts Options) *Collector { return newCollector(src, opts, allFamilies()) }

// newCollector builds a collector over the families fs that opts enables.
func newCollector(src Source, opts Options, fs []*family) *Collector {
	c := &Collector{src: src, opts: opts, log: opts.Logger, now: time.Now}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	perTarget := len(opts.Targets) > 1 && !defect.On(defect.MergedTwins)
	for _, f := range fs {
		if !f.enabled(opts) {
			continue
		}
		labels := f.labels
		if perTarget && !aboutExporter(f) {
			labels = with([]string{TargetLabel}, f.labels...)
			f.emit = eachTarget(f.emit)
		}
		f.desc = prometheus.NewDesc(f.name, f.help, labels, nil)
		c.families = append(c.families, f)
		c.forms = append(c.forms, newTextForm(f.name, f.help, f.typ, labels))
		c.byName = append(c.byName, len(c.byName))
	}
	slices.SortStableFunc(c.byName, func(a, b int) int { return strings.Compare(c.families[a].name, c.families[b].name) })
	return c
}

// TargetLabel names the namesrv target of a series when there are several.
const TargetLabel = "target"

// aboutExporter tells the families that describe the exporter itself, not
// what a target holds: they are served once, without a target label.
// Exporter families per broker (tombstones) belong to the broker's target.
func aboutExporter(f *family) bool {
	return strings.HasPrefix(f.name, "rocketmq_exporter_") && !slices.Contains(f.labels, "broker")
}

// eachTarget runs emit over every target's own view, its series labelled
// with the target's name. Counting (--collect.max-series) goes through it too, so
// the cap is on the whole scrape, not per target.
func eachTarget(emit func(*view, *sink)) func(*view, *sink) {
	return func(v *view, s *sink) {
		for _, tv := range v.targets {
			s.target, s.targeted = tv.target, true
			emit(tv, s)
		}
		s.target, s.targeted = "", false
	}
}

// Describe sends the Desc of every family this collector can serve.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, f := range c.families {
		ch <- f.desc
	}
}

// Collect serves the current snapshot.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	var s *snapshot.Snapshot
	if c.src != nil {
		s = c.src.Snapshot()
	}
	v, _ := c.view(s)
	if v == nil {
		return
	}
	for i, f := range c.families {
		if _, gone := v.dropped[f.name]; gone {
			continue
		}
		sk := sink{ch: ch, desc: f.desc, typ: f.typ, form: &c.forms[i]}
		f.emit(v, &sk)
		c.served(v, f, &sk)
	}
	c.remember(v)
}

// view reads s for one Collect or one encoding, and plans what
// --collect.max-series drops, with every family's series count when it
// had to count them. A nil snapshot gives no view and nothing served.
func (c *Collector) view(s *snapshot.Snapshot) (*view, map[string]int) {
	if s == nil {
		c.mu.Lock()
		c.lastSeries, c.lastDropped = map[string]int{}, map[string]int{}
		c.mu.Unlock()
		return nil, nil
	}
	v := newView(s, c.now())
	if len(c.opts.Targets) > 1 && !defect.On(defect.MergedTwins) {
		v.splitTargets(c.opts.Targets)
	}
	var counts map[string]int
	if c.opts.MaxSeries > 0 {
		v.dropped, counts = c.planDrops(v)
	}
	return v, counts
}

// served records what one family's sink served and logs what it could not.
func (c *Collector) served(v *view, f *family, sk *sink) {
	if sk.n > 0 {
		if _, counted := v.served[f.name]; !counted {
			v.servedOrder = append(v.servedOrder, f.name)
		}
		v.served[f.name] = sk.n
	}
	if sk.errs > 0 {
		c.logBuildErrors(f.name, sk.errs, sk.firstErr)
	}
}

// remember keeps what v served for LastSeries and LastDropped.
func (c *Collector) remember(v *view) {
	c.mu.Lock()
	c.lastSeries, c.lastDropped = v.served, v.dropped
	c.mu.Unlock()
}

// logBuildErrors reports series that could not be built (a label value
// that is not UTF-8, say): a warning the first time per family, then at
// debug level, since the same entity fails again every scrape.
func (c *Collector) logBuildErrors(family string, n int, first string) {
	c.mu.Lock()
	seen := c.warned[family]
	if c.warned == nil {
		c.warned = map[string]bool{}
	}
	c.warned[family] = true
	c.mu.Unlock()
	level := slog.LevelWarn
	if seen {
		level = slog.LevelDebug
	}
	c.log.Log(context.Background(), level, "series left out: metric could not be built", "family", family, "errors", n, "first_error", first)
}

// LastSeries tells how many series each family served in the last Collect.
func (c *Collector) LastSeries() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.lastSeries)
}

// LastDropped tells which families --collect.max-series dropped in the last
// Collect, with the series each would have served.
func (c *Collector) LastDropped() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.lastDropped)
}

// restoreRatio is the share of --collect.max-series the series must fit under,
// with a dropped family back, for that family to be served again: a count
// that hovers at the cap must not toggle families on and off every cycle.
const restoreRatio = 0.9

// planDrops counts every family's series for this snapshot and picks the
// families to leave out so the rest fits under MaxSeries. A family left out
// of the previous snapshot stays out until the series with it fit under
// restoreRatio of the cap.
func (c *Collector) planDrops(v *view) (map[string]int, map[string]int) {
	counts := make(map[string]int, len(c.families))
	total := 0
	var candidates []*family
	for i, f := range c.families {
		if f.meta {
			continue
		}
		sk := sink{form: &c.forms[i]}
		f.emit(v, &sk)
		counts[f.name] = sk.n
		total += sk.n
		if f.prio < prioNever && sk.n > 0 {
			candidates = append(candidates, f)
		}
	}
	// Lowest priority first; inside a priority the biggest family first,
	// so as few families as possible go.
	slices.SortStableFunc(candidates, func(a, b *family) int {
		if r := cmp.Compare(a.prio, b.prio); r != 0 {
			return r
		}
		if r := cmp.Compare(counts[b.name], counts[a.name]); r != 0 {
			return r
		}
		return strings.Compare(a.name, b.name)
	})
	dropped := map[string]int{}
	if total > c.opts.MaxSeries {
		for _, f := range candidates {
			if total <= c.opts.MaxSeries {
				break
			}
			dropped[f.name] = counts[f.name]
			total -= counts[f.name]
		}
	}
	total = c.holdDropped(v.s.Seq, candidates, counts, dropped, total)
	c.logDrops(dropped, total)
	return dropped, counts
}

// holdDropped keeps out the families the previous snapshot left out that
// would not fit under restoreRatio of the cap with them back, adding them
// to dropped, and returns the series left. Families come back highest
// priority (and, within one, smallest) first, and the first that does not
// fit keeps every lower one out too, so the lowest tiers still go first.
// Scrapes of one snapshot share its decision.
func (c *Collector) holdDropped(seq uint64, candidates []*family, counts, dropped map[string]int, total int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if seq != c.outSeq {
		c.held, c.outSeq = c.out, seq
	}
	prev := c.held
	room := int(restoreRatio * float64(c.opts.MaxSeries))
	var held []*family // dropped last time, fit now: candidates to come back
	for _, f := range candidates {
		if _, out := dropped[f.name]; !out && prev[f.name] {
			held = append(held, f)
			dropped[f.name] = counts[f.name]
			total -= counts[f.name]
		}
	}
	for i := len(held) - 1; i >= 0; i-- { // candidates are in drop order: walk it backwards
		f := held[i]
		if total+counts[f.name] > room {
			break
		}
		delete(dropped, f.name)
		total += counts[f.name]
	}
	c.out = make(map[string]bool, len(dropped))
	for name := range dropped {
		c.out[name] = true
	}
	return total
}

// logDrops logs the dropped set when it differs from the one last logged.
func (c *Collector) logDrops(dropped map[string]int, kept int) {
	names := slices.Sorted(maps.Keys(dropped))
	key := strings.Join(names, ",")
	c.mu.Lock()
	changed := key != c.dropKey
	c.dropKey = key
	c.mu.Unlock()
	if !changed {
		return
	}
	if len(names) == 0 {
		c.log.Info("max-series: every family is served again", "max_series", c.opts.MaxSeries)
		return
	}
	n := 0
	for _, k := range names {
		n += dropped[k]
	}
	attrs := []any{"max_series", c.opts.MaxSeries, "series_kept", kept, "series_dropped", n, "families", names}
	if kept > c.opts.MaxSeries {
		attrs = append(attrs, "note", "still over the cap: only broker, up and self families are left")
	}
	c.log.Warn("max-series: the snapshot has more series than allowed; dropping whole families, lowest priority first", attrs...)
}

// sink receives one family's series: as const metrics on a channel (ch),
// as lines of the text format (text), or, with neither, only counted. It
// counts what it serves (n): a series whose label values a registry would
// refuse (not UTF-8) is left out, and counted in errs instead.
type sink struct {
	ch       chan<- prometheus.Metric
	desc     *prometheus.Desc
	typ      prometheus.ValueType
	form     *textForm
	text     *textFamily
	n        int
	errs     int
	firstErr string
	// targeted series get target as their first label value.
	targeted bool
	target   string
}

// add sends one series: its value and label values in the family's order.
func (s *sink) add(v float64, lvs ...string) {
	if s.ch != nil {
		s.send(v, lvs)
		return
	}
	err := cardinalityError(s.form.nlabels, lvs, s.target, s.targeted)
	switch {
	case err != nil:
	case s.text != nil:
		err = s.text.add(s.form, v, lvs, s.target, s.targeted)
	default: // counting only
		err = utf8Error(lvs, s.target, s.targeted)
	}
	if err != nil {
		s.fail(err)
		return
	}
	s.n++
}

// send builds a const metric on a copy of lvs, so the caller's variadic
// slice stays on its stack for the other sinks.
func (s *sink) send(v float64, lvs []string) {
	all := make([]string, 0, len(lvs)+1)
	if s.targeted {
		all = append(all, s.target)
	}
	m, err := prometheus.NewConstMetric(s.desc, s.typ, v, append(all, lvs...)...)
	if err != nil {
		s.fail(err)
		return
	}
	s.n++
	s.ch <- m
}

func (s *sink) fail(err error) {
	if s.errs == 0 {
		s.firstErr = err.Error()
	}
	s.errs++
}
