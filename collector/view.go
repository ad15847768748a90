package collector

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/internal/defect"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// view is one Collect's reading of a snapshot: the snapshot plus the
// indexes the families share. It is built per Collect and never kept.
type view struct {
	s   *snapshot.Snapshot
	now time.Time

	// procs are the broker processes, one per (cluster, name, id), whose
	// broker-level families this replica serves: all of them unless
	// --shard.count gives each replica its own brokers.
	procs []proc
	// entities hold one broker per (cluster, name): the one whose topics,
	// groups and producers are served under that broker name (a replica's
	// snapshot holds only its share of those).
	entities []*snapshot.Broker
	// names are the entities whose per-name broker families (counts,
	// leaks) this replica serves, as procs are for the per-process ones.
	names []*snapshot.Broker
	// all are every broker process, for the families about this
	// replica's own calls (family.replica).
	all []proc
	// business indexes, per entity broker, its application groups
	// (eachGroup), built on first use.
	business [][]int32
	// masters maps cluster+"\x00"+name to the broker with ID 0.
	masters map[string]*snapshot.Broker

	// compat aggregates, built on first use
	aggBuilt    bool
	groupAggs   []*groupAgg
	gtAggs      []*gtAgg
	clientsRows []clientRow
	clientsDone bool

	// targets are the per-target views when there are several targets
	// (each only its target's brokers); target is such a view's name.
	targets []*view
	target  string

	dropped     map[string]int // families left out by --collect.max-series
	served      map[string]int // series served per family so far
	servedOrder []string
}

// proc is one broker process with its preformatted id label.
type proc struct {
	b  *snapshot.Broker
	id string
}

// brokerKey names a broker group. The target is part of it: two targets
// may each have a DefaultCluster/broker-a, and they are not one group.
func brokerKey(b *snapshot.Broker) string {
	if defect.On(defect.MergedTwins) {
		return b.Cluster + "\x00" + b.Name
	}
	return strconv.Itoa(b.Target) + "\x00" + b.Cluster + "\x00" + b.Name
}

func hasEntities(b *snapshot.Broker) bool {
	return len(b.Topics) > 0 || len(b.Groups) > 0 || len(b.Producers) > 0
}

func newView(s *snapshot.Snapshot, now time.Time) *view {
	v := &view{s: s, now: now, masters: map[string]*snapshot.Broker{}, dropped: map[string]int{}, served: map[string]int{}}

	// Group the brokers by (target, cluster, name), keeping first-seen order.
	type run struct{ bs []*snapshot.Broker }
	var order []string
	runs := map[string]*run{}
	for _, b := range s.Brokers {
		if b == nil {
			continue
		}
		k := brokerKey(b)
		r := runs[k]
		if r == nil {
			r = &run{}
			runs[k] = r
			order = append(order, k)
		}
		r.bs = append(r.bs, b)
	}
	for _, k := range order {
		bs := runs[k].bs
		// One process per id: two entries with one id (an address change
		// caught mid-cycle) would be duplicate series; the one that is up
		// wins, then the first.
		byID := map[int64]int{}
		var ps []proc
		for _, b := range bs {
			if i, ok := byID[b.ID]; ok {
				if !ps[i].b.Up && b.Up {
					ps[i].b = b
				}
				continue
			}
			byID[b.ID] = len(ps)
			ps = append(ps, proc{b: b, id: strconv.FormatInt(b.ID, 10)})
		}
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].b.ID < ps[j].b.ID })
		v.all = append(v.all, ps...)
		owned := s.Shard.OwnsBroker(ps[0].b.Cluster, ps[0].b.Name)
		if owned {
			v.procs = append(v.procs, ps...)
		}

		// Entities come from the master, the lowest id: slaves have none of
		// their own. A name whose master is not listed is served from its
		// lowest-id slave, for the name's own families.
		entity := ps[0].b
		if entity.ID == 0 {
			v.masters[k] = entity
		}
		v.entities = append(v.entities, entity)
		if owned {
			v.names = append(v.names, entity)
		}
	}
	return v
}

