package leakcost_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/leak"
	"github.com/rocketmq-exporter/rocketmq_exporter/leakcost"
)

// From deletion to estimate through the planner: every queue of a deleted
// topic is probed, so a broker holding the latency items of all 8 queues
// of a deleted topic for one group, and of queues 1 and 2 only of a live
// 3-queue topic for a deleted group, has each reported as one queue's item;
// the estimate infers the two moment items beside each latency item, which
// no probe can reach. The fake broker's answers are the judge of what is
// held.
func TestPlannerReportsQueuesTheEstimateInfers(t *testing.T) {
	held := map[leak.Probe]bool{
		{Stats: "TOPIC_PUT_NUMS", Key: "gone"}:            true,
		{Stats: "GROUP_GET_LATENCY", Key: "1@live@GID_b"}: true,
		{Stats: "GROUP_GET_LATENCY", Key: "2@live@GID_b"}: true,
	}
	for q := range 8 {
		held[leak.Probe{Stats: "GROUP_GET_LATENCY", Key: strconv.Itoa(q) + "@gone@GID_a"}] = true
	}
	p, err := leak.New(leak.Config{Probes: 1000, MaxTombstones: 100, Reprobe: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	boot := time.Now().Add(-time.Hour)
	listing := func(topics map[string]int, groups ...string) *leak.Listing {
		l := &leak.Listing{Key: "c/b/a:1", Boot: boot, Topics: topics, Groups: map[string]bool{},
			Pairs: map[string][]string{"gone": {"GID_a"}, "live": {"GID_b"}}}
		for _, g := range groups {
			l.Groups[g] = true
		}
		return l
	}
	round := func(l *leak.Listing) {
		probes := p.Observe(l)
		answers := make([]leak.Answer, len(probes))
		for i, pr := range probes {
			answers[i] = leak.Answer{Asked: true, Exists: held[pr]}
		}
		rep, _ := p.Record(l.Key, probes, answers)
		if l.Topics["gone"] > 0 {
			return
		}
		queues := map[string]int{}
		for _, it := range rep.Items {
			queues[it.Stats+" "+it.Key] = it.Queues
		}
		for k := range held {
			want := 1
			if k.Stats == "TOPIC_PUT_NUMS" {
				want = 0 // not a per-queue item
			}
			if q, ok := queues[k.Stats+" "+k.Key]; !ok || q != want {
				t.Errorf("%s %s: reported with %d queues (present %v), want %d", k.Stats, k.Key, q, ok, want)
			}
		}
		if len(rep.Items) != len(held) {
			t.Errorf("%d items reported, the broker holds %d: %+v", len(rep.Items), len(held), rep.Items)
		}
		e := leakcost.Of(rep, "V4_9_7", time.Hour)
		wantInferred := map[string]int{leakcost.FallSize: 8 + 2, leakcost.FallTime: 8 + 2}
		for s, n := range wantInferred {
			if e.Inferred[s] != n {
				t.Errorf("inferred %s = %d, want %d (all: %v)", s, e.Inferred[s], n, e.Inferred)
			}
		}
		if len(e.Inferred) != len(wantInferred) {
			t.Errorf("inferred %v, want only the moment items", e.Inferred)
		}
		if e.Probed != len(held) || e.Bytes <= 0 {
			t.Errorf("estimate %+v", e)
		}
	}
	round(listing(map[string]int{"gone": 8, "live": 3}, "GID_a", "GID_b"))
	round(listing(map[string]int{"live": 3})) // topic gone and both groups gone
}
