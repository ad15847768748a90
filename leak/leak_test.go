package leak

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// fakeBroker is the other side of the wire for the planner: what it holds
// decides the answers, and it counts what it was asked.
type fakeBroker struct {
	held  map[Probe]bool
	asked map[Probe]int
	down  bool
}

func (f *fakeBroker) answer(ps []Probe) []Answer {
	out := make([]Answer, len(ps))
	if f.asked == nil {
		f.asked = map[Probe]int{}
	}
	for i, p := range ps {
		if f.down {
			continue
		}
		f.asked[p]++
		out[i] = Answer{Asked: true, Exists: f.held[p]}
	}
	return out
}

// cycle runs one Observe/ask/Record round.
func cycle(p *Planner, f *fakeBroker, l *Listing) (*snapshot.LeakReport, *snapshot.LMQReport, []Probe) {
	probes := p.Observe(l)
	rep, lmq := p.Record(l.Key, probes, f.answer(probes))
	return rep, lmq, probes
}

func listing(topics []string, groups []string, pairs map[string][]string) *Listing {
	l := &Listing{Key: "c/b/a:1", Boot: time.UnixMilli(1000), Topics: map[string]int{}, Groups: map[string]bool{}, Pairs: pairs, Offsets: []Offset{}}
	for _, t := range topics {
		l.Topics[t] = 4
	}
	for _, g := range groups {
		l.Groups[g] = true
	}
	return l
}

