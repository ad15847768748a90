// Package snapshottest builds snapshots for tests. A snapshot it builds
// holds what the poller guarantees of every snapshot it publishes (listed
// in package snapshot's doc), so code that reads snapshots, the collector
// first, relies on those guarantees instead of re-deriving them, and its
// tests cannot feed it what no poller makes. Asked for such a snapshot, the
// builder fails the test.
//
//	b := snapshottest.New(t, snapshot.Snapshot{Seq: 1, Started: start, Finished: end})
//	east := b.Target(snapshot.Target{Name: "east", Namesrvs: []string{"10.0.0.1:9876"}, Up: true})
//	b.Broker(east, &snapshot.Broker{Cluster: "C", Name: "broker-a", Addr: "10.0.0.2:10911", Up: true,
//		Topics: []snapshot.Topic{{Name: "orders"}}})
//	s := b.Snapshot()
package snapshottest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// Builder assembles one snapshot. It is used by one goroutine, the test's.
type Builder struct {
	t testing.TB
	s *snapshot.Snapshot
}

// New starts a snapshot from head's cycle fields (Seq, Started, Finished,
// Overran, Entities, Removed, RPCs). Targets and brokers come through
// Target and Broker, which know how the poller fills them: head must have
// none.
func New(t testing.TB, head snapshot.Snapshot) *Builder {
	t.Helper()
	if len(head.Targets) > 0 || len(head.Brokers) > 0 {
		t.Fatalf("snapshottest.New: head has %d targets and %d brokers; add them with Target and Broker", len(head.Targets), len(head.Brokers))
	}
	return &Builder{t: t, s: &head}
}

// Target adds a namesrv target and returns its index, for Broker.
func (b *Builder) Target(tg snapshot.Target) int {
	b.s.Targets = append(b.s.Targets, &tg)
	return len(b.s.Targets) - 1
}

// Broker adds br as listed by target and completes it as the poller
// would: its Target, its Role from its ID when not given, its topics,
// groups, group topics, producer groups and clients sorted, and each
// topic's Kind when not given. It returns br, changed in place. What the
// poller would not have made (a duplicate, a Kind or Role that contradicts
// the name or ID, a slave with topics) fails the test in Snapshot.
func (b *Builder) Broker(target int, br *snapshot.Broker) *snapshot.Broker {
	br.Target = target
	if br.Role == "" {
		br.Role = roleOf(br.ID)
	}
	slices.SortStableFunc(br.Topics, func(x, y snapshot.Topic) int { return strings.Compare(x.Name, y.Name) })
	for i := range br.Topics {
		if br.Topics[i].Kind == "" {
			br.Topics[i].Kind = kindOf(br, br.Topics[i].Name)
		}
	}
	slices.SortStableFunc(br.Groups, func(x, y snapshot.Group) int { return strings.Compare(x.Name, y.Name) })
	for i := range br.Groups {
		g := &br.Groups[i]
		slices.SortStableFunc(g.Topics, func(x, y snapshot.GroupTopic) int { return strings.Compare(x.Topic, y.Topic) })
		slices.SortStableFunc(g.Clients, func(x, y snapshot.Client) int { return strings.Compare(x.ID, y.ID) })
	}
	slices.SortStableFunc(br.Producers, func(x, y snapshot.ProducerGroup) int { return strings.Compare(x.Name, y.Name) })
	for i := range br.Producers {
		p := &br.Producers[i]
		slices.SortStableFunc(p.Clients, func(x, y snapshot.ProducerClient) int { return strings.Compare(x.ID, y.ID) })
	}
	b.s.Brokers = append(b.s.Brokers, br)
	return br
}

// Snapshot sorts the brokers by Key, checks the whole (see Check) and
// returns it.
func (b *Builder) Snapshot() *snapshot.Snapshot {
	b.t.Helper()
	slices.SortStableFunc(b.s.Brokers, func(x, y *snapshot.Broker) int { return cmp.Compare(x.Key(), y.Key()) })
	Check(b.t, b.s)
	return b.s
}

// roleOf is the role the poller gives a broker: broker id 0 is the master.
func roleOf(id int64) string {
	if id == 0 {
		return snapshot.RoleMaster
	}
	return snapshot.RoleSlave
}

// kindOf is the kind the poller gives a topic of broker br: by its name,
// and system for the topics every broker keeps named after itself and its
// cluster.
func kindOf(br *snapshot.Broker, topic string) snapshot.TopicKind {
	if topic == br.Name || topic == br.Cluster {
		return snapshot.KindSystem
	}
	return snapshot.ClassifyTopic(topic)
}

