package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/app"
	"github.com/rocketmq-exporter/rocketmq_exporter/audit"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/brokeradmin"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/realbroker"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/workload"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// The real-broker ends of issue #10 items 1 and 4 (leak/edges_test.go has
// the simulator versions): filters never turn live subjects into leaks,
// and leaks outlive the exporter through the Prometheus history.

// edgeLeakFamilies are the per-broker leak families compared between
// exporters.
var edgeLeakFamilies = []string{"rocketmq_broker_orphaned_consumer_offsets", "rocketmq_broker_leftover_topics",
	"rocketmq_broker_leaked_stat_items"}

// edgeNaming lists the strings of ss that contain any of names.
func edgeNaming(names []string, ss ...string) []string {
	var out []string
	for _, s := range ss {
		for _, n := range names {
			if strings.Contains(s, n) {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// edgeLeakLines flattens what a leak report says: items, orphans and
// leftover topics, one line each, sorted.
func edgeLeakLines(items []snapshot.LeakedItem, orphans []snapshot.OrphanedOffset, leftovers []string) []string {
	var out []string
	for _, it := range items {
		out = append(out, fmt.Sprintf("item %s %s (%s %s)", it.Stats, it.Key, it.Kind, it.Subject))
	}
	for _, o := range orphans {
		out = append(out, fmt.Sprintf("orphan %s@%s missing %s", o.Topic, o.Group, o.Missing))
	}
	for _, l := range leftovers {
		out = append(out, "leftover "+l)
	}
	sort.Strings(out)
	return out
}

// edgeSnapshotLines is edgeLeakLines of the exporter's report for c's broker.
func edgeSnapshotLines(t *testing.T, a *app.App, c *realbroker.Cluster) []string {
	t.Helper()
	b := brokerOf(a.Poller.Snapshot(), c)
	if b == nil || b.Leaks == nil {
		t.Fatalf("no leak report for broker %s", c.BrokerAddr)
	}
	return edgeLeakLines(b.Leaks.Items, b.Leaks.OrphanedOffsets, b.Leaks.LeftoverTopics)
}

// edgeSeries maps every series of the leak families of a scrape, by family
// and labels, to its value.
func edgeSeries(t *testing.T, a *app.App) map[string]float64 {
	t.Helper()
	m, _, err := Scrape(a.Handler)
	if err != nil {
		t.Fatal(err)
	}
	if m["rocketmq_broker_orphaned_consumer_offsets"] == nil {
		t.Fatal("rocketmq_broker_orphaned_consumer_offsets not served: the leak report is not live")
	}
	out := map[string]float64{}
	for _, f := range edgeLeakFamilies {
		for _, s := range m[f].GetMetric() { // stats with no item have no series
			var ls []string
			for _, l := range s.Label {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(ls)
			out[f+"{"+strings.Join(ls, ",")+"}"] = s.GetGauge().GetValue() + s.GetUntyped().GetValue()
		}
	}
	return out
}

// edgeAudit runs a fresh audit with the settings mod makes and returns every broker's
// leak lines, the text it prints and its exit code.
func edgeAudit(t *testing.T, ctx context.Context, mod func(*app.Settings), ns string) (lines []string, text string, code int) {
	t.Helper()
	a, _ := newApp(t, mod, ns)
	reports, code := audit.Run(ctx, a.Core, a.Poller.Snapshot())
	var buf bytes.Buffer
	if err := audit.Write(&buf, reports, "text"); err != nil {
		t.Fatal(err)
	}
	for _, r := range reports {
		lines = append(lines, edgeLeakLines(r.LeakedStatItems, r.OrphanedOffsets, r.LeftoverTopics)...)
	}
	sort.Strings(lines)
	return lines, buf.String(), code
}

// edgeConcurrently runs fs at once and returns the first error.
func edgeConcurrently(fs ...func() error) error {
	errs := make([]error, len(fs))
	var wg sync.WaitGroup
	for i, f := range fs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = f() }()
	}
	wg.Wait()
	return firstErr(errs...)
}

// edgeUntil calls f every 500 ms until it returns nil or d passes, and
// fails the test with f's last error.
func edgeUntil(t *testing.T, ctx context.Context, d time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// edgeDepth is how many messages the broker ever put into topic.
func edgeDepth(ctx context.Context, adm *brokeradmin.Client, broker, topic string) (int64, error) {
	ts, err := adm.TopicStats(ctx, broker, topic)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, q := range ts.Queues {
		n += q.MaxOffset
	}
	return n, nil
}

// edgeOffsets lists the broker's committed offsets as topic@group.
func edgeOffsets(ctx context.Context, adm *brokeradmin.Client, broker string) ([]string, error) {
	offs, err := adm.AllConsumerOffsets(ctx, broker)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range offs.Entries {
		out = append(out, e.Topic+"@"+e.Group)
	}
	return out, nil
}

// TestFiltersNeverMakeLeaksOnARealBroker: on the package's broker, topics
// and groups outside --topic.include/--group.exclude, with offsets,
// traffic and a DLQ, live beside some inside the filters. A filtered
// exporter, an unfiltered one beside it and audits with either settings
// report the same leaks, none of which names them, and audit prints no
// command naming them.
func TestFiltersNeverMakeLeaksOnARealBroker(t *testing.T) {
	needBroker(t)
	ctx := ctxT(t, 4*time.Minute)
	c, ns := cluster, cluster.NamesrvAddr
	adm := newAdmin(t)
	tIn, tOut := unique("edge-in-t"), unique("edge-out-t")
	// gIn: inside on an inside topic; gMix: inside on an outside topic;
	// gOut: outside on an inside topic; gBad: outside, fails every message
	// of the outside topic into its DLQ.
	gIn, gMix, gOut, gBad := unique("GID_edge-in"), unique("GID_edge-mix"), unique("GID_edge-out"), unique("GID_edge-bad")
	outside := []string{tOut, gOut, gBad}
	filters := func(s *app.Settings) {
		s.TopicInclude = regexp.QuoteMeta(tIn)
		s.GroupExclude = regexp.QuoteMeta(gOut) + "|" + regexp.QuoteMeta(gBad)
		s.LeakProbes = 2000 // every key in one cycle, so both exporters ask the same
	}
	plain := func(s *app.Settings) { s.LeakProbes = 2000 }

	for _, tp := range []string{tIn, tOut} {
		if err := adm.CreateTopic(ctx, c.BrokerAddr, admin.TopicConfig{TopicName: tp, ReadQueueNums: 2}); err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range []string{gIn, gMix, gOut, gBad} {
		if err := adm.CreateSubscriptionGroup(ctx, c.BrokerAddr, brokeradmin.NewGroupConfig(g)); err != nil {
			t.Fatal(err)
		}
	}
	edgeUntil(t, ctx, 30*time.Second, "routes at the namesrv", func() error {
		for _, tp := range []string{tIn, tOut} {
			if _, err := adm.TopicRoute(ctx, ns, tp); err != nil {
				return err
			}
		}
		return nil
	})
	const n = 6
	if err := edgeConcurrently(
		func() error { return workload.Produce(ctx, ns, tIn, n) },
		func() error { return workload.Produce(ctx, ns, tOut, n) },
	); err != nil {
		t.Fatal(err)
	}
	fc, err := workload.NewFailingConsumer(ns, gBad, tOut)
	if err != nil {
		t.Fatal(err)
	}
	if err := edgeConcurrently(
		func() error { return workload.ConsumeAll(ctx, ns, gIn, tIn, n) },
		func() error { return workload.ConsumeAll(ctx, ns, gMix, tOut, n) },
		func() error { return workload.ConsumeAll(ctx, ns, gOut, tIn, n) },
	); err != nil {
		fc.Close()
		t.Fatal(err)
	}
	dlq := snapshot.DLQPrefix + gBad
	edgeUntil(t, ctx, 60*time.Second, "messages in "+dlq, func() error {
		d, err := edgeDepth(ctx, adm, c.BrokerAddr, dlq)
		if err == nil && d < n {
			err = fmt.Errorf("%d of %d", d, n)
		}
		return err
	})
	fc.Close()

	// The broker is the judge of the set-up: the outside pairs have
	// offsets, and it holds their stat items, which an exporter that took
	// them for deleted would call leaked.
	edgeUntil(t, ctx, 30*time.Second, "committed offsets of every pair", func() error {
		offs, err := edgeOffsets(ctx, adm, c.BrokerAddr)
		if err != nil {
			return err
		}
		for _, want := range []string{tIn + "@" + gIn, tOut + "@" + gMix, tIn + "@" + gOut, tOut + "@" + gBad} {
			if !slices.Contains(offs, want) {
				return fmt.Errorf("no offset %s", want)
			}
		}
		return nil
	})
	for _, k := range []string{tOut + "@" + gMix, tIn + "@" + gOut} {
		if _, err := adm.ViewBrokerStatsData(ctx, c.BrokerAddr, "GROUP_GET_NUMS", k); err != nil {
			t.Fatalf("the broker holds no GROUP_GET_NUMS %s: %v", k, err)
		}
	}

	filtered, _ := newApp(t, filters, ns)
	unfiltered, _ := newApp(t, plain, ns)
	for i := 0; i < 3; i++ {
		filtered.Cycle(ctx)
		unfiltered.Cycle(ctx)
	}
	m, _, err := Scrape(filtered.Handler)
	if err != nil {
		t.Fatal(err)
	}
	// The filters took effect: the test is about subjects not exported.
	for _, s := range []struct {
		family, label, name string
		served              bool
	}{{"rocketmq_topic_info", "topic", tIn, true}, {"rocketmq_topic_info", "topic", tOut, false},
		{"rocketmq_consumer_group_info", "group", gMix, true}, {"rocketmq_consumer_group_info", "group", gOut, false},
		{"rocketmq_consumer_group_info", "group", gBad, false}} {
		if got := len(m.Series(s.family, map[string]string{s.label: s.name})) == 1; got != s.served {
			t.Errorf("filtered exporter: %s{%s=%q} served %v, want %v", s.family, s.label, s.name, got, s.served)
		}
	}

	fLines, uLines := edgeSnapshotLines(t, filtered, c), edgeSnapshotLines(t, unfiltered, c)
	for _, l := range edgeNaming(outside, fLines...) {
		t.Errorf("filtered exporter reports a live subject outside its filters: %s", l)
	}
	for _, l := range edgeNaming(append(outside, tIn, gIn, gMix), uLines...) {
		t.Errorf("unfiltered exporter reports a live subject: %s", l)
	}
	if !slices.Equal(fLines, uLines) {
		t.Errorf("leak reports differ on one broker:\n  filtered   %v\n  unfiltered %v", fLines, uLines)
	}
	fSeries, uSeries := edgeSeries(t, filtered), edgeSeries(t, unfiltered)
	for k, v := range fSeries {
		if v != uSeries[k] {
			t.Errorf("%s: filtered exporter %v, unfiltered %v", k, v, uSeries[k])
		}
	}
	for k, v := range uSeries {
		if _, ok := fSeries[k]; !ok {
			t.Errorf("%s: unfiltered exporter %v, filtered exporter serves no such series", k, v)
		}
	}

	fAudit, fText, fCode := edgeAudit(t, ctx, filters, ns)
	uAudit, _, uCode := edgeAudit(t, ctx, plain, ns)
	for _, l := range edgeNaming(outside, strings.Split(fText, "\n")...) {
		t.Errorf("filtered audit prints a line naming a live subject: %s", l)
	}
	if !slices.Equal(fAudit, uAudit) || fCode != uCode {
		t.Errorf("audits differ:\n  filtered   (exit %d) %v\n  unfiltered (exit %d) %v", fCode, fAudit, uCode, uAudit)
	}
	t.Logf("filtered and unfiltered: %d leak lines (others' leftovers on the shared broker), audit exit %d; none names %v", len(uLines), uCode, outside)
}

// edgeSwitch is an HTTP handler whose target can be replaced: the address
// Prometheus scrapes outlives the exporter behind it, as a restarted
// exporter keeps its port.
type edgeSwitch struct{ h atomic.Pointer[http.Handler] }

func (s *edgeSwitch) set(h http.Handler) { s.h.Store(&h) }

func (s *edgeSwitch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := s.h.Load()
	if h == nil {
		http.Error(w, "no exporter yet", http.StatusServiceUnavailable)
		return
	}
	(*h).ServeHTTP(w, r)
}

// edgeItems lists an exporter's leaked items for c's broker as "STATS key".
func edgeItems(a *app.App, c *realbroker.Cluster) (items []string, backlog int) {
	b := brokerOf(a.Poller.Snapshot(), c)
	if b == nil || b.Leaks == nil {
		return nil, -1
	}
	for _, it := range b.Leaks.Items {
		items = append(items, it.Stats+" "+it.Key)
	}
	sort.Strings(items)
	return items, b.Leaks.Backlog
}

// edgeAuditItems lists an audit's leaked items as "STATS key".
func edgeAuditItems(reports []audit.Report) []string {
	var out []string
	for _, r := range reports {
		for _, it := range r.LeakedStatItems {
			out = append(out, it.Stats+" "+it.Key)
		}
	}
	sort.Strings(out)
	return out
}

// edgeDeleteLikeMQAdmin deletes topic (broker and namesrv) and group with
// its offsets, %RETRY% and %DLQ% topics, as mqadmin deleteTopic and
// deleteSubGroup -r do.
func edgeDeleteLikeMQAdmin(t *testing.T, ctx context.Context, adm *brokeradmin.Client, c *realbroker.Cluster, topic, group string) {
	t.Helper()
	if err := adm.DeleteSubscriptionGroup(ctx, c.BrokerAddr, group, true); err != nil {
		t.Fatal(err)
	}
	for _, tp := range []string{topic, snapshot.RetryPrefix + group, snapshot.DLQPrefix + group} {
		if err := adm.DeleteTopicInBroker(ctx, c.BrokerAddr, tp); err != nil {
			t.Fatalf("delete %s in broker: %v", tp, err)
		}
		if err := adm.DeleteTopicInNamesrv(ctx, c.NamesrvAddr, tp, ""); err != nil {
			t.Fatalf("delete %s in namesrv: %v", tp, err)
		}
	}
}

// edgeBrokerForgot checks that nothing on the broker names topic or group:
// no topic config, subscription group or committed offset.
func edgeBrokerForgot(ctx context.Context, adm *brokeradmin.Client, c *realbroker.Cluster, topic, group string) error {
	names := []string{topic, group}
	tc, err := adm.AllTopicConfig(ctx, c.BrokerAddr)
	if err != nil {
		return err
	}
	var left []string
	for tp := range tc.TopicConfigTable {
		left = append(left, edgeNaming(names, "topic "+tp)...)
	}
	sg, err := adm.AllSubscriptionGroups(ctx, c.BrokerAddr)
	if err != nil {
		return err
	}
	for g := range sg.SubscriptionGroupTable {
		left = append(left, edgeNaming(names, "group "+g)...)
	}
	offs, err := edgeOffsets(ctx, adm, c.BrokerAddr)
	if err != nil {
		return err
	}
	left = append(left, edgeNaming(names, offs...)...)
	if len(left) > 0 {
		return fmt.Errorf("the broker still names them: %v", left)
	}
	return nil
}

// TestLeaksOutliveTheExporterOnARealBroker: a 4.9.7 broker (default
// config: deletions leave stat items until it restarts), an exporter
// scraped by a real Prometheus and reading its history. A topic with
// traffic and its group are deleted the way mqadmin does, so nothing on
// the broker names them; the running exporter reports the leaked items.
// After it stops, a new exporter and a fresh audit, both reading the same
// Prometheus, report the same items, and the broker answers for every one
// of them; a fresh audit without the history finds none (the defect).
func TestLeaksOutliveTheExporterOnARealBroker(t *testing.T) {
	needBroker(t)
	bin := needPrometheus(t)
	if cluster.External {
		t.Skip("starts a 4.9.7 broker of its own; ROCKETMQ_NAMESRV_ADDR names an external cluster")
	}
	ctx := ctxT(t, 5*time.Minute)
	c, err := realbroker.Start(ctx, realbroker.Options{Version: "4.9.7", ClusterName: "EdgeCluster", BrokerName: "broker-edge"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	began := time.Now()
	adm := newAdmin(t)
	topic, group := unique("edge-hist-t"), unique("GID_edge-hist")
	if err := adm.CreateTopic(ctx, c.BrokerAddr, admin.TopicConfig{TopicName: topic, ReadQueueNums: 2}); err != nil {
		t.Fatal(err)
	}
	if err := adm.CreateSubscriptionGroup(ctx, c.BrokerAddr, brokeradmin.NewGroupConfig(group)); err != nil {
		t.Fatal(err)
	}
	edgeUntil(t, ctx, 30*time.Second, "route at the namesrv", func() error { _, err := adm.TopicRoute(ctx, c.NamesrvAddr, topic); return err })
	if err := workload.Produce(ctx, c.NamesrvAddr, topic, 6); err != nil {
		t.Fatal(err)
	}
	if err := workload.ConsumeAll(ctx, c.NamesrvAddr, group, topic, 6); err != nil {
		t.Fatal(err)
	}

	// Prometheus needs the exporter's address and the exporter Prometheus'
	// URL: the address comes first, the exporter behind it later.
	sw := &edgeSwitch{}
	srv := httptest.NewServer(sw)
	t.Cleanup(srv.Close)
	p, err := StartPrometheus(ctx, bin, PrometheusConfig{Job: "rocketmq", Targets: []string{strings.TrimPrefix(srv.URL, "http://")}, Interval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("prometheus log:\n%s", tailText(p.Log(), 30))
		}
		p.Stop()
	})
	history := func(s *app.Settings) { s.HistoryURL, s.HistoryWindow = p.URL, time.Hour }

	first, _ := newApp(t, history, c.NamesrvAddr)
	sw.set(first.Handler)
	runCtx, stopFirst := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { first.Poller.Run(runCtx); close(done) }()
	t.Cleanup(func() { stopFirst(); <-done })
	for _, expr := range []string{fmt.Sprintf(`rocketmq_topic_info{topic=%q}`, topic), fmt.Sprintf(`rocketmq_consumer_group_info{group=%q}`, group),
		fmt.Sprintf(`rocketmq_consumer_group_lag_messages{topic=%q, group=%q}`, topic, group)} {
		edgeUntil(t, ctx, 60*time.Second, "Prometheus has the exporter's series", func() error { return nonEmpty(ctx, p, expr) })
	}

	edgeDeleteLikeMQAdmin(t, ctx, adm, c, topic, group)
	edgeUntil(t, ctx, 30*time.Second, "the broker forgets the deleted subjects", func() error {
		return edgeBrokerForgot(ctx, adm, c, topic, group)
	})
	var before []string
	edgeUntil(t, ctx, 30*time.Second, "the running exporter reports the leak", func() error {
		items, backlog := edgeItems(first, c)
		if backlog != 0 || !slices.Contains(items, "TOPIC_PUT_NUMS "+topic) || !slices.Contains(items, "GROUP_GET_NUMS "+topic+"@"+group) {
			return fmt.Errorf("items %v, backlog %d", items, backlog)
		}
		before = items
		return nil
	})
	stopFirst()
	<-done

	// The broker is the judge: it answers for every reported key.
	for _, it := range before {
		stats, key, _ := strings.Cut(it, " ")
		if _, err := adm.ViewBrokerStatsData(ctx, c.BrokerAddr, stats, key); err != nil {
			t.Errorf("reported leaked %s %s, the broker says: %v", stats, key, err)
		}
	}

	second, _ := newApp(t, history, c.NamesrvAddr)
	sw.set(second.Handler)
	var after []string
	deadline := time.Now().Add(30 * time.Second)
	for !slices.Equal(after, before) && time.Now().Before(deadline) {
		second.Cycle(ctx) // the recall runs in the background: a cycle or two
		after, _ = edgeItems(second, c)
	}
	if !slices.Equal(after, before) {
		t.Errorf("restarted exporter reports %v, the one that saw the deletion %v", after, before)
	}
	m, _, err := Scrape(second.Handler)
	if err != nil {
		t.Fatal(err)
	}
	var served float64
	for _, s := range m.Series("rocketmq_broker_leaked_stat_items", map[string]string{"broker": c.BrokerName}) {
		served += s.GetGauge().GetValue()
	}
	if int(served) != len(before) {
		t.Errorf("restarted exporter serves %v leaked items, want %d", served, len(before))
	}

	withHistory, _ := newApp(t, history, c.NamesrvAddr)
	reports, code := audit.Run(ctx, withHistory.Core, nil)
	if got := edgeAuditItems(reports); !slices.Equal(got, before) || code != audit.Leftovers {
		t.Errorf("fresh audit with the history reports %v (exit %d), the exporter before the restart %v", got, code, before)
	}
	blind, _ := newApp(t, nil, c.NamesrvAddr)
	reports, code = audit.Run(ctx, blind.Core, nil)
	if got := edgeAuditItems(reports); len(got) != 0 {
		t.Errorf("fresh audit without the history reports %v (exit %d): something on the broker still names the deleted subjects, the test proves nothing", got, code)
	}
	t.Logf("%d leaked items recalled through Prometheus (%s of the test's own time): %v", len(before), time.Since(began).Round(time.Second), before)
}