// splitTargets gives v one view per target, named as names says: the
// snapshot with only that target and its brokers, so no family can merge
// two targets' series. A broker whose target is not among names (none
// should be) is in no target's view.
func (v *view) splitTargets(names []string) {
	byTarget := make([][]*snapshot.Broker, len(names))
	for _, b := range v.s.Brokers {
		if b != nil && b.Target >= 0 && b.Target < len(names) {
			byTarget[b.Target] = append(byTarget[b.Target], b)
		}
	}
	for i, name := range names {
		sub := *v.s
		sub.Targets, sub.Brokers = nil, byTarget[i]
		if i < len(v.s.Targets) {
			sub.Targets = v.s.Targets[i : i+1]
		}
		tv := newView(&sub, v.now)
		tv.target = name
		v.targets = append(v.targets, tv)
	}
}

// eachTopic calls fn for every topic of every entity broker.
func (v *view) eachTopic(fn func(b *snapshot.Broker, t *snapshot.Topic)) {
	for _, b := range v.entities {
		for i := range b.Topics {
			fn(b, &b.Topics[i])
		}
	}
}

// eachGroup calls fn for every application consumer group of every entity
// broker. The groups RocketMQ keeps for itself are only counted
// (rocketmq_broker_consumer_groups{kind="system"}): no application
// consumes under them, so their series would read as groups nobody serves.
func (v *view) eachGroup(fn func(b *snapshot.Broker, g *snapshot.Group)) {
	if v.business == nil {
		v.classify()
	}
	for e, b := range v.entities {
		for _, i := range v.business[e] {
			fn(b, &b.Groups[i])
		}
	}
}

// classify finds the application groups of every entity broker once per
// view: a few dozen families walk them, and classifying a name is a map
// look-up and a prefix test.
func (v *view) classify() {
	v.business = make([][]int32, len(v.entities))
	for e, b := range v.entities {
		idx := make([]int32, 0, len(b.Groups))
		for i := range b.Groups {
			if snapshot.ClassifyGroup(b.Groups[i].Name) != snapshot.GroupSystem {
				idx = append(idx, int32(i))
			}
		}
		v.business[e] = idx
	}
}

// eachGroupTopic calls fn for every topic of every group.
func (v *view) eachGroupTopic(fn func(b *snapshot.Broker, g *snapshot.Group, gt *snapshot.GroupTopic)) {
	v.eachGroup(func(b *snapshot.Broker, g *snapshot.Group) {
		for i := range g.Topics {
			fn(b, g, &g.Topics[i])
		}
	})
}

// eachClient calls fn for every online client of every group, once per
// client id: a client with several connections is listed once for each.
func (v *view) eachClient(fn func(b *snapshot.Broker, g *snapshot.Group, c *snapshot.Client)) {
	v.eachGroup(func(b *snapshot.Broker, g *snapshot.Group) {
		for i := range g.Clients {
			if i > 0 && g.Clients[i-1].ID == g.Clients[i].ID {
				continue
			}
			fn(b, g, &g.Clients[i])
		}
	})
}

// eachProducer calls fn for every producer group of every entity broker.
func (v *view) eachProducer(fn func(b *snapshot.Broker, p *snapshot.ProducerGroup)) {
	for _, b := range v.entities {
		for i := range b.Producers {
			fn(b, &b.Producers[i])
		}
	}
}

// findTopic finds a topic by name in a broker's sorted topic list.
func findTopic(b *snapshot.Broker, name string) *snapshot.Topic {
	i := sort.Search(len(b.Topics), func(i int) bool { return b.Topics[i].Name >= name })
	if i < len(b.Topics) && b.Topics[i].Name == name {
		return &b.Topics[i]
	}
	return nil
}

// findGroupTopic finds a group's progress on one topic in its sorted list.
func findGroupTopic(g *snapshot.Group, topic string) *snapshot.GroupTopic {
	i := sort.Search(len(g.Topics), func(i int) bool { return g.Topics[i].Topic >= topic })
	if i < len(g.Topics) && g.Topics[i].Topic == topic {
		return &g.Topics[i]
	}
	return nil
}

// isBroadcast tells whether a group consumes in broadcasting mode. Only the
// connection list says so: consumeBroadcastEnable in the group's config
// defaults to true and only permits broadcasting, so a group nobody is
// consuming counts as CLUSTERING, as the Java exporter counted it.
func isBroadcast(g *snapshot.Group) bool {
	return strings.EqualFold(g.MessageModel, "BROADCASTING")
}

// groupAgg is one consumer group across every entity broker.
type groupAgg struct {
	name      string
	broadcast bool
	first     []snapshot.Client
	ids       map[string]struct{}
	onlineStr string
}