func newPlanner(t *testing.T, cfg Config) *Planner {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFindsLeftoversOfDeletions(t *testing.T) {
	f := &fakeBroker{held: map[Probe]bool{
		{"TOPIC_PUT_NUMS", "gone-t"}:                            true,
		{"GROUP_GET_NUMS", "gone-t@live-g"}:                     true,
		{"SNDBCK2DLQ_TIMES", "null@t1@gone-g@SEND_BACK_TO_DLQ"}: true,
		{"GROUP_GET_NUMS", "%LMQ%p%c1@live-g"}:                  true,
	}}
	p := newPlanner(t, Config{Probes: 1000, MaxTombstones: 100, Reprobe: time.Hour})
	cycle(p, f, listing([]string{"t1", "gone-t"}, []string{"live-g"}, map[string][]string{"gone-t": {"live-g"}, "t1": {"live-g"}}))

	cur := listing([]string{"t1", "%RETRY%gone-g", "%RETRY%live-g+t1", "%RETRY%live-g_x"}, []string{"live-g"}, nil)
	cur.Offsets = []Offset{{"t1", "gone-g", 2}, {"t1", "live-g", 1}, {"%LMQ%p%c1", "live-g", 1}}
	rep, lmq, _ := cycle(p, f, cur)

	if rep.StatItems["TOPIC_PUT_NUMS"] != 1 || rep.StatItems["GROUP_GET_NUMS"] != 1 || rep.StatItems["SNDBCK2DLQ_TIMES"] != 1 {
		t.Errorf("leaked items by stats: %v (items %+v)", rep.StatItems, rep.Items)
	}
	// %RETRY%live-g_x: group live-g lives but topic x does not, so it is
	// the retry topic of a deleted group "live-g_x", not a POP retry topic.
	if want := []string{"%RETRY%gone-g", "%RETRY%live-g_x"}; !slices.Equal(rep.LeftoverTopics, want) {
		t.Errorf("leftover topics %v, want %v", rep.LeftoverTopics, want)
	}
	if len(rep.OrphanedOffsets) != 1 || rep.OrphanedOffsets[0] != (snapshot.OrphanedOffset{Topic: "t1", Group: "gone-g", Missing: "group"}) {
		t.Errorf("orphaned offsets %+v", rep.OrphanedOffsets)
	}
	if rep.Tombstones[KindTopic] != 1 {
		t.Errorf("tombstones %v: want the deleted topic", rep.Tombstones)
	}
	if lmq == nil || lmq.Queues["p"] != 1 || lmq.StatItems != 1 {
		t.Errorf("LMQ report %+v", lmq)
	}

	// Absent keys are not asked again; held ones only after Reprobe.
	before := len(f.asked)
	_, _, probes := cycle(p, f, cur)
	if len(probes) != 0 || len(f.asked) != before {
		t.Errorf("asked %v again within the reprobe interval", probes)
	}

	// The topic re-created under the same name starts fresh.
	again := listing([]string{"t1", "gone-t", "%RETRY%gone-g", "%RETRY%live-g+t1", "%RETRY%live-g_x"}, []string{"live-g"}, nil)
	again.Offsets = cur.Offsets
	rep, _, _ = cycle(p, f, again)
	if rep.Tombstones[KindTopic] != 0 || rep.StatItems["TOPIC_PUT_NUMS"] != 0 {
		t.Errorf("after re-creation: tombstones %v, items %v", rep.Tombstones, rep.StatItems)
	}
}

// TestLiveNamesAreNeverTombstones: whatever the listing holds is live,
// however the exporter filters what it serves; only names that left it
// (or never were in it) are candidates.
func TestLiveNamesAreNeverTombstones(t *testing.T) {
	f := &fakeBroker{held: map[Probe]bool{}}
	p := newPlanner(t, DefaultConfig())
	l := listing([]string{"a", "b", "%DLQ%g2"}, []string{"g1", "g2"}, map[string][]string{"a": {"g1"}, "b": {"g2"}})
	l.Offsets = []Offset{{"a", "g1", 4}, {"b", "g2", 4}}
	for i := 0; i < 3; i++ {
		rep, _, probes := cycle(p, f, l)
		if len(rep.OrphanedOffsets)+len(rep.LeftoverTopics)+rep.Tombstones[KindTopic]+rep.Tombstones[KindGroup]+len(probes) != 0 {
			t.Fatalf("cycle %d: a live broker with nothing deleted has leftovers: %+v, probes %v", i, rep, probes)
		}
	}
}

// TestProbingIsFair: with deletions arriving every cycle (groups sorting
// before topics, which starved topic keys before), every tombstone's keys
// are all asked within ceil((backlog+1)/Probes) cycles of its burial.
func TestProbingIsFair(t *testing.T) {
	const probes = 40
	p := newPlanner(t, Config{Probes: probes, MaxTombstones: 10_000, Reprobe: time.Hour})
	f := &fakeBroker{held: map[Probe]bool{}}
	var topics, groups []string
	pairs := map[string][]string{}
	for i := 0; i < 200; i++ {
		tn, gn := fmt.Sprintf("t%03d", i), fmt.Sprintf("g%03d", i)
		topics, groups = append(topics, tn), append(groups, gn)
		pairs[tn] = []string{gn}
	}
	cycle(p, f, listing(topics, groups, maps.Clone(pairs)))
	buried := map[Probe]int{} // key -> cycle its subject went
	bound := map[Probe]int{}  // key -> latest cycle it may be asked in
	for c := 1; c <= 60; c++ {
		// Each cycle one topic and its group go: the topic's 2 keys and
		// 3 per queue (4 queues), the pair's 7 and 1 per queue, the group's
		// 4: 29 a cycle against a budget of 40, so the backlog stays bounded.
		if c <= 50 {
			gone := topics[0]
			topics, groups = topics[1:], groups[1:]
			delete(pairs, gone)
		}
		l := listing(topics, groups, maps.Clone(pairs))
		probesAsked := p.Observe(l)
		// A key is at most at position q (every queued key, itself
		// included, ahead of it): asked within ceil(q/probes) cycles.
		q := p.brokers[l.Key].backlog()
		for k, ks := range p.brokers[l.Key].keys {
			if _, ok := buried[k]; !ok && ks.state == queued {
				buried[k] = c
				bound[k] = c + (q+probes-1)/probes - 1
			}
		}
		p.Record(l.Key, probesAsked, f.answer(probesAsked))
		for k := range buried {
			if f.asked[k] == 0 && c > bound[k] {
				t.Fatalf("cycle %d: key %v buried in cycle %d not asked by cycle %d", c, k, buried[k], bound[k])
			}
		}
	}
	for k := range buried {
		if f.asked[k] != 1 {
			t.Errorf("key %v asked %d times, want once (absent keys are not asked again)", k, f.asked[k])
		}
	}
	if n := len(buried); n != 50*29 {
		t.Errorf("%d keys buried, want 50 deletions x 29 keys", n)
	}
}

// TestFailedCallsKeepTheirPlace: a broker that does not answer delays
// probing but loses no key.
func TestFailedCallsKeepTheirPlace(t *testing.T) {
	p := newPlanner(t, Config{Probes: 3, MaxTombstones: 100, Reprobe: time.Hour})
	f := &fakeBroker{held: map[Probe]bool{{"TOPIC_PUT_NUMS", "x"}: true}}
	cycle(p, f, listing([]string{"x", "y"}, nil, nil))
	l := listing([]string{"y"}, nil, nil)
	f.down = true
	for i := 0; i < 3; i++ {
		rep, _, _ := cycle(p, f, l)
		if rep.Backlog != 14 {
			t.Fatalf("backlog %d while the broker is down, want the deleted 4-queue topic's 14 keys", rep.Backlog)
		}
	}
	f.down = false
	var rep *snapshot.LeakReport
	for range (14 + 2) / 3 { // ceil(14/3) cycles at 3 probes a cycle
		rep, _, _ = cycle(p, f, l)
	}
	if rep.Backlog != 0 || rep.StatItems["TOPIC_PUT_NUMS"] != 1 {
		t.Errorf("after the broker answers again: backlog %d, items %v", rep.Backlog, rep.StatItems)
	}
}

// TestTombstonesLiveUntilTheBrokerRestarts: no TTL by default; a new boot
// time frees everything; the cap is counted, never silent.
func TestTombstonesLiveUntilTheBrokerRestarts(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	p := newPlanner(t, Config{Probes: 100, MaxTombstones: 3, Reprobe: time.Hour})
	p.now = func() time.Time { return now }
	f := &fakeBroker{held: map[Probe]bool{{"TOPIC_PUT_NUMS", "a"}: true}}
	cycle(p, f, listing([]string{"a", "b", "c", "d", "e"}, nil, nil))
	l := listing(nil, nil, nil)
	rep, _, _ := cycle(p, f, l)
	if rep.Tombstones[KindTopic] != 3 || rep.TombstonesDropped != 2 {
		t.Fatalf("tombstones %v dropped %d: want the cap of 3 kept and 2 counted", rep.Tombstones, rep.TombstonesDropped)
	}
	now = now.Add(30 * 24 * time.Hour)
	rep, _, _ = cycle(p, f, l)
	if rep.Tombstones[KindTopic] != 3 {
		t.Fatalf("a month later: tombstones %v, want them kept until the broker restarts", rep.Tombstones)
	}
	l.Boot = l.Boot.Add(time.Hour)
	rep, _, _ = cycle(p, f, l)
	if rep.Tombstones[KindTopic] != 0 || len(rep.Items) != 0 {
		t.Errorf("after the broker restarted: tombstones %v, items %v", rep.Tombstones, rep.Items)
	}
}

// TestRecalledNamesBecomeTombstones: a restarted exporter gets names from
// history; those the broker no longer lists are probed, with their pairs.
func TestRecalledNamesBecomeTombstones(t *testing.T) {
	p := newPlanner(t, DefaultConfig())
	f := &fakeBroker{held: map[Probe]bool{{"TOPIC_PUT_NUMS", "old"}: true, {"GROUP_GET_NUMS", "old@g"}: true}}
	l := listing([]string{"live"}, []string{"g"}, nil)
	p.Recall(l.Key, Recalled{Topics: []string{"old", "live"}, Groups: []string{"g"}, Pairs: [][2]string{{"old", "g"}, {"live", "g"}}})
	rep, _, _ := cycle(p, f, l)
	if rep.StatItems["TOPIC_PUT_NUMS"] != 1 || rep.StatItems["GROUP_GET_NUMS"] != 1 || rep.Tombstones[KindGroup] != 0 {
		t.Errorf("recalled: items %v, tombstones %v", rep.StatItems, rep.Tombstones)
	}
}

// TestSharedPairKeySurvivesOneOwner: a pair of a deleted topic and a
// deleted group stays followed when the topic is re-created.
func TestSharedPairKeySurvivesOneOwner(t *testing.T) {
	p := newPlanner(t, DefaultConfig())
	f := &fakeBroker{held: map[Probe]bool{{"GROUP_GET_NUMS", "t@g"}: true}}
	cycle(p, f, listing([]string{"t"}, []string{"g"}, map[string][]string{"t": {"g"}}))
	cycle(p, f, listing(nil, nil, nil))
	rep, _, _ := cycle(p, f, listing([]string{"t"}, nil, nil))
	if rep.StatItems["GROUP_GET_NUMS"] != 1 || len(rep.Items) != 1 || rep.Items[0].Subject != "g" {
		t.Errorf("after the topic came back: items %+v", rep.Items)
	}
}

func TestConfigValidation(t *testing.T) {
	for _, c := range []Config{{}, {Probes: 1, MaxTombstones: 1}, {Probes: 1, MaxTombstones: 1, Reprobe: time.Second, TTL: -1}} {
		if _, err := New(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

// TestPairOutlivesARecreatedSide: a topic and a group are deleted; the
// group comes back without the topic. The pair's items now belong to the
// deleted topic, and stay reported.
func TestPairOutlivesARecreatedSide(t *testing.T) {
	p := newPlanner(t, DefaultConfig())
	f := &fakeBroker{held: map[Probe]bool{{"GROUP_GET_NUMS", "t@g"}: true}}
	cycle(p, f, listing([]string{"t"}, []string{"g"}, map[string][]string{"t": {"g"}}))
	cycle(p, f, listing(nil, nil, nil))
	rep, _, _ := cycle(p, f, listing(nil, []string{"g"}, nil))
	if rep.StatItems["GROUP_GET_NUMS"] != 1 || len(rep.Items) != 1 || rep.Items[0].Subject != "t" {
		t.Errorf("after the group came back: items %+v", rep.Items)
	}
}

// TestRecallFromAnEarlierBootIsIgnored: names saved before the broker
// restarted lead to no item (the restart freed them all): nothing is
// probed for them.
func TestRecallFromAnEarlierBootIsIgnored(t *testing.T) {
	p := newPlanner(t, DefaultConfig())
	f := &fakeBroker{held: map[Probe]bool{}}
	l := listing([]string{"live"}, []string{"g"}, nil)
	p.Recall(l.Key, Recalled{Topics: []string{"old"}, Boot: l.Boot.Add(-time.Hour)})
	rep, _, probes := cycle(p, f, l)
	if rep.Tombstones[KindTopic] != 0 || len(probes) != 0 {
		t.Errorf("names from an earlier boot made tombstones %v and probes %v", rep.Tombstones, probes)
	}
	p.Recall(l.Key, Recalled{Topics: []string{"old"}, Boot: l.Boot})
	if rep, _, _ := cycle(p, f, l); rep.Tombstones[KindTopic] != 1 {
		t.Errorf("names from this boot: tombstones %v, want the recalled topic", rep.Tombstones)
	}
}

// TestSecondLifeKeepsTheFirstLifesPairs (checker seed 7307): a group
// consumes t1 and is deleted; it comes back consuming t2 only, and is
// deleted again. The items of t1@g from its first life are still in the
// broker (nothing but a restart frees them): the second tombstone asks
// them again and reports them, and what a state file keeps (Known) holds
// the pair, so a fresh process (audit) recalls it too.
func TestSecondLifeKeepsTheFirstLifesPairs(t *testing.T) {
	p := newPlanner(t, DefaultConfig())
	old := Probe{"GROUP_GET_NUMS", "t1@g"}
	f := &fakeBroker{held: map[Probe]bool{old: true, {"GROUP_GET_NUMS", "t2@g"}: true}}
	topics := []string{"t1", "t2"}
	cycle(p, f, listing(topics, []string{"g"}, map[string][]string{"t1": {"g"}}))
	cycle(p, f, listing(topics, nil, nil))
	cycle(p, f, listing(topics, []string{"g"}, map[string][]string{"t2": {"g"}}))
	asked := f.asked[old]
	rep, _, _ := cycle(p, f, listing(topics, nil, nil))
	for range 3 {
		rep, _, _ = cycle(p, f, listing(topics, nil, nil))
	}
	if f.asked[old] == asked {
		t.Errorf("t1@g was not asked again after the second deletion")
	}
	var keys []string
	for _, it := range rep.Items {
		keys = append(keys, it.Key)
	}
	if !slices.Contains(keys, "t1@g") || !slices.Contains(keys, "t2@g") {
		t.Errorf("after the second deletion the report holds %v, want t1@g and t2@g", keys)
	}
	known := p.Known("c/b/a:1")
	if !slices.Contains(known.Pairs, [2]string{"t1", "g"}) {
		t.Errorf("the state to save lacks t1@g: %v", known.Pairs)
	}
}

// TestFirstLifesPairsGoToTheTopicDeletedLater (checker seed 125, I3): a
// group consumes t1 and is deleted; it comes back on t2 only, and then t1
// is deleted while the group lives. The items of t1@g from the group's
// first life are still in the broker, now leaked by t1: t1's tombstone
// takes the pair from the group's first life, asks its keys and reports
// them, and what a state file keeps (Known) holds it for audit.
func TestFirstLifesPairsGoToTheTopicDeletedLater(t *testing.T) {
	p := newPlanner(t, DefaultConfig())
	dlq := Probe{"SNDBCK2DLQ_TIMES", "null@t1@g@SEND_BACK_TO_DLQ"}
	back := Probe{"SNDBCK_PUT_NUMS", "t1@g"}
	f := &fakeBroker{held: map[Probe]bool{dlq: true, back: true}}
	cycle(p, f, listing([]string{"t1", "t2"}, []string{"g"}, map[string][]string{"t1": {"g"}}))
	cycle(p, f, listing([]string{"t1", "t2"}, nil, nil))
	cycle(p, f, listing([]string{"t1", "t2"}, []string{"g"}, map[string][]string{"t2": {"g"}}))
	var rep *snapshot.LeakReport
	for range 4 {
		rep, _, _ = cycle(p, f, listing([]string{"t2"}, []string{"g"}, map[string][]string{"t2": {"g"}}))
	}
	if f.asked[dlq] == 0 || f.asked[back] == 0 {
		t.Errorf("t1@g's keys were not asked after t1's deletion: asked %v", f.asked)
	}
	if rep.StatItems["SNDBCK2DLQ_TIMES"] != 1 || rep.StatItems["SNDBCK_PUT_NUMS"] != 1 {
		t.Errorf("after t1's deletion the report holds %v (items %+v), want t1@g's two items", rep.StatItems, rep.Items)
	}
	for _, it := range rep.Items {
		if it.Subject != "t1" || it.Kind != KindTopic {
			t.Errorf("%s %s is reported against %s %s, want the deleted topic t1", it.Stats, it.Key, it.Kind, it.Subject)
		}
	}
	if known := p.Known("c/b/a:1"); !slices.Contains(known.Pairs, [2]string{"t1", "g"}) {
		t.Errorf("the state to save lacks t1@g: %v", known.Pairs)
	}
}

// TestTopicsFirstLifeGoesToTheGroupDeletedLater is the mirror: t1 is
// deleted while g consumes it, comes back without g's offsets, and then g
// is deleted: the pair's items of t1's first life are g's leak now.
func TestTopicsFirstLifeGoesToTheGroupDeletedLater(t *testing.T) {
	p := newPlanner(t, DefaultConfig())
	back := Probe{"SNDBCK_PUT_NUMS", "t1@g"}
	f := &fakeBroker{held: map[Probe]bool{back: true}}
	cycle(p, f, listing([]string{"t1"}, []string{"g"}, map[string][]string{"t1": {"g"}}))
	cycle(p, f, listing(nil, []string{"g"}, nil))
	cycle(p, f, listing([]string{"t1"}, []string{"g"}, nil))
	var rep *snapshot.LeakReport
	for range 4 {
		rep, _, _ = cycle(p, f, listing([]string{"t1"}, nil, nil))
	}
	if rep.StatItems["SNDBCK_PUT_NUMS"] != 1 || len(rep.Items) != 1 || rep.Items[0].Subject != "g" {
		t.Errorf("after g's deletion the report holds %+v, want t1@g against group g", rep.Items)
	}
}

// TestTopicsFirstLifeOutlivesThePlanner: t1 is deleted while g consumes
// it and comes back without g's offsets; what the state file keeps
// (Known) is recalled by a new planner after g was deleted while no
// exporter ran: g's tombstone takes the pair of t1's first life. So it
// does when a slow history source hands the names over only after the new
// planner saw g deleted itself.
func TestTopicsFirstLifeOutlivesThePlanner(t *testing.T) {
	p := newPlanner(t, DefaultConfig())
	back := Probe{"SNDBCK_PUT_NUMS", "t1@g"}
	f := &fakeBroker{held: map[Probe]bool{back: true}}
	cycle(p, f, listing([]string{"t1"}, []string{"g"}, map[string][]string{"t1": {"g"}}))
	cycle(p, f, listing(nil, []string{"g"}, nil))
	cycle(p, f, listing([]string{"t1"}, []string{"g"}, nil))
	known := p.Known("c/b/a:1")
	if !slices.Contains(known.Past, [2]string{"t1", "g"}) {
		t.Fatalf("the state to save lacks t1@g's first life: %+v", known)
	}
	for _, late := range []bool{false, true} {
		again := newPlanner(t, DefaultConfig())
		if late {
			cycle(again, f, listing([]string{"t1"}, []string{"g"}, nil))
			cycle(again, f, listing([]string{"t1"}, nil, nil))
		}
		again.Recall("c/b/a:1", known)
		var rep *snapshot.LeakReport
		for range 4 {
			rep, _, _ = cycle(again, f, listing([]string{"t1"}, nil, nil))
		}
		if rep.StatItems["SNDBCK_PUT_NUMS"] != 1 || len(rep.Items) != 1 || rep.Items[0].Subject != "g" {
			t.Errorf("recall after the deletion %v: the new planner reports %+v, want t1@g against group g", late, rep.Items)
		}
	}
}

// TestFirstLifeOutlivesThePlannerWhilePairedAgain (checker long seed 134):
// g consumes t1, is deleted and comes back consuming t1 again; a new
// planner recalls what the state file keeps while the pair is live again.
// Then g loses its offsets and comes back between two cycles (no deletion
// seen), and t1 is deleted: the first life's t1@g items are t1's leak, as
// the planner that saw the first life would say.
func TestFirstLifeOutlivesThePlannerWhilePairedAgain(t *testing.T) {
	p := newPlanner(t, DefaultConfig())
	back := Probe{"SNDBCK_PUT_NUMS", "t1@g"}
	f := &fakeBroker{held: map[Probe]bool{back: true}}
	paired := listing([]string{"t1"}, []string{"g"}, map[string][]string{"t1": {"g"}})
	cycle(p, f, paired)
	cycle(p, f, listing([]string{"t1"}, nil, nil))
	cycle(p, f, paired)
	again := newPlanner(t, DefaultConfig())
	again.Recall("c/b/a:1", p.Known("c/b/a:1"))
	cycle(again, f, paired)
	cycle(again, f, listing([]string{"t1"}, []string{"g"}, nil))
	var rep *snapshot.LeakReport
	for range 4 {
		rep, _, _ = cycle(again, f, listing(nil, []string{"g"}, nil))
	}
	if rep.StatItems["SNDBCK_PUT_NUMS"] != 1 || len(rep.Items) != 1 || rep.Items[0].Subject != "t1" {
		t.Errorf("after t1's deletion the new planner reports %+v, want t1@g against topic t1", rep.Items)
	}
}

// TestForgottenBrokersStayDeparted: a master the poller stops collecting
// (killed, out of the namesrv past the grace cycles) is listed by
// Departed until it is observed again, so audit can tell that a master
// of the cluster, and whatever topics it holds, is missing.
func TestForgottenBrokersStayDeparted(t *testing.T) {
	p := newPlanner(t, DefaultConfig())
	f := &fakeBroker{}
	a, b := listing([]string{"t"}, []string{"g"}, nil), listing([]string{"t"}, []string{"g"}, nil)
	b.Key = "c/b2/a:2"
	cycle(p, f, a)
	cycle(p, f, b)
	p.Forget(map[string]bool{a.Key: true})
	if got := p.Departed(); !slices.Equal(got, []string{b.Key}) {
		t.Fatalf("Departed() = %v after forgetting %s, want [%s]", got, b.Key, b.Key)
	}
	p.Forget(map[string]bool{a.Key: true}) // forgotten already: listed once
	if got := p.Departed(); len(got) != 1 {
		t.Fatalf("Departed() = %v after a second Forget, want [%s]", got, b.Key)
	}
	cycle(p, f, b)
	if got := p.Departed(); len(got) != 0 {
		t.Errorf("Departed() = %v after %s was observed again, want none", got, b.Key)
	}
}
