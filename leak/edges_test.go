package leak_test

import (
	"context"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/rocketmq-exporter/rocketmq_exporter/app"
	"github.com/rocketmq-exporter/rocketmq_exporter/audit"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/exportertest"
	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
)

// These tests drive the whole exporter (app.New, one Cycle at a time)
// against the simulated broker (exportertest); the simulator decides what
// exists.

// auditAlone runs a standalone audit, as the audit command does: no
// serving stack, no running exporter beside it.
func auditAlone(ctx context.Context, t *testing.T, s app.Settings) ([]audit.Report, int) {
	t.Helper()
	c, err := app.NewCore(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return audit.Run(ctx, c, nil)
}

type families map[string]*dto.MetricFamily

func scrape(t *testing.T, a *app.App) families {
	t.Helper()
	rr := httptest.NewRecorder()
	a.Handler.ServeHTTP(rr, httptest.NewRequest("GET", "/metrics", nil))
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(rr.Body)
	if err != nil {
		t.Fatal(err)
	}
	return mfs
}

// sum adds a family's values over the series whose labels include want.
func (f families) sum(name string, want map[string]string) (float64, int) {
	mf := f[name]
	if mf == nil {
		return 0, 0
	}
	total, n := 0.0, 0
	for _, m := range mf.Metric {
		ok := true
		for k, v := range want {
			found := false
			for _, l := range m.Label {
				if l.GetName() == k && l.GetValue() == v {
					found = true
				}
			}
			ok = ok && found
		}
		if !ok {
			continue
		}
		n++
		switch {
		case m.Gauge != nil:
			total += m.Gauge.GetValue()
		case m.Counter != nil:
			total += m.Counter.GetValue()
		case m.Untyped != nil:
			total += m.Untyped.GetValue()
		}
	}
	return total, n
}

// TestFiltersNeverMakeLeaks: topics and groups outside the filters, with
// offsets, traffic and retry topics, exist; they are never reported
// orphaned or leaked, and audit prints no command for them.
func TestFiltersNeverMakeLeaks(t *testing.T) {
	c := exportertest.Sim(t, simbroker.Options{Version: "4.9.7", Topics: 20, Groups: 20, OnlineEvery: 2, ActiveEvery: 1, Seed: 1})
	s := exportertest.Settings(c.Namesrv.Addr)
	s.TopicInclude = "sim-topic-000000[1-5]" // 5 of 20 topics
	s.GroupExclude = "sim-group-00000[2-3][0-9]"
	a := exportertest.App(t, s)
	ctx := context.Background()
	for i := 0; i < 4; i++ {
		c.Tick()
		a.Cycle(ctx)
	}
	m := scrape(t, a)
	if n, _ := m.sum("rocketmq_topic_info", nil); n == 0 {
		t.Fatal("no topic served: the filter let nothing through and the test proves nothing")
	}
	for _, f := range []string{"rocketmq_broker_orphaned_consumer_offsets", "rocketmq_broker_leftover_topics", "rocketmq_broker_leaked_stat_items", "rocketmq_exporter_tombstones"} {
		if v, _ := m.sum(f, nil); v != 0 {
			t.Errorf("%s = %v on a broker where nothing was deleted", f, v)
		}
	}
	reports, code := audit.Run(ctx, a.Core, a.Poller.Snapshot())
	for _, r := range reports {
		for _, cmd := range r.Commands {
			t.Errorf("audit prints %q for a broker where nothing was deleted", cmd)
		}
	}
	if code != audit.Clean {
		t.Errorf("audit exit code %d, want %d (clean)", code, audit.Clean)
	}
}

// TestTopicTombstonesAreNotStarved: deletions arrive faster than the
// probe budget (4 topics and 4 groups a cycle, about 120 keys against 64
// probes). Group keys used to sort before topic keys and win every cycle;
// now keys are asked in the order their deletions were seen, so deleted
// topics' leaks show while churn goes on, and once it stops the backlog
// drains within ceil(backlog/probes) cycles and every leak the simulator
// keeps for a deleted topic is reported.
func TestTopicTombstonesAreNotStarved(t *testing.T) {
	c := exportertest.Sim(t, simbroker.Options{Version: "4.9.7", Topics: 100, Groups: 100, OnlineEvery: 1, ActiveEvery: 1, Seed: 7})
	s := exportertest.Settings(c.Namesrv.Addr)
	a := exportertest.App(t, s)
	ctx := context.Background()
	const churnCycles = 12
	var during float64
	for i := 0; i <= churnCycles; i++ {
		c.Tick()
		if i > 0 {
			c.Churn(0.04)
		}
		a.Cycle(ctx)
		if i == churnCycles {
			during, _ = scrape(t, a).sum("rocketmq_broker_leaked_stat_items", map[string]string{"stats": "TOPIC_PUT_NUMS"})
		}
	}
	if during == 0 {
		t.Errorf("after %d cycles of churn no deleted topic's TOPIC_PUT_NUMS was reported: topic keys starve", churnCycles)
	}
	backlog, _ := scrape(t, a).sum("rocketmq_broker_leak_probe_backlog", nil)
	if backlog == 0 {
		t.Fatal("no backlog: deletions did not outrun the budget and the test proves nothing")
	}
	quiet := (int(backlog) + s.LeakProbes - 1) / s.LeakProbes
	for i := 0; i < quiet; i++ {
		a.Cycle(ctx)
	}
	m := scrape(t, a)
	if b, _ := m.sum("rocketmq_broker_leak_probe_backlog", nil); b != 0 {
		t.Errorf("backlog %v after %d quiet cycles (it was %v)", b, quiet, backlog)
	}
	topics, _ := m.sum("rocketmq_broker_leaked_stat_items", map[string]string{"stats": "TOPIC_PUT_NUMS"})
	// Every deleted topic had traffic, and 4.9.7 keeps its TOPIC_PUT_NUMS.
	if want := float64(churnCycles * 4); topics < want {
		t.Errorf("leaked TOPIC_PUT_NUMS reported %v, want at least the %v deleted business topics", topics, want)
	}
	t.Logf("TOPIC_PUT_NUMS during churn %v, after %v; backlog %v drained in %d cycles", during, topics, backlog, quiet)
}

// snapshotKeys lists the leaked items of an exporter's last snapshot.
func snapshotKeys(a *app.App) []string {
	var out []string
	for _, b := range a.Poller.Snapshot().Brokers {
		if b.Leaks == nil {
			continue
		}
		for _, it := range b.Leaks.Items {
			out = append(out, it.Stats+" "+it.Key)
		}
	}
	slices.Sort(out)
	return out
}

// leakedKeys lists an audit's leaked items as "STATS key".
func leakedKeys(reports []audit.Report) []string {
	var out []string
	for _, r := range reports {
		for _, it := range r.LeakedStatItems {
			out = append(out, it.Stats+" "+it.Key)
		}
	}
	slices.Sort(out)
	return out
}

// truthKeys lists what the simulator keeps for deleted subjects.
func truthKeys(c *simbroker.Cluster) []string {
	var out []string
	for _, b := range c.Oracle() {
		for _, it := range b.Leaked {
			out = append(out, it.Stats+" "+it.Key)
		}
	}
	slices.Sort(out)
	return out
}

// TestLeaksOutliveTheExporter: a 4.9.7 broker keeps the stat items of a
// deleted topic and group until it restarts. An exporter restarted after
// the deletion, and a fresh audit, report the same items as the exporter
// that saw the deletion, from the state file; without one, nothing on the
// broker shows the deletion any more (it was deleted with its offsets and
// retry topic) and a fresh audit says clean, which is what it used to say.
func TestLeaksOutliveTheExporter(t *testing.T) {
	c := exportertest.Sim(t, simbroker.Options{Version: "4.9.7", Seed: 5})
	must := func(ok bool, err error) {
		t.Helper()
		if err != nil || !ok {
			t.Fatalf("simulator refused: %v %v", ok, err)
		}
	}
	must(c.CreateTopic(0, "t-restart", 2))
	must(c.CreateGroup(0, "g-restart"))
	must(c.Subscribe(0, "g-restart", "t-restart"))
	must(c.SetClients(0, "g-restart", 1))
	must(c.Produce(0, "t-restart", 5))
	must(c.CatchUp(0, "g-restart"))

	state := t.TempDir() + "/leaks.json"
	s := exportertest.Settings(c.Namesrv.Addr)
	s.StateFile = state
	ctx := context.Background()
	first := exportertest.App(t, s)
	first.Cycle(ctx)
	must(c.SetClients(0, "g-restart", 0))
	must(c.DeleteTopic(0, "t-restart", simbroker.ByMQAdmin))
	must(c.DeleteGroup(0, "g-restart", simbroker.ByMQAdmin, true))
	truth := truthKeys(c)
	if len(truth) == 0 {
		t.Fatal("the simulated 4.9.7 broker keeps nothing: the test proves nothing")
	}
	for i := 0; i < 3; i++ {
		first.Cycle(ctx)
	}
	if got := snapshotKeys(first); !slices.Equal(got, truth) {
		t.Fatalf("the exporter that saw the deletion reports %v, the broker holds %v", got, truth)
	}
	// The cycle that learnt the deletion wrote the state file already: an
	// exporter killed right after it loses nothing.
	if raw, err := os.ReadFile(state); err != nil || !strings.Contains(string(raw), `"t-restart"`) {
		t.Errorf("state file after the deletion cycles lacks the deleted topic (err %v): %.300s", err, raw)
	}
	first.Close()

	// Without memory: nothing on the broker names the deleted subjects.
	blank := s
	blank.StateFile = ""
	reports, code := auditAlone(ctx, t, blank)
	if got := leakedKeys(reports); len(got) != 0 || code != audit.Clean {
		t.Errorf("without a state file the audit finds %v (exit %d), want clean: nothing on the broker names them", got, code)
	}

	again := exportertest.App(t, s)
	var got []string
	for i := 0; i < 4 && !slices.Equal(got, truth); i++ {
		again.Cycle(ctx) // the recall runs in the background: a cycle or two
		got = snapshotKeys(again)
	}
	if !slices.Equal(got, truth) {
		t.Errorf("restarted exporter reports %v, the broker holds %v", got, truth)
	}
	m := scrape(t, again)
	if n, _ := m.sum("rocketmq_broker_leaked_stat_items", nil); int(n) != len(truth) {
		t.Errorf("restarted exporter serves %v leaked items, the broker holds %d", n, len(truth))
	}
	fresh, code := auditAlone(ctx, t, s)
	if got := leakedKeys(fresh); !slices.Equal(got, truth) || code != audit.Leftovers {
		t.Errorf("fresh audit with the state file reports %v (exit %d), the broker holds %v", got, code, truth)
	}

	// The broker's restart frees them: the exporter follows.
	if err := c.Restart(0); err != nil {
		t.Fatal(err)
	}
	if len(truthKeys(c)) != 0 {
		t.Fatal("the simulator kept leaked items across a restart")
	}
	for i := 0; i < 2; i++ {
		again.Cycle(ctx)
	}
	if n, _ := scrape(t, again).sum("rocketmq_broker_leaked_stat_items", nil); n != 0 {
		t.Errorf("%v leaked items reported after the broker restarted", n)
	}
}
