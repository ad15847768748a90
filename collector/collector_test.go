package collector

import (
	"bufio"
	"bytes"
	"flag"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rocketmq-exporter/rocketmq_exporter/internal/testtool"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot/snapshottest"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.prom and the generated part of docs/metrics.md")

const goldenPath = "testdata/golden.prom"

func TestGolden(t *testing.T) {
	c := newTestCollector(fixtureSnapshot(t), allOn())
	got := render(t, gather(t, c))
	if *update {
		if err := os.WriteFile(goldenPath, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v (run go test ./collector -run TestGolden -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (rerun with -update if the change is intended):\n%s", goldenPath, lineDiff(string(want), got))
	}
}

// lineDiff lists the lines only in want (-) or only in got (+).
func lineDiff(want, got string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	w, g := in(want), in(got)
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if !g[l] {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if !w[l] {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}

// recording is the Java exporter's /metrics against RocketMQ 5.3.3, kept
// with the tests so that every clone checks the compatibility families.
const recording = "testdata/java-exporter-metrics-5.3.3.txt"

// javaFamilies reads the family names, and each one's label names in
// order, from the recording of the Java exporter.
func javaFamilies(t *testing.T) map[string][]string {
	t.Helper()
	f, err := os.Open(recording)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, rest, _ := strings.Cut(line, "{")
		if _, ok := out[name]; ok {
			continue
		}
		var labels []string
		for _, pair := range strings.Split(rest, "\",") {
			k, _, ok := strings.Cut(pair, "=\"")
			if ok {
				labels = append(labels, strings.TrimSpace(k))
			}
		}
		out[name] = labels
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// extraCompat are the Java families the recording could not show: they
// need a slave, a send-back and a DLQ topic.
var extraCompat = map[string][]string{
	"rocketmq_broker_commitlog_diff": {"cluster", "brokerIP", "broker"},
	"rocketmq_send_back_nums":        {"cluster", "broker", "topic", "group"},
	"rocketmq_topic_dlq_offset":      {"cluster", "broker", "group"},
}

func TestCompatFamiliesMatchRecording(t *testing.T) {
	want := javaFamilies(t)
	if len(want) != 83 {
		t.Errorf("recording has %d families, expected 83", len(want))
	}
	for k, v := range extraCompat {
		want[k] = v
	}
	mfs := gather(t, newTestCollector(fixtureSnapshot(t), allOn()))
	got := map[string][]string{}
	for _, mf := range mfs {
		if len(mf.GetMetric()) == 0 {
			continue
		}
		var labels []string
		for _, lp := range mf.GetMetric()[0].GetLabel() {
			labels = append(labels, lp.GetName())
		}
		got[mf.GetName()] = labels
	}
	// Our Descs keep Java's label order; the registry sorts label pairs,
	// so compare order against the Desc table and presence against output.
	defs := map[string]*family{}
	for _, f := range allFamilies() {
		defs[f.name] = f
	}
	for name, labels := range want {
		if _, ok := got[name]; !ok {
			t.Errorf("compat family %s missing from the output", name)
			continue
		}
		f := defs[name]
		if f == nil || f.needs&needCompat == 0 {
			t.Errorf("%s is not defined as a compat family", name)
			continue
		}
		if strings.Join(f.labels, ",") != strings.Join(labels, ",") {
			t.Errorf("%s labels %v, Java has %v", name, f.labels, labels)
		}
	}
	// and nothing compat that Java did not have
	for _, f := range allFamilies() {
		if f.needs&needCompat != 0 {
			if _, ok := want[f.name]; !ok {
				t.Errorf("compat family %s is not a Java family", f.name)
			}
		}
	}
}

func TestCompatOff(t *testing.T) {
	mfs := gather(t, newTestCollector(fixtureSnapshot(t), Options{}))
	for _, mf := range mfs {
		n := mf.GetName()
		if strings.HasPrefix(n, "rocketmq_brokeruntime_") || n == "rocketmq_group_diff" || strings.HasPrefix(n, "rocketmq_client_") ||
			strings.Contains(n, "_client_") || n == "rocketmq_consumer_queue_lag_messages" || strings.Contains(n, "_queue_messages") {
			t.Errorf("%s served with every option off", n)
		}
	}
	if _, ok := value(t, mfs, "rocketmq_up", "broker=broker-a", "broker_id=0"); !ok {
		t.Error("rocketmq_up missing")
	}
}

func TestPromtoolOwnFamilies(t *testing.T) {
	promtool := testtool.Need(t, "Debian: apt-get install prometheus", "promtool")
	out := render(t, gather(t, newTestCollector(fixtureSnapshot(t), allOn())))
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(out)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	compat := map[string]bool{}
	for _, f := range allFamilies() {
		if f.needs&needCompat != 0 {
			compat[f.name] = true
		}
	}
	var own, java int
	for _, line := range strings.Split(stdout.String()+stderr.String(), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		name, _, _ := strings.Cut(line, " ")
		if compat[name] {
			java++
			continue
		}
		own++
		t.Errorf("promtool: %s", line)
	}
	if own == 0 && runErr != nil && java == 0 {
		t.Errorf("promtool failed without a report: %v", runErr)
	}
	t.Logf("promtool: %d problems in compat families (expected: Java's names), %d in ours", java, own)
}

func TestNilSnapshot(t *testing.T) {
	c := newTestCollector(nil, allOn())
	mfs := gather(t, c)
	if len(mfs) != 0 {
		t.Errorf("nil snapshot served %v", familyNames(mfs))
	}
	if n := len(c.LastSeries()); n != 0 {
		t.Errorf("LastSeries after nil snapshot: %d families", n)
	}
}

func TestEmptySnapshotServesOnlySelf(t *testing.T) {
	s := snapshottest.New(t, snapshot.Snapshot{Started: testNow.Add(-2e9), Finished: testNow.Add(-1e9)}).Snapshot()
	mfs := gather(t, newTestCollector(s, Options{Compat: true, QueueMetrics: true, ClientMetrics: true, MaxSeries: 5}))
	for _, n := range familyNames(mfs) {
		if !strings.HasPrefix(n, "rocketmq_exporter_") {
			t.Errorf("empty snapshot served %s", n)
		}
	}
	if v, ok := value(t, mfs, "rocketmq_exporter_snapshot_age_seconds"); !ok || v != 1 {
		t.Errorf("snapshot age = %v, %v; want 1", v, ok)
	}
}

// Each value below is worked out by hand from fixtureSnapshot.
func TestValues(t *testing.T) {
	mfs := gather(t, newTestCollector(fixtureSnapshot(t), allOn()))
	cases := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"rocketmq_up", []string{"cluster=ClusterA", "broker=broker-a", "broker_id=1"}, 1},
		{"rocketmq_up", []string{"cluster=ClusterB", "broker=broker-b", "broker_id=0"}, 0},
		{"rocketmq_up", []string{"cluster=", "broker=", "broker_id="}, 0},
		{"rocketmq_namesrv_up", []string{"namesrv=10.0.0.1:9876"}, 1},
		{"rocketmq_namesrv_up", []string{"namesrv=10.0.0.2:9876"}, 0},
		{"rocketmq_namesrv_up", []string{"namesrv=10.9.9.9:9876"}, 0},
		{"rocketmq_broker_stale", []string{"broker=broker-b"}, 1},
		{"rocketmq_broker_collection_cut", []string{"broker=broker-a", "broker_id=0"}, 1},
		{"rocketmq_broker_collection_cut", []string{"broker=broker-b"}, 0},
		{"rocketmq_broker_collections_cut_total", []string{"broker=broker-a", "broker_id=0"}, 2},
		{"rocketmq_broker_carried_entities", []string{"broker=broker-a", "broker_id=0", "kind=topic_offsets"}, 1},
		{"rocketmq_broker_carried_entities", []string{"broker=broker-a", "broker_id=0", "kind=client_running_info"}, 2},
		{"rocketmq_broker_carried_entities", []string{"broker=broker-a", "broker_id=0", "kind=group_online"}, 0},
		{"rocketmq_broker_lag_seconds_pending", []string{"broker=broker-a", "broker_id=0"}, 3},
		{"rocketmq_broker_replication_lag_bytes", []string{"broker=broker-a", "broker_id=1"}, 278789 - 270000},
		{"rocketmq_broker_commitlog_diff", []string{"brokerIP=10.0.1.2:10911"}, 278789 - 270000},
		{"rocketmq_broker_put_latency_seconds", []string{"broker_id=0", "broker=broker-a", "quantile=0.999"}, 0.0125},
		{"rocketmq_broker_put_latency_window_messages", []string{"broker_id=0", "broker=broker-a", "le=0.01"}, 49},
		{"rocketmq_broker_put_latency_window_messages", []string{"broker_id=0", "broker=broker-a", "le=+Inf"}, 52},
		{"rocketmq_brokeruntime_pmdt_0to10ms", []string{"brokerIP=10.0.1.1:10911"}, 9},
		{"rocketmq_broker_get_messages_per_second", []string{"broker=broker-b", "result=transferred", "window=10s"}, 0},
		{"rocketmq_broker_thread_pool_queue_head_wait_seconds", []string{"broker=broker-a", "broker_id=0", "pool=pull"}, 0.003},
		{"rocketmq_broker_flush_behind_bytes", []string{"broker=broker-a", "broker_id=0"}, 1.2 * 1024},
		{"rocketmq_brokeruntime_remain_howmanydata_toflush", []string{"brokerIP=10.0.1.1:10911"}, 1.2 * 1024},
		{"rocketmq_brokeruntime_commitlogdir_capacity_total", []string{"brokerIP=10.0.1.1:10911"}, 252 * (1 << 30)},
		{"rocketmq_brokeruntime_put_tps10", []string{"brokerIP=10.1.1.1:10911", "boottime=1795623000000", "broker_version=398", "des=V4_9_4", "brokerHost="}, 12.5},
		{"rocketmq_broker_delay_queue_lag_messages", []string{"broker_id=0", "level=3"}, 5},
		{"rocketmq_broker_topics", []string{"broker=broker-a", "kind=retry"}, 2},
		{"rocketmq_broker_topics", []string{"broker=broker-a", "kind=system"}, 2},
		{"rocketmq_broker_leftover_topics", []string{"broker=broker-a", "kind=retry"}, 1},
		{"rocketmq_topic_stored_messages", []string{"topic=order-events_v2-01"}, 280},
		{"rocketmq_consumer_group_dlq_messages", []string{"group=payments-consumer"}, 4},
		{"rocketmq_consumer_group_retry_lag_messages", []string{"cluster=ClusterA", "group=payments-consumer"}, 3},
		{"rocketmq_consumer_group_online_consumers", []string{"cluster=ClusterA", "group=payments-consumer"}, 2},
		{"rocketmq_consumer_queue_lag_messages", []string{"group=audit_group_7", "queue_id=1"}, 100},
		{"rocketmq_consumer_client_consume_latency_seconds", []string{"client_id=10.2.0.7@pay-1", "topic=payments"}, 0.04},
		// Java families without a broker label sum both clusters; the
		// online count is the union of client ids (pay-1, pay-2, pay-3).
		{"rocketmq_group_diff", []string{"group=payments-consumer", "topic=payments", "countOfOnlineConsumers=3", "msgModel=1"}, 25},
		{"rocketmq_group_retrydiff", []string{"group=payments-consumer", "topic=%RETRY%payments-consumer"}, 3},
		{"rocketmq_group_diff", []string{"group=audit_group_7", "countOfOnlineConsumers=0"}, 200},
		{"rocketmq_group_count", []string{"group=payments-consumer", "caddr=", "localaddr="}, 3},
		{"rocketmq_group_get_latency_by_storetime", []string{"group=payments-consumer", "topic=payments"}, 1250},
		{"rocketmq_group_get_latency_by_storetime", []string{"group=inventory-sync", "topic=inventory"}, 0},
		{"rocketmq_topic_dlq_offset", []string{"group=payments-consumer"}, 5},
		{"rocketmq_producer_offset", []string{"cluster=ClusterB", "topic=inventory"}, 10},
		{"rocketmq_producer_count", []string{"group=payments-producer"}, 2},
		{"rocketmq_send_back_nums", []string{"group=payments-consumer", "topic=payments"}, 3},
		{"rocketmq_broker_tps", []string{"brokerIP=10.0.1.1:10911", "broker=broker-a"}, 0.7174913127277331},
		{"rocketmq_client_consume_rt", []string{"clientId=10.2.0.7@pay-1", "topic=payments", "clientAddr=10.2.0.7:51234"}, 40},
		{"rocketmq_exporter_snapshot_age_seconds", nil, 20},
		{"rocketmq_exporter_cycle_overran", nil, 0},
	}
	for _, tc := range cases {
		got, ok := value(t, mfs, tc.name, tc.labels...)
		if !ok {
			t.Errorf("%s%v missing", tc.name, tc.labels)
			continue
		}
		if d := got - tc.want; d > 1e-9 || d < -1e-9 {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}

	absent := []struct {
		name   string
		labels []string
	}{
		{"rocketmq_group_diff", []string{"group=cache-invalidator"}},                 // broadcasting
		{"rocketmq_group_get_latency_by_storetime", []string{"group=audit_group_7"}}, // lag but no time
		{"rocketmq_brokeruntime_put_tps10", []string{"brokerIP=10.0.1.2:10911"}},     // slave
		{"rocketmq_broker_tps", []string{"brokerIP=10.0.1.2:10911"}},                 // slave
		{"rocketmq_producer_offset", []string{"topic=%RETRY%payments-consumer"}},
		{"rocketmq_consumer_tps", []string{"topic=%RETRY%payments-consumer"}},
		{"rocketmq_broker_put_messages_per_second", []string{"broker=broker-b", "window=60s"}}, // empty window after boot
		{"rocketmq_broker_thread_pool_queue_size", []string{"broker=broker-b", "pool=ack"}},    // 4.x has no ack pool
		{"rocketmq_broker_timer_behind_messages", []string{"broker=broker-b"}},
		{"rocketmq_topic_info", []string{"broker=broker-a", "cluster=ClusterA", "topic=payments", "kind=normal", "order=true"}},
		{"rocketmq_broker_cleanup_config_info", []string{"broker=broker-b"}},
		{"rocketmq_broker_put_latency_window_messages", []string{"broker=broker-b"}},        // "null"
		{"rocketmq_broker_commitlog_min_offset_bytes", []string{"broker=broker-b"}},         // -1
		{"rocketmq_broker_earliest_message_timestamp_seconds", []string{"broker=broker-b"}}, // -1
	}
	for _, a := range absent {
		if v, ok := value(t, mfs, a.name, a.labels...); ok {
			t.Errorf("%s%v = %v, want no series", a.name, a.labels, v)
		}
	}

	// Slaves never serve entity families under the master's name twice.
	if n := seriesByFamily(mfs)["rocketmq_topic_info"]; n != 10 {
		t.Errorf("rocketmq_topic_info has %d series, want 10 (7 on broker-a, 3 on broker-b)", n)
	}
	if n := seriesByFamily(mfs)["rocketmq_group_count"]; n != 4 {
		t.Errorf("rocketmq_group_count has %d series, want one per group (4)", n)
	}
}

func TestSeriesFamilyAndLastSeries(t *testing.T) {
	c := newTestCollector(fixtureSnapshot(t), allOn())
	mfs := gather(t, c)
	counts := seriesByFamily(mfs)
	last := c.LastSeries()
	for name, n := range counts {
		if name == "rocketmq_exporter_series" {
			continue
		}
		if last[name] != n {
			t.Errorf("LastSeries[%s] = %d, served %d", name, last[name], n)
		}
		if v, ok := value(t, mfs, "rocketmq_exporter_series", "family="+name); !ok || int(v) != n {
			t.Errorf("rocketmq_exporter_series{family=%q} = %v, %v; served %d", name, v, ok, n)
		}
	}
	if _, ok := value(t, mfs, "rocketmq_exporter_series", "family=rocketmq_exporter_series"); ok {
		t.Error("rocketmq_exporter_series counts itself")
	}
}

// Describe must send every Desc Collect can use: the pedantic registry
// checks it, and a family never described would fail the gather above.
func TestDescribeMatchesOptions(t *testing.T) {
	count := func(o Options) int {
		ch := make(chan *prometheus.Desc, 1000)
		New(fixedSource{}, o).Describe(ch)
		close(ch)
		return len(ch)
	}
	all, none := count(allOn()), count(Options{})
	if all <= none || none == 0 {
		t.Errorf("descs: all options %d, none %d", all, none)
	}
}

func TestConcurrentCollect(t *testing.T) {
	c := newTestCollector(fixtureSnapshot(t), Options{Compat: true, ClientMetrics: true, QueueMetrics: true, MaxSeries: 100})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 5 {
				ch := make(chan prometheus.Metric, 64)
				go func() { c.Collect(ch); close(ch) }()
				for range ch {
				}
				_ = c.LastSeries()
			}
		})
	}
	wg.Wait()
}

// A label value that is not UTF-8 costs that one series, never the scrape.
func TestInvalidLabelValueSkipsOneSeries(t *testing.T) {
	f := newFixture()
	f.brokerA.Topics = append(f.brokerA.Topics, snapshot.Topic{Name: "zz-bad-\xff", ReadQueues: 1, WriteQueues: 1})
	s := f.build(t)
	var buf bytes.Buffer
	o := allOn()
	o.Logger = slog.New(slog.NewTextHandler(&buf, nil))
	c := newTestCollector(s, o)
	c.log = o.Logger
	mfs := gather(t, c)
	gather(t, c)
	if n := seriesByFamily(mfs)["rocketmq_topic_read_queues"]; n != 10 {
		t.Errorf("rocketmq_topic_read_queues has %d series, want the 10 good ones", n)
	}
	if n := strings.Count(buf.String(), "level=WARN"); n == 0 || !strings.Contains(buf.String(), "rocketmq_topic_read_queues") {
		t.Errorf("no warning naming the family:\n%s", buf.String())
	}
	if strings.Count(buf.String(), "family=rocketmq_topic_read_queues") != 1 {
		t.Errorf("warned more than once per family:\n%s", buf.String())
	}
}
