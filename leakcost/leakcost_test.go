package leakcost

import (
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// The snapshot lists fill as StatsItem samples them: a seed and a sample
// at the first tick of each, then one a tick up to 7, 7 and 25.
func TestSnapshots(t *testing.T) {
	for _, c := range []struct {
		age  time.Duration
		want int
	}{
		{0, 0},
		{9 * time.Second, 0},
		{10 * time.Second, 2},
		{50 * time.Second, 6},
		{70 * time.Second, 7},
		{10 * time.Minute, 7 + 2},
		{59 * time.Minute, 7 + 6},
		{time.Hour, 7 + 7 + 2},
		{24 * time.Hour, 7 + 7 + 25},
		{30 * 24 * time.Hour, 39},
	} {
		if got := Snapshots(c.age); got != c.want {
			t.Errorf("Snapshots(%s) = %d, want %d", c.age, got, c.want)
		}
	}
}

func TestCalibrated(t *testing.T) {
	for v, want := range map[string]string{"V4_9_7": "4.9.7", "V4_7_1": "4.9.7", "5.3.3": "5.3.3", "V5_1_4": "5.3.3",
		"V5_4_0": "5.4.0", "V5_5_0": "5.4.0", "": "", "V3_2_6x": "", "garbage": ""} {
		if got := Calibrated(v); got != want {
			t.Errorf("Calibrated(%q) = %q, want %q", v, got, want)
		}
	}
}

// A per-queue GROUP_GET_LATENCY item found on queue 0 of a 12-queue topic
// stands for 12 latency items and 24 moment items; a plain item for
// itself. The bytes are the table's, item by item, with the longer keys of
// queues 10 and 11.
func TestOfInfersQueuesAndMomentItems(t *testing.T) {
	r := &snapshot.LeakReport{Items: []snapshot.LeakedItem{
		{Stats: "TOPIC_PUT_NUMS", Key: "orders", Subject: "orders", Kind: "topic"},
		{Stats: "GROUP_GET_LATENCY", Key: "0@orders@GID_a", Subject: "orders", Kind: "topic", Queues: 12},
	}}
	age := 2 * time.Hour
	e := Of(r, "V4_9_7", age)
	if e.Calibration != "4.9.7" || e.Probed != 2 {
		t.Fatalf("calibration %q, probed %d", e.Calibration, e.Probed)
	}
	want := map[string]int{"GROUP_GET_LATENCY": 11, FallSize: 12, FallTime: 12}
	if len(e.Inferred) != len(want) {
		t.Errorf("inferred %v, want %v", e.Inferred, want)
	}
	for s, n := range want {
		if e.Inferred[s] != n {
			t.Errorf("inferred %s = %d, want %d", s, e.Inferred[s], n)
		}
	}
	l := layouts["4.9.7"]
	item := Cost{Fixed: l.item, PerSnapshot: l.snapshot}
	moment := Cost{Fixed: l.moment}
	key := len("0@orders@GID_a")
	wantBytes := item.Bytes(len("orders"), age) +
		10*item.Bytes(key, age) + 2*item.Bytes(key+1, age) +
		2*(10*moment.Bytes(key, age)+2*moment.Bytes(key+1, age))
	if e.Bytes != int64(wantBytes) {
		t.Errorf("bytes %d, want %d", e.Bytes, wantBytes)
	}
}

func TestOfWithoutLeaks(t *testing.T) {
	if e := Of(nil, "V5_3_3", time.Hour); e.Bytes != 0 || e.Calibration != "5.3.3" || len(e.Inferred) != 0 {
		t.Errorf("nil report: %+v", e)
	}
	if e := Of(&snapshot.LeakReport{Items: []snapshot.LeakedItem{{Stats: "TOPIC_PUT_NUMS", Key: "t"}}}, "V3_0_0", time.Hour); e.Bytes != 0 || e.Calibration != "" {
		t.Errorf("uncalibrated version: %+v", e)
	}
}

// Every calibrated version prices every set probing asks about, and the
// two moment sets.
func TestCostsCoverProbedSets(t *testing.T) {
	have := map[string]bool{}
	for _, c := range Costs() {
		if c.Fixed <= 0 || (c.PerSnapshot <= 0) != (c.Stats == FallSize || c.Stats == FallTime) {
			t.Errorf("%+v", c)
		}
		have[c.Version+"/"+c.Stats] = true
	}
	for v := range layouts {
		for _, s := range []string{"TOPIC_PUT_NUMS", "GROUP_GET_NUMS", "GROUP_GET_LATENCY", "SNDBCK_PUT_NUMS", FallSize, FallTime} {
			if !have[v+"/"+s] {
				t.Errorf("%s has no cost for %s", v, s)
			}
		}
	}
}
