package app

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
)

// scrapeFamilies serves /metrics from a's handler and parses it.
func scrapeFamilies(t *testing.T, a *App) map[string]*dto.MetricFamily {
	t.Helper()
	rr := httptest.NewRecorder()
	a.Handler.ServeHTTP(rr, httptest.NewRequest("GET", "/metrics", nil))
	if rr.Code != 200 {
		t.Fatalf("/metrics: HTTP %d: %s", rr.Code, rr.Body.String())
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(rr.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return mfs
}

// seriesWith lists family name's series whose labels include want.
func seriesWith(mfs map[string]*dto.MetricFamily, name string, want map[string]string) []*dto.Metric {
	var out []*dto.Metric
	for _, m := range mfs[name].GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		ok := true
		for k, v := range want {
			ok = ok && have[k] == v
		}
		if ok {
			out = append(out, m)
		}
	}
	return out
}

func metricValue(m *dto.Metric) float64 {
	switch {
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Counter != nil:
		return m.Counter.GetValue()
	}
	return m.GetUntyped().GetValue()
}

// startTwins starts two simulated clusters with RocketMQ's default cluster
// name and the same broker and topic names; they differ only in how many
// messages each topic holds, so their data cannot be mistaken for each
// other's.
func startTwins(t *testing.T) (*simbroker.Cluster, *simbroker.Cluster) {
	t.Helper()
	var cs []*simbroker.Cluster
	for _, msgs := range []int64{100, 40} {
		c, err := simbroker.Start(simbroker.Options{Cluster: "DefaultCluster", Topics: 6, Groups: 3, InitialMessages: msgs})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		cs = append(cs, c)
	}
	return cs[0], cs[1]
}

// TestTwinClustersStayApart: two targets whose clusters and brokers have
// the same names are served as two, and one going silent shows as its own
// rocketmq_up 0 while the other keeps every topic with its own offsets.
func TestTwinClustersStayApart(t *testing.T) {
	one, two := startTwins(t)
	s := Defaults()
	s.Namesrvs = []string{"east=" + one.Namesrv.Addr, two.Namesrv.Addr} // one named, one by its address
	s.Timeout, s.CycleTimeout = 300*time.Millisecond, 10*time.Second
	a, err := New(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	t1, t2 := map[string]string{"target": "east"}, map[string]string{"target": two.Namesrv.Addr}

	a.Cycle(ctx)
	mfs := scrapeFamilies(t, a)
	if n := len(seriesWith(mfs, "rocketmq_up", nil)); n != 2 {
		t.Fatalf("rocketmq_up has %d series for two brokers named alike in two targets, want 2", n)
	}
	for _, c := range []struct {
		sim    *simbroker.Cluster
		target map[string]string
	}{{one, t1}, {two, t2}} {
		checkTarget(t, mfs, c.sim, c.target, 1)
	}
	everySeriesTargeted(t, mfs)
	rr := httptest.NewRecorder()
	a.Handler.ServeHTTP(rr, httptest.NewRequest("GET", "/", nil))
	if !strings.Contains(rr.Body.String(), `<td class="name">east</td>`) {
		t.Errorf("the status page does not name the target east")
	}
	if n := seriesWith(mfs, "rocketmq_exporter_series", map[string]string{"family": "rocketmq_up"}); len(n) != 1 || metricValue(n[0]) != 2 {
		t.Errorf("rocketmq_exporter_series{family=rocketmq_up}: %v, want one series at 2", n)
	}

	one.Brokers[0].Master.SetFault(simbroker.Fault{Hold: true})
	defer one.Brokers[0].Master.ClearFault()
	a.Cycle(ctx)
	mfs = scrapeFamilies(t, a)
	if n := len(seriesWith(mfs, "rocketmq_up", nil)); n != 2 {
		t.Errorf("with one twin silent rocketmq_up has %d series, want 2", n)
	}
	checkTarget(t, mfs, two, t2, 1)
	up := seriesWith(mfs, "rocketmq_up", t1)
	if len(up) != 1 || metricValue(up[0]) != 0 {
		t.Errorf("the silent twin's rocketmq_up%v: %v, want one series at 0", t1, up)
	}
}

// checkTarget compares what is served under target with what the simulated
// cluster holds: rocketmq_up, one topic_info per topic and the sum of the
// topics' put offsets.
func checkTarget(t *testing.T, mfs map[string]*dto.MetricFamily, sim *simbroker.Cluster, target map[string]string, wantUp float64) {
	t.Helper()
	truth := sim.Truth(time.Minute)[0]
	up := seriesWith(mfs, "rocketmq_up", target)
	if len(up) != 1 || metricValue(up[0]) != wantUp {
		t.Errorf("rocketmq_up%v: %v, want one series at %v", target, up, wantUp)
	}
	if n := len(seriesWith(mfs, "rocketmq_topic_info", target)); n != truth.Topics {
		t.Errorf("rocketmq_topic_info%v: %d series, the broker holds %d topics", target, n, truth.Topics)
	}
	var put float64
	for _, m := range seriesWith(mfs, "rocketmq_topic_messages_put_total", target) {
		put += metricValue(m)
	}
	if int64(put) != truth.Messages {
		t.Errorf("rocketmq_topic_messages_put_total%v sums to %v, the broker holds %d messages", target, put, truth.Messages)
	}
}

// TestParseTargetNames: a target is named by its name= prefix, else by its
// addresses; names must be unique, non-empty and followed by an address.
func TestParseTargetNames(t *testing.T) {
	got, err := ParseTargets([]string{"prod=10.0.0.1:9876;10.0.0.2:9876", " 10.0.0.3:9876 , 10.0.0.4:9876", "dr = 10.0.0.5:9876"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Target{
		{Name: "prod", Namesrvs: []string{"10.0.0.1:9876", "10.0.0.2:9876"}},
		{Name: "10.0.0.3:9876;10.0.0.4:9876", Namesrvs: []string{"10.0.0.3:9876", "10.0.0.4:9876"}},
		{Name: "dr", Namesrvs: []string{"10.0.0.5:9876"}},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, bad := range []struct {
		values []string
		says   string
	}{
		{[]string{"a=1.1.1.1:1", "a=2.2.2.2:2"}, `two targets are named "a"`},
		{[]string{"1.1.1.1:1;2.2.2.2:2", "1.1.1.1:1,2.2.2.2:2"}, "two targets are named"}, // one cluster given twice
		{[]string{"1.1.1.1:1", "1.1.1.1:1=2.2.2.2:2"}, "two targets are named"},
		{[]string{"=1.1.1.1:1"}, "empty name"},
		{[]string{" =1.1.1.1:1"}, "empty name"},
		{[]string{"prod="}, "names no address"},
		{[]string{"prod=;,"}, "names no address"},
		{[]string{"a;b=1.1.1.1:1"}, "may not contain"},
		{[]string{"prod=nohost"}, "no port"},
	} {
		_, err := ParseTargets(bad.values)
		if err == nil || !strings.Contains(err.Error(), bad.says) {
			t.Errorf("ParseTargets(%q): %v, want an error saying %q", bad.values, err, bad.says)
		}
	}
}

// everySeriesTargeted: with several targets, every series about a broker,
// topic, group or client names its target, and the exporter's own series
// (one exporter, whatever it watches) name none.
func everySeriesTargeted(t *testing.T, mfs map[string]*dto.MetricFamily) {
	t.Helper()
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			has := map[string]bool{}
			for _, l := range m.GetLabel() {
				has[l.GetName()] = true
			}
			about := has["cluster"] || has["broker"] || has["group"] || has["topic"] || has["namesrv"]
			if about && !has["target"] {
				t.Errorf("%s%v: about a target's cluster but without a target label", name, m.GetLabel())
				break
			}
			if !about && has["target"] && strings.HasPrefix(name, "rocketmq_exporter_") {
				t.Errorf("%s%v: the exporter's own series carries a target label", name, m.GetLabel())
				break
			}
		}
	}
}
