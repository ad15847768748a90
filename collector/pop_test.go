package collector

import (
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot/snapshottest"
)

// popSnapshot has, on one master with a proxy configured, a POP group
// consumed through the proxy (two connections of one client, another
// client), with its POP retry topic, and a push group with its own retry
// topic and a broker-listed client.
func popSnapshot(t testing.TB, proxies []string) *snapshot.Snapshot {
	b := snapshottest.New(t, snapshot.Snapshot{Seq: 1, Started: testNow.Add(-time.Second), Finished: testNow})
	target := b.Target(snapshot.Target{Namesrvs: []string{"10.0.0.9:9876"}, Up: true, Clusters: []string{"C"}})
	m := &snapshot.Broker{Cluster: "C", Name: "broker-a", Addr: "10.0.0.1:10911", Up: true, LastSuccess: testNow, Proxies: proxies}
	m.Topics = []snapshot.Topic{{Name: "%RETRY%pop_orders"}, {Name: "%RETRY%push"}, {Name: "orders"}}
	viaProxy := func(id string) snapshot.Client {
		return snapshot.Client{ID: id, Addr: "10.1.0.1:1000", Language: "JAVA", Version: 479, Proxy: "10.0.0.5:8080"}
	}
	m.Groups = []snapshot.Group{
		{Name: "pop", HasConfig: true, Online: true, ConsumeType: "CONSUME_ACTIVELY",
			Clients: []snapshot.Client{viaProxy("a"), viaProxy("a"), viaProxy("b")},
			Topics: []snapshot.GroupTopic{
				{Topic: "%RETRY%pop_orders", BrokerOffset: 5, ConsumerOffset: 2, Lag: 3, Get: &snapshot.Window{}},
				{Topic: "orders", BrokerOffset: 50, ConsumerOffset: 40, Lag: 10,
					Get: &snapshot.Window{TPS: 4}, Ack: &snapshot.Window{TPS: 2.5, Sum: 150}}}},
		{Name: "push", HasConfig: true, Online: true, ConsumeType: "CONSUME_PASSIVELY",
			Clients: []snapshot.Client{{ID: "c", Addr: "10.1.0.2:1000", Language: "JAVA", Version: 479}},
			Topics: []snapshot.GroupTopic{
				{Topic: "%RETRY%push", BrokerOffset: 7, ConsumerOffset: 3, Lag: 4, Get: &snapshot.Window{}},
				{Topic: "orders", BrokerOffset: 50, ConsumerOffset: 50, Get: &snapshot.Window{TPS: 4}}}},
	}
	b.Broker(target, m)
	return b.Snapshot()
}

// TestPOPGroups: retry lag counts a POP group's retry topics as it counts
// a push group's own; the proxy's clients count once each, and only where
// proxies are configured; the ack rate is served only where it was read.
func TestPOPGroups(t *testing.T) {
	mfs := gather(t, newTestCollector(popSnapshot(t, []string{"10.0.0.5:8080"}), allOn()))
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
		served bool
	}{
		{"rocketmq_consumer_group_retry_lag_messages", []string{"group=pop"}, 3, true},
		{"rocketmq_consumer_group_retry_lag_messages", []string{"group=push"}, 4, true},
		{"rocketmq_consumer_group_proxy_consumers", []string{"group=pop"}, 2, true},
		{"rocketmq_consumer_group_proxy_consumers", []string{"group=push"}, 0, true},
		{"rocketmq_consumer_group_online_consumers", []string{"group=pop"}, 2, true},
		{"rocketmq_consumer_group_ack_messages_per_second", []string{"group=pop", "topic=orders"}, 2.5, true},
		{"rocketmq_consumer_group_ack_messages_per_second", []string{"group=push", "topic=orders"}, 0, false},
	} {
		got, ok := value(t, mfs, c.name, c.labels...)
		if ok != c.served || got != c.want {
			t.Errorf("%s%v = %v (served %v), want %v (served %v)", c.name, c.labels, got, ok, c.want, c.served)
		}
	}
	mfs = gather(t, newTestCollector(popSnapshot(t, nil), allOn()))
	if _, ok := value(t, mfs, "rocketmq_consumer_group_proxy_consumers", "group=pop"); ok {
		t.Error("proxy consumers served without --rocketmq.proxy-addr")
	}
}
