package collector

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// stagesOnly serves only the stage families, as New would (stageFamilies
// is not in allFamilies yet).
type stagesOnly struct {
	s  *snapshot.Snapshot
	fs []*family
}

func newStagesOnly(s *snapshot.Snapshot) stagesOnly {
	fs := stageFamilies()
	for _, f := range fs {
		f.desc = prometheus.NewDesc(f.name, f.help, f.labels, nil)
	}
	return stagesOnly{s: s, fs: fs}
}

func (c stagesOnly) Describe(ch chan<- *prometheus.Desc) {
	for _, f := range c.fs {
		ch <- f.desc
	}
}

func (c stagesOnly) Collect(ch chan<- prometheus.Metric) {
	v := newView(c.s, time.Unix(0, 0))
	for _, f := range c.fs {
		f.emit(v, &sink{ch: ch, desc: f.desc, typ: f.typ})
	}
}

// TestStageFamilies: a master with a failing and a clean stage, its slave
// with the two stages a slave has, and a broker carried over without
// being asked (no stages) give one series per broker process and stage,
// success from the stage's last outcome, the counter from the total.
func TestStageFamilies(t *testing.T) {
	s := &snapshot.Snapshot{Brokers: []*snapshot.Broker{
		{Cluster: "c", Name: "broker-a", ID: 0, Role: snapshot.RoleMaster, Up: true, Stages: []snapshot.Stage{
			{Name: "runtime_info", Calls: 1, OK: true},
			{Name: "topic_stats", Calls: 12, Failed: 3, LastErr: "SYSTEM_ERROR", FailedTotal: 7},
		}},
		{Cluster: "c", Name: "broker-a", ID: 1, Role: snapshot.RoleSlave, Up: true, Stages: []snapshot.Stage{
			{Name: "broker_config", OK: true, FailedTotal: 2}, // not asked this cycle: its last outcome
			{Name: "runtime_info", Calls: 1, OK: true},
		}},
		{Cluster: "c", Name: "broker-b", ID: 0, Role: snapshot.RoleMaster, Stale: true},
	}}
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(newStagesOnly(s)); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&buf, mf); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		`rocketmq_broker_collect_stage_errors_total{broker="broker-a",broker_id="0",cluster="c",stage="runtime_info"} 0`,
		`rocketmq_broker_collect_stage_errors_total{broker="broker-a",broker_id="0",cluster="c",stage="topic_stats"} 7`,
		`rocketmq_broker_collect_stage_errors_total{broker="broker-a",broker_id="1",cluster="c",stage="broker_config"} 2`,
		`rocketmq_broker_collect_stage_errors_total{broker="broker-a",broker_id="1",cluster="c",stage="runtime_info"} 0`,
		`rocketmq_broker_collect_stage_success{broker="broker-a",broker_id="0",cluster="c",stage="runtime_info"} 1`,
		`rocketmq_broker_collect_stage_success{broker="broker-a",broker_id="0",cluster="c",stage="topic_stats"} 0`,
		`rocketmq_broker_collect_stage_success{broker="broker-a",broker_id="1",cluster="c",stage="broker_config"} 1`,
		`rocketmq_broker_collect_stage_success{broker="broker-a",broker_id="1",cluster="c",stage="runtime_info"} 1`,
	}
	var got []string
	for _, line := range strings.Split(buf.String(), "\n") {
		switch {
		case strings.HasPrefix(line, "# TYPE rocketmq_broker_collect_stage_errors_total"):
			if line != "# TYPE rocketmq_broker_collect_stage_errors_total counter" {
				t.Errorf("%s, want a counter", line)
			}
		case strings.HasPrefix(line, "# TYPE rocketmq_broker_collect_stage_success"):
			if line != "# TYPE rocketmq_broker_collect_stage_success gauge" {
				t.Errorf("%s, want a gauge", line)
			}
		case line != "" && !strings.HasPrefix(line, "#"):
			got = append(got, line)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("exposition:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := strings.Count(buf.String(), "# HELP "); n != 2 {
		t.Errorf("%d HELP lines, want one per family", n)
	}
}