// Check fails t, naming every problem, unless s holds what the poller
// guarantees of each snapshot it publishes. It changes nothing: it is as
// much for snapshots a poller made as for those a Builder made.
func Check(t testing.TB, s *snapshot.Snapshot) {
	t.Helper()
	if s == nil {
		t.Fatalf("snapshot: nil")
		return
	}
	var errs []string
	for i, tg := range s.Targets {
		if tg == nil {
			errs = append(errs, fmt.Sprintf("target %d is nil", i))
		}
	}
	for i, br := range s.Brokers {
		switch {
		case br == nil:
			errs = append(errs, fmt.Sprintf("broker %d is nil", i))
			continue
		case i > 0 && s.Brokers[i-1] != nil && s.Brokers[i-1].Key() >= br.Key():
			errs = append(errs, fmt.Sprintf("broker %s: not after %s (brokers are sorted by Key, each once)", br.Key(), s.Brokers[i-1].Key()))
		}
		errs = append(errs, checkBroker(s, br)...)
	}
	if len(errs) > 0 {
		t.Fatalf("snapshot %d is not one the poller makes:\n\t%s", s.Seq, strings.Join(errs, "\n\t"))
	}
}

// checkBroker lists what is wrong with one broker.
func checkBroker(s *snapshot.Snapshot, br *snapshot.Broker) []string {
	var errs []string
	bad := func(format string, args ...any) {
		errs = append(errs, "broker "+br.Key()+": "+fmt.Sprintf(format, args...))
	}
	if br.Target < 0 || br.Target >= len(s.Targets) {
		bad("target %d, and the snapshot has %d targets", br.Target, len(s.Targets))
	}
	if want := roleOf(br.ID); br.Role != want {
		bad("role %q with id %d, want %q", br.Role, br.ID, want)
	}
	if br.Up && br.Stale {
		bad("up and stale: only a broker that did not answer is carried over")
	}
	if br.ID != 0 && (len(br.Topics) > 0 || len(br.Groups) > 0 || len(br.Producers) > 0) {
		bad("a slave with topics, groups or producers: the poller lists them on masters only")
	}
	for _, e := range sortedUnique("topic", br.Topics, func(t snapshot.Topic) string { return t.Name }) {
		bad("%s", e)
	}
	for i := range br.Topics {
		if t := &br.Topics[i]; t.Kind != kindOf(br, t.Name) {
			bad("topic %q of kind %q, want %q", t.Name, t.Kind, kindOf(br, t.Name))
		}
	}
	for _, e := range sortedUnique("group", br.Groups, func(g snapshot.Group) string { return g.Name }) {
		bad("%s", e)
	}
	for i := range br.Groups {
		errs = append(errs, checkGroup(br, &br.Groups[i])...)
	}
	for _, e := range sortedUnique("producer group", br.Producers, func(p snapshot.ProducerGroup) string { return p.Name }) {
		bad("%s", e)
	}
	for i := range br.Producers {
		p := &br.Producers[i]
		if !slices.IsSortedFunc(p.Clients, func(x, y snapshot.ProducerClient) int { return strings.Compare(x.ID, y.ID) }) {
			bad("producer group %q: clients not sorted by id", p.Name)
		}
	}
	return errs
}

// checkGroup lists what is wrong with one consumer group. A client id may
// appear more than once: a client can hold several connections, and the
// connection list names each.
func checkGroup(br *snapshot.Broker, g *snapshot.Group) []string {
	var errs []string
	for _, e := range sortedUnique("topic", g.Topics, func(gt snapshot.GroupTopic) string { return gt.Topic }) {
		errs = append(errs, fmt.Sprintf("broker %s: group %q: %s", br.Key(), g.Name, e))
	}
	if !slices.IsSortedFunc(g.Clients, func(x, y snapshot.Client) int { return strings.Compare(x.ID, y.ID) }) {
		errs = append(errs, fmt.Sprintf("broker %s: group %q: clients not sorted by id", br.Key(), g.Name))
	}
	return errs
}

// sortedUnique lists the names of xs that are out of order or repeated.
func sortedUnique[T any](what string, xs []T, name func(T) string) []string {
	var errs []string
	for i := 1; i < len(xs); i++ {
		switch prev, cur := name(xs[i-1]), name(xs[i]); {
		case prev == cur:
			errs = append(errs, fmt.Sprintf("%s %q twice", what, cur))
		case prev > cur:
			errs = append(errs, fmt.Sprintf("%s %q before %q (sorted by name)", what, prev, cur))
		}
	}
	return errs
}
