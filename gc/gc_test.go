package gc

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting/remotingtest"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

func TestTrackerCountsWhatVanished(t *testing.T) {
	tr := NewTracker(nil)
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
	tr.Observe(s1)
	if s1.Entities["topic"] != 2 || s1.Entities["client"] != 2 || s1.Removed["topic"] != 0 {
		t.Fatalf("first snapshot: entities %v removed %v", s1.Entities, s1.Removed)
	}
	s2 := &snapshot.Snapshot{Brokers: []*snapshot.Broker{b([]string{"t2", "t3"}, map[string][]string{"g1": {"c2"}})}}
	tr.Observe(s2)
	want := map[string]int{"cluster": 0, "broker": 0, "topic": 1, "group": 1, "client": 1}
	for k, n := range want {
		if s2.Removed[k] != n {
			t.Errorf("removed %s = %d, want %d", k, s2.Removed[k], n)
		}
	}
	tr.Observe(&snapshot.Snapshot{})
	if got := tr.Totals(); got["broker"] != 1 || got["cluster"] != 1 || got["topic"] != 3 {
		t.Errorf("totals %v", got)
	}
}

// fakeBroker answers GET_ALL_CONSUMER_OFFSET with offsets and
// VIEW_BROKER_STATS_DATA with success for the keys in held.
type fakeBroker struct {
	mu      sync.Mutex
	offsets string
	held    map[string]bool // "NAME KEY"
	asked   []string
}

func (f *fakeBroker) serve(t *testing.T) string {
	return remotingtest.Serve(t, func(req *remoting.Command, _ string) *remoting.Command {
		f.mu.Lock()
		defer f.mu.Unlock()
		switch req.Code {
		case remoting.GetAllConsumerOffset:
			return &remoting.Command{Body: []byte(f.offsets)}
		case remoting.ViewBrokerStatsData:
			k := req.ExtFields["statsName"] + " " + req.ExtFields["statsKey"]
			f.asked = append(f.asked, k)
			if f.held[k] {
				return &remoting.Command{Body: []byte(`{"statsDay":{"avgpt":0.0,"sum":0,"tps":0.0},"statsHour":{"avgpt":0.0,"sum":0,"tps":0.0},"statsMinute":{"avgpt":0.0,"sum":0,"tps":0.0}}`)}
			}
			return &remoting.Command{Code: 1, Remark: "The stats <" + req.ExtFields["statsName"] + "> <" + req.ExtFields["statsKey"] + "> not exist"}
		}
		return &remoting.Command{Code: remoting.CodeRequestCodeNotSupported}
	})
}

func TestProberFindsLeftoversOfDeletions(t *testing.T) {
	fb := &fakeBroker{
		// gone-g still has offsets on t1; %LMQ% offsets are not orphans.
		offsets: `{"offsetTable":{"t1@gone-g":{0:5,1:7},"t1@live-g":{0:1},"%LMQ%p%c1@live-g":{0:2}}}`,
		held: map[string]bool{
			"TOPIC_PUT_NUMS gone-t":                            true,
			"GROUP_GET_NUMS gone-t@live-g":                     true,
			"SNDBCK2DLQ_TIMES null@t1@gone-g@SEND_BACK_TO_DLQ": true,
			"GROUP_GET_NUMS %LMQ%p%c1@live-g":                  true,
		},
	}
	addr := fb.serve(t)
	rc := remoting.NewClient(remoting.Options{})
	defer rc.Close()
	p := NewProber(admin.New(rc), ProberConfig{MaxProbes: 1000})
	prev := &snapshot.Broker{Cluster: "c", Name: "b", Addr: addr, Role: snapshot.RoleMaster,
		Topics: []snapshot.Topic{{Name: "t1"}, {Name: "gone-t", WriteQueues: 2}},
		Groups: []snapshot.Group{{Name: "live-g", Topics: []snapshot.GroupTopic{{Topic: "gone-t"}, {Topic: "t1"}}}}}
	cur := &snapshot.Broker{Cluster: "c", Name: "b", Addr: addr, Role: snapshot.RoleMaster,
		Topics: []snapshot.Topic{{Name: "t1"}, {Name: "%RETRY%gone-g", Kind: snapshot.KindRetry}, {Name: "%RETRY%live-g+t1", Kind: snapshot.KindRetry}},
		Groups: []snapshot.Group{{Name: "live-g"}}}
	rep := p.Probe(context.Background(), cur, prev)

	if rep.StatItems["TOPIC_PUT_NUMS"] != 1 || rep.StatItems["GROUP_GET_NUMS"] != 1 || rep.StatItems["SNDBCK2DLQ_TIMES"] != 1 {
		t.Errorf("leaked items by stats: %v (items %+v)", rep.StatItems, rep.Items)
	}
	if !slices.Equal(rep.LeftoverTopics, []string{"%RETRY%gone-g"}) {
		t.Errorf("leftover topics %v: want only %%RETRY%%gone-g (a POP retry topic of a live group is not a leftover)", rep.LeftoverTopics)
	}
	if len(rep.OrphanedOffsets) != 1 || rep.OrphanedOffsets[0] != (snapshot.OrphanedOffset{Topic: "t1", Group: "gone-g", Missing: "group"}) {
		t.Errorf("orphaned offsets %+v", rep.OrphanedOffsets)
	}
	if rep.Tombstones["topic"] != 1 {
		t.Errorf("tombstones %v: want the deleted topic", rep.Tombstones)
	}
	if cur.LMQ == nil || cur.LMQ.Queues["p"] != 1 || cur.LMQ.StatItems != 1 {
		t.Errorf("LMQ report %+v", cur.LMQ)
	}

	// Probing is bounded per cycle, and results are not asked again before
	// Reprobe.
	fb.mu.Lock()
	asked := len(fb.asked)
	fb.mu.Unlock()
	p.Probe(context.Background(), cur, cur)
	fb.mu.Lock()
	again := len(fb.asked) - asked
	fb.mu.Unlock()
	if again != 0 {
		t.Errorf("%d keys asked again within the reprobe interval", again)
	}

	// The topic re-created under the same name starts fresh: no tombstone.
	cur2 := *cur
	cur2.Topics = append(slices.Clone(cur.Topics), snapshot.Topic{Name: "gone-t"})
	rep = p.Probe(context.Background(), &cur2, cur)
	if rep.Tombstones["topic"] != 0 || rep.StatItems["TOPIC_PUT_NUMS"] != 0 {
		t.Errorf("after re-creation: tombstones %v, items %v", rep.Tombstones, rep.StatItems)
	}
}

func TestProberBudget(t *testing.T) {
	fb := &fakeBroker{offsets: `{"offsetTable":{}}`, held: map[string]bool{}}
	addr := fb.serve(t)
	rc := remoting.NewClient(remoting.Options{})
	defer rc.Close()
	p := NewProber(admin.New(rc), ProberConfig{MaxProbes: 7, Reprobe: time.Hour})
	prev := &snapshot.Broker{Cluster: "c", Name: "b", Addr: addr}
	for i := 0; i < 20; i++ {
		prev.Topics = append(prev.Topics, snapshot.Topic{Name: "t" + string(rune('a'+i))})
	}
	cur := &snapshot.Broker{Cluster: "c", Name: "b", Addr: addr}
	p.Probe(context.Background(), cur, prev)
	fb.mu.Lock()
	defer fb.mu.Unlock()
	if len(fb.asked) != 7 {
		t.Fatalf("asked %d keys in one cycle, want the budget of 7", len(fb.asked))
	}
}
