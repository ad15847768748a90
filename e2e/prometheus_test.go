package e2e

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/app"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/brokeradmin"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/realbroker"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/testtool"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/workload"
	"github.com/rocketmq-exporter/rocketmq_exporter/mixin"
)

// The window Grafana would use for $__rate_interval with a 1 s scrape.
const rateInterval = "30s"

// What Grafana would fill in for $__rate_interval and $__range.
var intervals = mixin.Intervals{Rate: rateInterval, Range: "10m"}

func needPrometheus(t *testing.T) string {
	t.Helper()
	bin, err := PrometheusBinary()
	if err != nil {
		testtool.Missing(t, "prometheus not installed (Debian: apt-get install prometheus; or set PROMETHEUS_BIN)")
	}
	return bin
}

// underPrometheus serves a on a loopback port, runs its poller, and starts a
// Prometheus that scrapes it every second as job "rocketmq" and evaluates
// rules. Everything stops when the test ends.
func underPrometheus(t *testing.T, ctx context.Context, bin string, a *app.App, rules []byte) (p *Prometheus, target string) {
	t.Helper()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { a.Poller.Run(runCtx); close(done) }()
	t.Cleanup(func() { stop(); <-done })
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(srv.Close)
	target = strings.TrimPrefix(srv.URL, "http://")
	p, err := StartPrometheus(ctx, bin, PrometheusConfig{Job: "rocketmq", Targets: []string{target}, Interval: time.Second, Rules: rules})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("prometheus log:\n%s", tailText(p.Log(), 30))
		}
		p.Stop()
	})
	return p, target
}

// eventually calls f every second until it returns nil, and returns its
// last error at the deadline.
func eventually(ctx context.Context, d time.Duration, f func() error) error {
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		time.Sleep(time.Second)
	}
}

func nonEmpty(ctx context.Context, p *Prometheus, expr string) error {
	s, err := p.Query(ctx, expr)
	if err != nil {
		return err
	}
	if len(s) == 0 {
		return fmt.Errorf("no data: %s", expr)
	}
	return nil
}

