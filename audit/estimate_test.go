package audit

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/leakcost"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

func leakyBroker(version, autoDelete string) *snapshot.Broker {
	boot := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	return &snapshot.Broker{Cluster: "c", Name: "b", Addr: "10.0.0.1:10911", Version: version, BootTime: boot,
		Config: map[string]string{"autoDeleteUnusedStats": autoDelete},
		Leaks: &snapshot.LeakReport{Items: []snapshot.LeakedItem{
			{Stats: "TOPIC_PUT_NUMS", Key: "orders", Subject: "orders", Kind: "topic"},
			{Stats: "GROUP_GET_LATENCY", Key: "0@orders@GID_a", Subject: "orders", Kind: "topic", Queues: 4},
		}}}
}

// The estimate per broker is leakcost's for the broker's version and
// uptime, and what frees it depends on the broker's cleanup setting.
func TestEstimatePerBroker(t *testing.T) {
	at := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	b := leakyBroker("V4_9_7", "false")
	var r Report
	r.estimate(b, at)
	want := leakcost.Of(b.Leaks, "V4_9_7", 48*time.Hour)
	if r.LeakedStatBytes != want.Bytes || r.CostCalibration != "4.9.7" || r.InferredStatItems[leakcost.FallSize] != 4 {
		t.Errorf("report %+v, want the estimate %+v", r, want)
	}
	if !strings.Contains(r.Freeing, "restart") || !strings.Contains(r.Freeing, "updateBrokerConfig -b '10.0.0.1:10911' -k autoDeleteUnusedStats -v true") {
		t.Errorf("freeing with cleanup off: %q", r.Freeing)
	}
	var on Report
	on.estimate(leakyBroker("V5_3_3", "true"), at)
	if strings.Contains(on.Freeing, "updateBrokerConfig") || !strings.Contains(on.Freeing, "on already") {
		t.Errorf("freeing with cleanup on: %q", on.Freeing)
	}
}

// Text and JSON both carry the estimate per broker and the total; the JSON
// stays an array of reports, the total its last element.
func TestWriteTotal(t *testing.T) {
	at := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	reports := []Report{{Cluster: "ns1;ns2", Error: "no answer"}}
	for _, b := range []*snapshot.Broker{leakyBroker("V4_9_7", "false"), leakyBroker("V5_3_3", "true")} {
		r := Report{Cluster: b.Cluster, Broker: b.Name, Addr: b.Addr, Version: b.Version, LeakedStatItems: b.Leaks.Items}
		r.estimate(b, at)
		reports = append(reports, r)
	}
	sum := reports[1].LeakedStatBytes + reports[2].LeakedStatBytes

	var js bytes.Buffer
	if err := Write(&js, reports, "json"); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(js.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, js.String())
	}
	if len(got) != 4 || got[1]["leaked_stat_bytes_estimate"] != float64(reports[1].LeakedStatBytes) {
		t.Fatalf("JSON %s", js.String())
	}
	total, _ := got[3]["total"].(map[string]any)
	if len(got[3]) != 1 || total["leaked_stat_bytes_estimate"] != float64(sum) || total["brokers"] != float64(2) {
		t.Errorf("last element %v, want the total of %d bytes over 2 brokers", got[3], sum)
	}

	var text bytes.Buffer
	if err := Write(&text, reports, "text"); err != nil {
		t.Fatal(err)
	}
	out := text.String()
	for _, want := range []string{"heap held by leaked stat items: about ", "(estimate: 2 probed and 11 inferred items, costs of 4.9.7)",
		"inferred GROUP_GET_FALL_SIZE 4", "freeing it: restart the broker", "over 2 broker(s)", humanBytes(sum)} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
}
