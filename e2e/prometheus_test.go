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

// TestDashboardsInPrometheus runs the exporter against the real broker with
// traffic, under a real Prometheus that loads the shipped alert rules, and
// checks that every rule evaluates and that every query of every shipped
// dashboard returns data through Prometheus' HTTP API, with the variables
// filled from their own label_values() queries as Grafana would.
func TestDashboardsInPrometheus(t *testing.T) {
	needBroker(t)
	bin := needPrometheus(t)
	ctx := ctxT(t, 6*time.Minute)
	ns := cluster.NamesrvAddr
	topic, group := unique("dash-t"), unique("GID_dash")
	adm := newAdmin(t)
	if err := adm.CreateTopic(ctx, cluster.BrokerAddr, admin.TopicConfig{TopicName: topic, ReadQueueNums: 2, WriteQueueNums: 2}); err != nil {
		t.Fatal(err)
	}
	if err := adm.CreateSubscriptionGroup(ctx, cluster.BrokerAddr, brokeradmin.NewGroupConfig(group)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // the route reaches the namesrv
	prod, err := workload.NewProducer(ns, "PID_"+topic)
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	cons, err := workload.NewConsumer(ns, group, topic)
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	stop := make(chan struct{})
	done := make(chan struct{})
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
	defer func() { close(stop); <-done }()

	rules, err := os.ReadFile(filepath.Join("..", mixin.AlertsFile))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := newApp(t, nil, ns)
	p, target := underPrometheus(t, ctx, bin, a, rules)

	// Traffic is visible as rates over the dashboards' window.
	for _, expr := range []string{
		fmt.Sprintf(`rate(rocketmq_topic_messages_put_total{topic=%q}[%s]) > 0`, topic, rateInterval),
		fmt.Sprintf(`rate(rocketmq_consumer_group_consumed_messages_total{group=%q, topic=%q}[%s]) > 0`, group, topic, rateInterval),
	} {
		if err := eventually(ctx, 3*time.Minute, func() error { return nonEmpty(ctx, p, expr) }); err != nil {
			t.Fatalf("traffic not seen through Prometheus: %v", err)
		}
	}
	rulesHealthy(t, ctx, p, countRules(t, rules))

	prefer := map[string]string{"job": "rocketmq", "instance": target, "cluster": cluster.ClusterName,
		"broker": cluster.BrokerName, "topic": topic, "group": group}
	paths, _ := filepath.Glob(filepath.Join("..", "dashboards", "*.json"))
	if len(paths) < 4 {
		t.Fatalf("dashboards: %v", paths)
	}
	queries := 0
	for _, path := range paths {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		d, err := mixin.ParseDashboard(raw)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var failures []string
		err = eventually(ctx, time.Minute, func() error {
			failures = failures[:0]
			vals := map[string]string{}
			for _, v := range d.Templating.List {
				if v.Type != "query" {
					continue
				}
				expr, label, err := mixin.LabelValuesQuery(mixin.Expand(v.QueryString(), vals, intervals))
				if err != nil {
					return err
				}
				samples, err := p.Query(ctx, expr)
				if err != nil {
					return fmt.Errorf("variable %s: %s: %w", v.Name, expr, err)
				}
				var live []string
				for _, s := range samples {
					live = append(live, s.Metric[label])
				}
				want, ok := prefer[v.Name]
				if !ok {
					return fmt.Errorf("variable %s: no value chosen for it in this test", v.Name)
				}
				if !slices.Contains(live, want) {
					return fmt.Errorf("variable %s: %s lists %v, not %q", v.Name, expr, live, want)
				}
				vals[v.Name] = want
			}
			for _, panel := range d.AllPanels() {
				for _, tg := range panel.Targets {
					expr := mixin.Expand(tg.Expr, vals, intervals)
					samples, err := p.Query(ctx, expr)
					switch {
					case err != nil:
						failures = append(failures, fmt.Sprintf("%q %s: %v: %s", panel.Title, tg.RefID, err, expr))
					case len(samples) == 0:
						failures = append(failures, fmt.Sprintf("%q %s: no data: %s", panel.Title, tg.RefID, expr))
					}
				}
			}
			if len(failures) > 0 {
				return fmt.Errorf("%d queries without data", len(failures))
			}
			return nil
		})
		if err != nil {
			t.Errorf("%s (%s): %v\n  %s", filepath.Base(path), d.Title, err, strings.Join(failures, "\n  "))
			continue
		}
		n := 0
		for _, panel := range d.AllPanels() {
			n += len(panel.Targets)
		}
		queries += n
		t.Logf("%s: %d panel queries return data", filepath.Base(path), n)
	}
	t.Logf("%d queries of %d dashboards return data; %d alert rules evaluate", queries, len(paths), countRules(t, rules))
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
	time.Sleep(time.Second)
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
