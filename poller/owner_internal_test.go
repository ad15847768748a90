package poller

import (
	"testing"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/filter"
	"github.com/rocketmq-exporter/rocketmq_exporter/shard"
)

// testListings are listings of just these groups and topics.
func testListings(groups []string, topics ...string) *listings {
	l := &listings{groups: &admin.SubscriptionGroupTable{SubscriptionGroupTable: map[string]admin.SubscriptionGroupConfig{}},
		topics: &admin.TopicConfigTable{TopicConfigTable: map[string]admin.TopicConfig{}}}
	for _, g := range groups {
		l.groups.SubscriptionGroupTable[g] = admin.SubscriptionGroupConfig{}
	}
	for _, t := range topics {
		l.topics.TopicConfigTable[t] = admin.TopicConfig{}
	}
	return l
}

// TestRetryTopicsFollowTheirGroup: a POP retry topic (%RETRY%<group>_<topic>)
// follows the group the broker has, not the longer name it reads as, so
// --group.include keeps it and --group.exclude drops it; a group whose own
// name holds '_' keeps its push retry topic; and a name that reads as a
// POP retry topic of a live group on a topic that does not exist is the
// push retry topic of the longer name (checker long seed 106: creating
// group cg1 made %RETRY%cg1_x vanish under --group.exclude=cg1).
func TestRetryTopicsFollowTheirGroup(t *testing.T) {
	l := testListings([]string{"orders", "pay_svc", "pay"}, "shipments")
	include, _ := filter.New("orders|pay_svc", "")
	exclude, _ := filter.New("", "orders")
	for _, c := range []struct {
		f     *filter.Filter
		topic string
		want  bool
	}{
		{include, "%RETRY%orders_shipments", true}, // POP retry of orders on topic shipments
		{include, "%RETRY%orders+shipments", true}, // the same with enableRetryTopicV2
		{include, "%RETRY%orders", true},
		{include, "%DLQ%orders", true},
		{include, "%RETRY%pay_svc", true}, // push retry of pay_svc, not POP retry of pay
		{include, "%RETRY%pay", false},
		{include, "%RETRY%other_x", false},
		{exclude, "%RETRY%orders_shipments", false},
		{exclude, "%RETRY%pay_svc_t", true},
		{include, "%RETRY%orders_x", false}, // no topic x: group orders_x's own
		{exclude, "%RETRY%orders_x", true},
	} {
		p := &Poller{cfg: Config{Groups: c.f}}
		if got := p.keepTopic(c.topic, l); got != c.want {
			t.Errorf("keepTopic(%q) = %v, want %v", c.topic, got, c.want)
		}
	}
}

// TestConsumeSieveKeepsOwnedTopics: whichever replica owns a topic (its
// own name, or for a %RETRY%/%DLQ% topic the group the broker has), the
// consume sieve keeps that topic's broker offsets for it, since they are
// the topic's max offsets.
func TestConsumeSieveKeepsOwnedTopics(t *testing.T) {
	l := testListings([]string{"orders", "pay_svc", "pay", "a_b"}, "shipments", "svc_t", "c", "t")
	topics := []string{"shipments", "orders", "%RETRY%orders", "%DLQ%orders", "%RETRY%orders_shipments",
		"%RETRY%orders+shipments", "%RETRY%pay_svc", "%RETRY%pay_svc_t", "%RETRY%a_b", "%RETRY%a_b_c", "%DLQ%nobody", "%RETRY%x_y_z"}
	for count := 2; count <= 5; count++ {
		for i := range count {
			set, err := shard.New(count, i)
			if err != nil {
				t.Fatal(err)
			}
			p := &Poller{cfg: Config{Shard: set}}
			sieve := p.consumeSieve()
			for _, topic := range topics {
				if _, own := p.topicShare(topic, l); own && !sieve.Topic(topic) {
					t.Errorf("shard %d/%d owns %q, and the sieve drops its offsets", i, count, topic)
				}
			}
		}
	}
}
