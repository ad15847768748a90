package leakcost_test

import (
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/leak"
	"github.com/rocketmq-exporter/rocketmq_exporter/leakcost"
)

// From deletion to estimate through the planner: a broker that still holds
// the queue-0 latency item of a deleted 8-queue topic (and of a deleted
// group on a live 3-queue topic) has the planner report the queue counts,
// and the estimate infers the other queues and the moment items beside
// them. The fake broker's answers are the judge of what is held.
func TestPlannerReportsQueuesTheEstimateInfers(t *testing.T) {
	held := map[leak.Probe]bool{
		{Stats: "GROUP_GET_LATENCY", Key: "0@gone@GID_a"}: true,
		{Stats: "GROUP_GET_LATENCY", Key: "0@live@GID_b"}: true,
		{Stats: "TOPIC_PUT_NUMS", Key: "gone"}:            true,
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
		want := map[string]int{"GROUP_GET_LATENCY 0@gone@GID_a": 8, "GROUP_GET_LATENCY 0@live@GID_b": 3, "TOPIC_PUT_NUMS gone": 0}
		for k, n := range want {
			if q, ok := queues[k]; !ok || q != n {
				t.Errorf("%s: reported with %d queues (present %v), want %d", k, q, ok, n)
			}
		}
		e := leakcost.Of(rep, "V4_9_7", time.Hour)
		wantInferred := map[string]int{"GROUP_GET_LATENCY": 7 + 2, leakcost.FallSize: 8 + 3, leakcost.FallTime: 8 + 3}
		for s, n := range wantInferred {
			if e.Inferred[s] != n {
				t.Errorf("inferred %s = %d, want %d (all: %v)", s, e.Inferred[s], n, e.Inferred)
			}
		}
		if e.Probed != 3 || e.Bytes <= 0 {
			t.Errorf("estimate %+v", e)
		}
	}
	round(listing(map[string]int{"gone": 8, "live": 3}, "GID_a", "GID_b"))
	round(listing(map[string]int{"live": 3})) // topic gone and both groups gone
}