func (a *groupAgg) addClients(cs []snapshot.Client) {
	if len(cs) == 0 {
		return
	}
	if a.ids == nil && a.first == nil {
		a.first = cs
		return
	}
	if a.ids == nil {
		a.ids = make(map[string]struct{}, len(a.first)+len(cs))
		for _, c := range a.first {
			a.ids[c.ID] = struct{}{}
		}
	}
	for _, c := range cs {
		a.ids[c.ID] = struct{}{}
	}
}

func (a *groupAgg) online() int {
	if a.ids != nil {
		return len(a.ids)
	}
	n := 0
	for i, c := range a.first {
		if i == 0 || a.first[i-1].ID != c.ID {
			n++
		}
	}
	return n
}

// gtAgg is one group's lag on one topic summed over every entity broker.
type gtAgg struct {
	g     *groupAgg
	topic string
	lag   int64
}

// aggregates builds the cross-broker sums of the Java families that carry
// no broker label.
func (v *view) aggregates() ([]*groupAgg, []*gtAgg) {
	if v.aggBuilt {
		return v.groupAggs, v.gtAggs
	}
	v.aggBuilt = true
	groups := map[string]*groupAgg{}
	type pair struct{ group, topic string } // no concatenated key per pair
	gts := map[pair]*gtAgg{}
	v.eachGroup(func(b *snapshot.Broker, g *snapshot.Group) {
		a := groups[g.Name]
		if a == nil {
			a = &groupAgg{name: g.Name}
			groups[g.Name] = a
			v.groupAggs = append(v.groupAggs, a)
		}
		a.broadcast = a.broadcast || isBroadcast(g)
		a.addClients(g.Clients)
		for i := range g.Topics {
			gt := &g.Topics[i]
			k := pair{g.Name, gt.Topic}
			x := gts[k]
			if x == nil {
				x = &gtAgg{g: a, topic: gt.Topic}
				gts[k] = x
				v.gtAggs = append(v.gtAggs, x)
			}
			x.lag += gt.Lag
		}
	})
	for _, a := range v.groupAggs {
		a.onlineStr = strconv.Itoa(a.online())
	}
	return v.groupAggs, v.gtAggs
}

// clientRow is one client's own figures for one topic, for the Java client
// families, which have no broker label: the first broker that reported a
// client's figures wins.
type clientRow struct {
	group, id, addr, topic string
	r                      snapshot.ClientRunning
}

func (v *view) clientRows() []clientRow {
	if v.clientsDone {
		return v.clientsRows
	}
	v.clientsDone = true
	seen := map[string]bool{}
	v.eachClient(func(b *snapshot.Broker, g *snapshot.Group, c *snapshot.Client) {
		if len(c.Running) == 0 {
			return
		}
		k := g.Name + "\x00" + c.ID
		if seen[k] {
			return
		}
		seen[k] = true
		for topic, r := range c.Running {
			v.clientsRows = append(v.clientsRows, clientRow{group: g.Name, id: c.ID, addr: c.Addr, topic: topic, r: r})
		}
	})
	return v.clientsRows
}

// seconds turns a time into Unix seconds.
// Millisecond resolution: every broker time is in ms, and ms/1000 prints
// exactly where nanoseconds would not.
func seconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// msToSeconds turns a millisecond figure into seconds.
func msToSeconds(ms float64) float64 { return ms / 1000 }

// windowTPS, windowBytes and windowSum read one figure of a broker stat
// item's minute window; a window not read (nil) gives none.
func windowTPS(w *snapshot.Window) (float64, bool) {
	if w == nil {
		return 0, false
	}
	return w.TPS, true
}

func windowBytes(w *snapshot.Window) (float64, bool) {
	if w == nil {
		return 0, false
	}
	return w.BytesPerSec, true
}

func windowSum(w *snapshot.Window) (float64, bool) {
	if w == nil {
		return 0, false
	}
	return float64(w.Sum), true
}

// distinctIDs counts the distinct client ids of a list sorted by id (a
// client can hold several connections).
func distinctIDs[T any](clients []T, id func(T) string) int {
	n := 0
	for i := range clients {
		if i == 0 || id(clients[i-1]) != id(clients[i]) {
			n++
		}
	}
	return n
}

func consumerID(c snapshot.Client) string         { return c.ID }
func producerID(c snapshot.ProducerClient) string { return c.ID }