// rulesHealthy waits until Prometheus evaluated every loaded rule without
// error, and checks that the rule file has want rules.
func rulesHealthy(t *testing.T, ctx context.Context, p *Prometheus, want int) {
	t.Helper()
	err := eventually(ctx, time.Minute, func() error {
		rules, err := p.Rules(ctx)
		if err != nil {
			return err
		}
		if len(rules) != want {
			return fmt.Errorf("%d rules loaded, want %d", len(rules), want)
		}
		for _, r := range rules {
			if r.Health != "ok" {
				return fmt.Errorf("rule %s/%s: health %q %s", r.Group, r.Name, r.Health, r.LastError)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func countRules(t *testing.T, b []byte) int {
	n := strings.Count(string(b), "\n  - alert: ") + strings.Count(string(b), "\n  - record: ")
	if n == 0 {
		t.Fatal("no rules in the rule file")
	}
	return n
}

// The job name the dashboards test scrapes under: not "rocketmq", the one
// the shipped alerts select, so that only the dashboards' job variable
// can find it.
const dashJob = "any-job-name"

// dashScene is what the dashboards test runs against: on the package
// cluster, traffic on topic into group, whose consumer fails every message
// into its dead-letter topic; extra, a master and slave of a version that
// leaks (4.9.7 unless the package runs 4.x), where a topic with traffic
// was deleted; the exporter main watching both (running info on, for the
// Java dashboard's client panels) and capped, a second one on the package
// cluster with a --collect.max-series it cannot meet.
type dashScene struct {
	topic, group string
	extra        *realbroker.Cluster
	main, capped string // their scrape targets
	p            *Prometheus
}

// dashConditions are what the scenario must show in Prometheus before
// the dashboards are read: each feeds the panels named.
func (s *dashScene) conditions() map[string]string {
	extra := fmt.Sprintf(`cluster=%q, broker=%q`, s.extra.ClusterName, s.extra.BrokerName)
	return map[string]string{
		"traffic (every rate panel)": fmt.Sprintf(`rate(rocketmq_topic_messages_put_total{topic=%q}[%s]) > 0`, s.topic, rateInterval),
		"consumption (consume rates, lag)": fmt.Sprintf(`rate(rocketmq_consumer_group_consumed_messages_total{group=%q, topic=%q}[%s]) > 0`,
			s.group, s.topic, rateInterval),
		"dead letters (Dead-letter messages)":        fmt.Sprintf(`rocketmq_consumer_group_dlq_messages{group=%q} > 0`, s.group),
		"messages sent back (Messages sent back)":    fmt.Sprintf(`rocketmq_consumer_group_send_back_messages{group=%q, topic=%q} > 0`, s.group, s.topic),
		"a replica (Slave replication lag)":          fmt.Sprintf(`rocketmq_broker_replication_lag_bytes{%s, broker_id="1"}`, extra),
		"leaked stat items (Leaked stat items)":      fmt.Sprintf(`rocketmq_broker_leaked_stat_items{%s} > 0`, extra),
		"leak probes every cycle (Leak probes)":      fmt.Sprintf(`rocketmq_broker_leak_probed_keys{%s} > 0`, extra),
		"dropped series (Series dropped)":            fmt.Sprintf(`rocketmq_exporter_series_dropped{instance=%q} > 0`, s.capped),
		"running info (the Java dashboard's client)": `rocketmq_client_consume_rt`,
	}
}

// TestDashboardsInPrometheus runs real brokers with traffic, dead letters,
// a replica, a leaking deletion and a series cap, under a real Prometheus
// that scrapes the exporters under a job not named rocketmq and loads the
// shipped alert rules. Every rule must evaluate, and every query of every
// shipped dashboard (variables, panels, annotations) must return data
// through Prometheus' HTTP API, with the variables filled from their own
// label_values() queries as Grafana would. The dashboards have no
// fallbacks (mixin's TestNoFallbacks), so an empty panel fails here. The
// queries of the Java exporter's dashboard (Grafana 10477) must return
// data too.
func TestDashboardsInPrometheus(t *testing.T) {
	needBroker(t)
	bin := needPrometheus(t)
	if cluster.External {
		t.Skip("starts a master and slave of its own; ROCKETMQ_NAMESRV_ADDR names an external cluster")
	}
	ctx := ctxT(t, 12*time.Minute)
	s := startDashScene(t, ctx, bin)
	for what, expr := range s.conditions() {
		if err := eventually(ctx, 4*time.Minute, func() error { return nonEmpty(ctx, s.p, expr) }); err != nil {
			t.Fatalf("%s not seen through Prometheus: %v", what, err)
		}
	}
	rules, _ := os.ReadFile(filepath.Join("..", mixin.AlertsFile))
	rulesHealthy(t, ctx, s.p, countRules(t, rules))

	onPackage := map[string]string{"job": dashJob, "instance": s.main, "cluster": cluster.ClusterName,
		"broker": cluster.BrokerName, "topic": s.topic, "group": s.group}
	choices := map[string]map[string]string{
		"rocketmq-topics.json":          onPackage,
		"rocketmq-consumer-groups.json": onPackage,
		"rocketmq-overview.json":        {"job": dashJob, "instance": s.main, "cluster": mixin.All, "broker": mixin.All},
		"rocketmq-exporter.json":        {"job": dashJob, "instance": mixin.All, "cluster": s.extra.ClusterName, "broker": s.extra.BrokerName},
	}
	paths, _ := filepath.Glob(filepath.Join("..", "dashboards", "*.json"))
	if len(paths) != len(choices) {
		t.Fatalf("dashboards %v: choose their variables in this test", paths)
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) { dashboardReturnsData(t, ctx, s.p, path, choices[filepath.Base(path)]) })
	}
	t.Run("grafana-10477", func(t *testing.T) { javaDashboardReturnsData(t, ctx, s.p) })
}

// startDashScene sets up the scene of TestDashboardsInPrometheus; the
// extra cluster starts while the traffic runs.
func startDashScene(t *testing.T, ctx context.Context, bin string) *dashScene {
	t.Helper()
	version := "4.9.7"
	if strings.HasPrefix(cluster.Version, "4.") {
		version = cluster.Version
	}
	type started struct {
		c   *realbroker.Cluster
		err error
	}
	extraCh := make(chan started, 1)
	go func() {
		c, err := realbroker.Start(ctx, realbroker.Options{Version: version, ClusterName: "DashCluster", BrokerName: "broker-dash", Slave: true})
		extraCh <- started{c, err}
	}()
	s := &dashScene{}
	s.topic, s.group = dashTraffic(t, ctx)
	st := <-extraCh
	if st.err != nil {
		t.Fatal(st.err)
	}
	s.extra = st.c
	t.Cleanup(s.extra.Stop)
	if err := s.extra.WaitSynced(ctx); err != nil {
		t.Fatal(err)
	}

	a, _ := newApp(t, func(st *app.Settings) {
		st.RunningInfo = true
		st.Compat = true             // for Grafana 10477; our dashboards need only the defaults
		st.LeakReprobe = st.Interval // held keys asked every cycle: the probes panel always has a line
	}, cluster.NamesrvAddr, s.extra.NamesrvAddr)
	trafficThenDelete(t, ctx, s.extra, a)
	capped, _ := newApp(t, func(st *app.Settings) { st.MaxSeries = 100 }, cluster.NamesrvAddr)
	s.main, s.capped = serveApp(t, ctx, a), serveApp(t, ctx, capped)
	rules, err := os.ReadFile(filepath.Join("..", mixin.AlertsFile))
	if err != nil {
		t.Fatal(err)
	}
	s.p = startPrometheusT(t, ctx, bin, PrometheusConfig{Job: dashJob, Targets: []string{s.main, s.capped}, Rules: rules})
	return s
}

// dashTraffic creates a topic and a group on the package cluster, sends to
// the topic until the test ends, and consumes it in the group with a
// consumer that fails every message: it consumes (offsets, rates, lag),
// sends each message back, and the broker moves it to %DLQ%<group>.
func dashTraffic(t *testing.T, ctx context.Context) (topic, group string) {
	t.Helper()
	ns := cluster.NamesrvAddr
	topic, group = unique("dash-t"), unique("GID_dash")
	adm := newAdmin(t)
	if err := adm.CreateTopic(ctx, cluster.BrokerAddr, admin.TopicConfig{TopicName: topic, ReadQueueNums: 2, WriteQueueNums: 2}); err != nil {
		t.Fatal(err)
	}
	if err := adm.CreateSubscriptionGroup(ctx, cluster.BrokerAddr, brokeradmin.NewGroupConfig(group)); err != nil {
		t.Fatal(err)
	}
	if err := adm.WaitRoute(ctx, cluster.NamesrvAddr, topic); err != nil {
		t.Fatal(err)
	}
	prod, err := workload.NewProducer(ns, "PID_"+topic)
	if err != nil {
		t.Fatal(err)
	}
	cons, err := workload.NewFailingConsumer(ns, group, topic)
	if err != nil {
		prod.Close()
		t.Fatal(err)
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
			prod.Send(ctx, topic, 5, []byte("dashboard traffic"))
		}
	}()
	t.Cleanup(func() {
		close(stop)
		<-done
		cons.Close()
		prod.Close()
	})
	return topic, group
}

// serveApp runs a's poller and serves its handler on a loopback port until
// the test ends, and returns the host:port.
func serveApp(t *testing.T, ctx context.Context, a *app.App) string {
	t.Helper()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { a.Poller.Run(runCtx); close(done) }()
	t.Cleanup(func() { stop(); <-done })
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// startPrometheusT starts a Prometheus stopped when the test ends, whose
// log is printed if the test failed.
func startPrometheusT(t *testing.T, ctx context.Context, bin string, cfg PrometheusConfig) *Prometheus {
	t.Helper()
	p, err := StartPrometheus(ctx, bin, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("prometheus log:\n%s", tailText(p.Log(), 30))
		}
		p.Stop()
	})
	return p
}

// dashboardReturnsData fills the dashboard's variables as Grafana would
// (each from its label_values() query, which must list the value chosen;
// mixin.All for All; a custom variable keeps its default) and checks that
// every panel query and annotation returns data.
func dashboardReturnsData(t *testing.T, ctx context.Context, p *Prometheus, path string, choose map[string]string) {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := mixin.ParseDashboard(raw)
	if err != nil {
		t.Fatal(err)
	}
	queries := map[string]string{}
	for _, panel := range d.AllPanels() {
		for _, tg := range panel.Targets {
			queries[fmt.Sprintf("panel %q %s", panel.Title, tg.RefID)] = tg.Expr
		}
	}
	for _, a := range d.Annotations.List {
		queries[fmt.Sprintf("annotation %q", a.Name)] = a.Expr
	}
	var failures []string
	err = eventually(ctx, 2*time.Minute, func() error {
		vals, err := fillVariables(ctx, p, d, choose)
		if err != nil {
			return err
		}
		failures = failures[:0]
		for where, expr := range queries {
			expr = mixin.Expand(expr, vals, intervals)
			switch samples, err := p.Query(ctx, expr); {
			case err != nil:
				failures = append(failures, fmt.Sprintf("%s: %v: %s", where, err, expr))
			case len(samples) == 0:
				failures = append(failures, fmt.Sprintf("%s: no data: %s", where, expr))
			}
		}
		if len(failures) > 0 {
			return fmt.Errorf("%d of %d queries without data", len(failures), len(queries))
		}
		return nil
	})
	if err != nil {
		sort.Strings(failures)
		t.Fatalf("%s (%s): %v\n  %s", filepath.Base(path), d.Title, err, strings.Join(failures, "\n  "))
	}
	t.Logf("%s: %d panel and annotation queries return data", filepath.Base(path), len(queries))
}

func fillVariables(ctx context.Context, p *Prometheus, d *mixin.Dashboard, choose map[string]string) (map[string]string, error) {
	vals := map[string]string{}
	for _, v := range d.Templating.List {
		switch v.Type {
		case "datasource":
			continue
		case "custom":
			vals[v.Name] = v.CurrentValue()
			continue
		}
		expr, label, err := mixin.LabelValuesQuery(mixin.Expand(v.QueryString(), vals, intervals))
		if err != nil {
			return nil, err
		}
		samples, err := p.Query(ctx, expr)
		if err != nil {
			return nil, fmt.Errorf("variable %s: %s: %w", v.Name, expr, err)
		}
		var live []string
		for _, s := range samples {
			live = append(live, s.Metric[label])
		}
		want, ok := choose[v.Name]
		switch {
		case !ok:
			return nil, fmt.Errorf("variable %s: no value chosen for it in this test", v.Name)
		case want == mixin.All && len(live) == 0, want != mixin.All && !slices.Contains(live, want):
			return nil, fmt.Errorf("variable %s: %s lists %v, not %q", v.Name, expr, live, want)
		}
		vals[v.Name] = want
	}
	return vals, nil
}

// TestLeakedStatItemsAlert proves RocketMQBrokerLeakedStatItems end to end
// (broker, exporter, Prometheus rule evaluation): on a broker version that
// leaks stat items of deleted topics (4.9.7, autoDeleteUnusedStats off by
// default) it goes firing after a topic with traffic is deleted, and it
// stays inactive before; on the package's 5.x version a topic with traffic
// that is not deleted never makes it pending. Each case has a fresh broker,
// since other tests leave leftovers on the shared one. The rules are
// rendered with the alert's for shortened to 5s.
func TestLeakedStatItemsAlert(t *testing.T) {
	// Parallel: it starts its own processes and spends most of its time
	// waiting (broker starts, alert windows), which other tests can fill.
	t.Parallel()
	needBroker(t)
	bin := needPrometheus(t)
	if cluster.External {
		t.Skip("starts brokers of its own; ROCKETMQ_NAMESRV_ADDR names an external cluster")
	}
	rules, err := mixin.Alerts(`{ _config+:: { forOverrides+: { RocketMQBrokerLeakedStatItems: '5s' } } }`)
	if err != nil {
		t.Fatal(err)
	}
	leakVersion := "4.9.7"
	if strings.HasPrefix(cluster.Version, "4.") {
		leakVersion = cluster.Version
	} else {
		t.Run("clean/"+cluster.Version, func(t *testing.T) { leakAlertCase(t, bin, rules, cluster.Version, false) })
	}
	t.Run("leaks/"+leakVersion, func(t *testing.T) { leakAlertCase(t, bin, rules, leakVersion, true) })
}

const leakAlert = "RocketMQBrokerLeakedStatItems"

func leakAlertCase(t *testing.T, bin string, rules []byte, version string, deleteTopic bool) {
	ctx := ctxT(t, 6*time.Minute)
	c, err := realbroker.Start(ctx, realbroker.Options{Version: version, ClusterName: "AlertCluster", BrokerName: "broker-alert"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	adm := newAdmin(t)
	topic, group := unique("alert-t"), unique("GID_alert")
	if err := adm.CreateTopic(ctx, c.BrokerAddr, admin.TopicConfig{TopicName: topic, ReadQueueNums: 2, WriteQueueNums: 2}); err != nil {
		t.Fatal(err)
	}
	if err := adm.CreateSubscriptionGroup(ctx, c.BrokerAddr, brokeradmin.NewGroupConfig(group)); err != nil {
		t.Fatal(err)
	}
	if err := adm.WaitRoute(ctx, c.NamesrvAddr, topic); err != nil {
		t.Fatal(err)
	}
	const n = 20
	if err := workload.Produce(ctx, c.NamesrvAddr, topic, n); err != nil {
		t.Fatal(err)
	}
	if err := workload.ConsumeAll(ctx, c.NamesrvAddr, group, topic, n); err != nil {
		t.Fatal(err)
	}

	a, _ := newApp(t, nil, c.NamesrvAddr)
	p, _ := underPrometheus(t, ctx, bin, a, rules)
	sel := fmt.Sprintf(`cluster=%q, broker=%q`, c.ClusterName, c.BrokerName)
	for _, expr := range []string{
		fmt.Sprintf(`rocketmq_topic_messages_put_total{%s, topic=%q} == %d`, sel, topic, n),
		// The leak report of this broker is live (the prober ran).
		fmt.Sprintf(`rocketmq_broker_orphaned_consumer_offsets{%s}`, sel),
	} {
		if err := eventually(ctx, 2*time.Minute, func() error { return nonEmpty(ctx, p, expr) }); err != nil {
			t.Fatalf("the exporter's view of the traffic is not in Prometheus: %v", err)
		}
	}
	rulesHealthy(t, ctx, p, countRules(t, rules))

	// Clean: with the topic alive the alert is never even pending, over
	// many exporter cycles (2 s), evaluations (1 s) and its for (5 s).
	const watch = 20 * time.Second
	for end := time.Now().Add(watch); time.Now().Before(end); time.Sleep(500 * time.Millisecond) {
		if al := alertsOf(t, ctx, p, leakAlert, c); len(al) > 0 {
			t.Fatalf("%s is %s on %s with nothing deleted: %v (leaked items: %s)", leakAlert, al[0].State, version, al[0].Labels, leakDiagnostics(ctx, p, sel))
		}
	}
	t.Logf("%s inactive for %s on %s with topic %s alive and consumed", leakAlert, watch, version, topic)
	if !deleteTopic {
		return
	}

	if err := adm.DeleteTopicInBroker(ctx, c.BrokerAddr, topic); err != nil {
		t.Fatal(err)
	}
	if err := adm.DeleteTopicInNamesrv(ctx, c.NamesrvAddr, topic, ""); err != nil {
		t.Fatal(err)
	}
	deleted := time.Now()
	var firing *Alert
	err = eventually(ctx, 90*time.Second, func() error {
		for _, al := range alertsOf(t, ctx, p, leakAlert, c) {
			if al.State == "firing" {
				firing = &al
				return nil
			}
		}
		return fmt.Errorf("not firing")
	})
	if err != nil {
		t.Fatalf("%s did not go firing within 90s of deleting topic %s (with traffic) on %s: the exporter's leak detection (gc/) "+
			"did not report the stat items the broker keeps for it. Prometheus has: %s", leakAlert, topic, version, leakDiagnostics(ctx, p, sel))
	}
	t.Logf("%s firing %s after the deletion: value %s, %s", leakAlert, time.Since(deleted).Round(time.Second), firing.Value, firing.Annotations["description"])
	if firing.Labels["severity"] != "info" || firing.Labels["job"] != "rocketmq" {
		t.Errorf("labels %v", firing.Labels)
	}
	if want := fmt.Sprintf("Broker %s/%s still holds ", c.ClusterName, c.BrokerName); !strings.HasPrefix(firing.Annotations["description"], want) {
		t.Errorf("description %q, want it to start %q", firing.Annotations["description"], want)
	}
	if !strings.HasSuffix(firing.Annotations["runbook_url"], "/docs/runbooks.md#rocketmqbrokerleakedstatitems") {
		t.Errorf("runbook_url %q", firing.Annotations["runbook_url"])
	}
}

// leakDiagnostics prints the leak families Prometheus holds for a broker.
func leakDiagnostics(ctx context.Context, p *Prometheus, sel string) string {
	var parts []string
	for _, f := range []string{"rocketmq_broker_leaked_stat_items", "rocketmq_broker_leak_probed_keys", "rocketmq_exporter_tombstones",
		"rocketmq_broker_orphaned_consumer_offsets", "rocketmq_broker_cleanup_config_info"} {
		samples, err := p.Query(ctx, fmt.Sprintf("%s{%s}", f, sel))
		if err != nil {
			parts = append(parts, fmt.Sprintf("%s: %v", f, err))
			continue
		}
		var s []string
		for _, x := range samples {
			var ls []string
			for k, v := range x.Metric {
				if k != "__name__" && k != "job" && k != "instance" && k != "cluster" && k != "broker" {
					ls = append(ls, k+"="+v)
				}
			}
			sort.Strings(ls)
			s = append(s, fmt.Sprintf("{%s} %g", strings.Join(ls, ","), x.Value))
		}
		parts = append(parts, fmt.Sprintf("%s %v", f, s))
	}
	return strings.Join(parts, "; ")
}

// javaDashboardReturnsData runs every query of the Java exporter's
// dashboard (Grafana 10477, recorded in testdata) as Grafana sends it: its
// users keep their dashboard. Its client panels read the per-client running
// info families, which need --collect.client-running-info (off by default,
// a call per online consumer per cycle); the scene's main exporter has it on.
func javaDashboardReturnsData(t *testing.T, ctx context.Context, p *Prometheus) {
	raw, err := os.ReadFile(filepath.Join("testdata", "grafana-10477-queries.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	type query struct{ panel, expr string }
	var queries []query
	for _, line := range strings.Split(string(raw), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		panel, expr, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("testdata line without a tab: %q", line)
		}
		queries = append(queries, query{panel, expr})
	}
	if len(queries) != 52 {
		t.Fatalf("%d queries recorded, want the dashboard's 52", len(queries))
	}
	var failures []string
	err = eventually(ctx, 2*time.Minute, func() error {
		failures = failures[:0]
		for _, q := range queries {
			switch samples, err := p.Query(ctx, q.expr); {
			case err != nil:
				failures = append(failures, fmt.Sprintf("%q: %v: %s", q.panel, err, q.expr))
			case len(samples) == 0:
				failures = append(failures, fmt.Sprintf("%q: no data: %s", q.panel, q.expr))
			}
		}
		if len(failures) > 0 {
			return fmt.Errorf("%d of %d queries without data", len(failures), len(queries))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Grafana 10477: %v\n  %s", err, strings.Join(failures, "\n  "))
	}
	t.Logf("Grafana 10477: all %d queries return data", len(queries))
}
