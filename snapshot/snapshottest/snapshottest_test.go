package snapshottest_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot/snapshottest"
)

// fatal is a testing.TB whose Fatalf records the message and ends the
// goroutine, as testing's does.
type fatal struct {
	testing.TB
	msg string
}

func (f *fatal) Helper() {}

func (f *fatal) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// failure runs build with a recording TB and returns what it failed with.
func failure(t *testing.T, build func(tb testing.TB)) string {
	t.Helper()
	f := &fatal{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		build(f)
	}()
	<-done
	return f.msg
}

// master is a minimal broker the poller could have made.
func master(name string) *snapshot.Broker {
	return &snapshot.Broker{Cluster: "C", Name: name, Addr: "10.0.0.1:10911", Up: true}
}

// TestBuilderRefusesWhatNoPollerMakes: each case is one thing the poller
// never publishes; the builder names it and fails the test.
func TestBuilderRefusesWhatNoPollerMakes(t *testing.T) {
	cases := []struct {
		name, want string
		build      func(b *snapshottest.Builder)
	}{
		{"topic twice", `topic "orders" twice`, func(b *snapshottest.Builder) {
			b.Broker(0, &snapshot.Broker{Cluster: "C", Name: "a", Addr: "x", Topics: []snapshot.Topic{{Name: "orders"}, {Name: "orders"}}})
		}},
		{"kind against the name", `topic "%RETRY%g" of kind "normal", want "retry"`, func(b *snapshottest.Builder) {
			b.Broker(0, &snapshot.Broker{Cluster: "C", Name: "a", Addr: "x", Topics: []snapshot.Topic{{Name: "%RETRY%g", Kind: snapshot.KindNormal}}})
		}},
		{"broker-named topic not system", `topic "a" of kind "normal", want "system"`, func(b *snapshottest.Builder) {
			b.Broker(0, &snapshot.Broker{Cluster: "C", Name: "a", Addr: "x", Topics: []snapshot.Topic{{Name: "a", Kind: snapshot.KindNormal}}})
		}},
		{"role against the id", `role "master" with id 1`, func(b *snapshottest.Builder) {
			b.Broker(0, &snapshot.Broker{Cluster: "C", Name: "a", ID: 1, Addr: "x", Role: snapshot.RoleMaster})
		}},
		{"slave with topics", "a slave with topics", func(b *snapshottest.Builder) {
			b.Broker(0, &snapshot.Broker{Cluster: "C", Name: "a", ID: 1, Addr: "x", Topics: []snapshot.Topic{{Name: "t"}}})
		}},
		{"group twice", `group "g" twice`, func(b *snapshottest.Builder) {
			b.Broker(0, &snapshot.Broker{Cluster: "C", Name: "a", Addr: "x", Groups: []snapshot.Group{{Name: "g"}, {Name: "g"}}})
		}},
		{"group topic twice", `group "g": topic "t" twice`, func(b *snapshottest.Builder) {
			b.Broker(0, &snapshot.Broker{Cluster: "C", Name: "a", Addr: "x",
				Groups: []snapshot.Group{{Name: "g", Topics: []snapshot.GroupTopic{{Topic: "t"}, {Topic: "t"}}}}})
		}},
		{"producer group twice", `producer group "p" twice`, func(b *snapshottest.Builder) {
			b.Broker(0, &snapshot.Broker{Cluster: "C", Name: "a", Addr: "x", Producers: []snapshot.ProducerGroup{{Name: "p"}, {Name: "p"}}})
		}},
		{"unknown target", "target 3, and the snapshot has 1 targets", func(b *snapshottest.Builder) { b.Broker(3, master("a")) }},
		{"broker twice", "not after", func(b *snapshottest.Builder) { b.Broker(0, master("a")); b.Broker(0, master("a")) }},
		{"up and stale", "up and stale", func(b *snapshottest.Builder) {
			m := master("a")
			m.Stale = true
			b.Broker(0, m)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msg := failure(t, func(tb testing.TB) {
				b := snapshottest.New(tb, snapshot.Snapshot{})
				b.Target(snapshot.Target{Name: "only", Up: true})
				tc.build(b)
				b.Snapshot()
			})
			if !strings.Contains(msg, tc.want) {
				t.Errorf("failed with %q, want it to say %q", msg, tc.want)
			}
		})
	}
}

// Two connections of one client are two entries with one id, as the
// connection list gives them: not a duplicate.
func TestBuilderKeepsOneClientsConnections(t *testing.T) {
	msg := failure(t, func(tb testing.TB) {
		b := snapshottest.New(tb, snapshot.Snapshot{})
		b.Target(snapshot.Target{Name: "only", Up: true})
		m := master("a")
		m.Groups = []snapshot.Group{{Name: "g", Clients: []snapshot.Client{{ID: "c", Addr: "1"}, {ID: "c", Addr: "2"}}}}
		b.Broker(0, m)
		b.Snapshot()
	})
	if msg != "" {
		t.Errorf("refused two connections of one client: %s", msg)
	}
}

func TestNewRefusesHeadWithBrokers(t *testing.T) {
	msg := failure(t, func(tb testing.TB) {
		snapshottest.New(tb, snapshot.Snapshot{Brokers: []*snapshot.Broker{master("a")}})
	})
	if !strings.Contains(msg, "add them with Target and Broker") {
		t.Errorf("New took a head with brokers (%q)", msg)
	}
}
