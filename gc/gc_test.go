package gc

import (
	"testing"

	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

func TestTrackerCountsWhatVanished(t *testing.T) {
	tr := NewTracker()
	b := func(topics []string, groups map[string][]string) *snapshot.Broker {
		br := &snapshot.Broker{Cluster: "c", Name: "b", Addr: "a:1", Role: snapshot.RoleMaster}
		for _, tp := range topics {
			br.Topics = append(br.Topics, snapshot.Topic{Name: tp})
		}
		for g, clients := range groups {
			grp := snapshot.Group{Name: g}
			for _, c := range clients {
				grp.Clients = append(grp.Clients, snapshot.Client{ID: c})
			}
			br.Groups = append(br.Groups, grp)
		}
		return br
	}
	s1 := &snapshot.Snapshot{Brokers: []*snapshot.Broker{b([]string{"t1", "t2"}, map[string][]string{"g1": {"c1", "c2"}, "g2": nil})}}
	tr.Track(s1)
	if s1.Entities["topic"] != 2 || s1.Entities["client"] != 2 || s1.Removed["topic"] != 0 {
		t.Fatalf("first snapshot: entities %v removed %v", s1.Entities, s1.Removed)
	}
	s2 := &snapshot.Snapshot{Brokers: []*snapshot.Broker{b([]string{"t2", "t3"}, map[string][]string{"g1": {"c2"}})}}
	tr.Track(s2)
	want := map[string]int{"cluster": 0, "broker": 0, "topic": 1, "group": 1, "client": 1}
	for k, n := range want {
		if s2.Removed[k] != n {
			t.Errorf("removed %s = %d, want %d", k, s2.Removed[k], n)
		}
	}
	s3 := &snapshot.Snapshot{}
	tr.Track(s3)
	if got := s3.Self.Removed; got["broker"] != 1 || got["cluster"] != 1 || got["topic"] != 3 || got["group"] != 2 || got["client"] != 2 {
		t.Errorf("totals %v, want 1 broker, 1 cluster, 3 topics, 2 groups, 2 clients", got)
	}
	if got := s1.Self.Removed; len(got) != len(Kinds) || got["topic"] != 0 {
		t.Errorf("first snapshot's totals %v, want every kind at 0", got)
	}
}

// TestTwinClustersCountTwice: two targets' clusters with one name are two
// clusters (their series carry different target labels).
func TestTwinClustersCountTwice(t *testing.T) {
	tr := NewTracker()
	s := &snapshot.Snapshot{Brokers: []*snapshot.Broker{
		{Cluster: "DefaultCluster", Name: "broker-a", Addr: "a:1", Target: 0},
		{Cluster: "DefaultCluster", Name: "broker-a", Addr: "b:1", Target: 1},
	}}
	tr.Track(s)
	if s.Entities["cluster"] != 2 || s.Entities["broker"] != 2 {
		t.Errorf("entities %v, want 2 clusters and 2 brokers", s.Entities)
	}
}
