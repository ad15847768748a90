package brokeradmin_test

import (
	"context"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/brokeradmin"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/exportertest"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
)

// TestMutationsReachTheBroker: what the calls create and delete is what
// the simulator then holds, counted from its own state.
func TestMutationsReachTheBroker(t *testing.T) {
	c := exportertest.Sim(t, simbroker.Options{Topics: 2, Groups: 1})
	a := brokeradmin.New(remoting.NewClient(remoting.Options{}))
	defer a.Remoting().Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, ns := c.Brokers[0].Addr(), c.Namesrv.Addr
	held := func() (topics, groups int) {
		bt := c.Truth(time.Minute)[0]
		return bt.Topics, bt.Groups
	}
	topics0, groups0 := held()

	if err := a.CreateTopic(ctx, b, admin.TopicConfig{TopicName: "made"}); err != nil {
		t.Fatal(err)
	}
	if err := a.CreateSubscriptionGroup(ctx, b, brokeradmin.NewGroupConfig("made-group")); err != nil {
		t.Fatal(err)
	}
	if topics, groups := held(); topics != topics0+1 || groups != groups0+1 {
		t.Fatalf("after creating: %d topics, %d groups; want %d, %d", topics, groups, topics0+1, groups0+1)
	}
	rd, err := a.TopicRoute(ctx, ns, "made")
	if err != nil || len(rd.QueueDatas) != 1 || rd.QueueDatas[0].ReadQueueNums != 4 {
		t.Fatalf("route of the made topic: %+v %v; want one broker, 4 queues (the default)", rd, err)
	}

	if err := a.DeleteSubscriptionGroup(ctx, b, "made-group", true); err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteTopicInBroker(ctx, b, "made"); err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteTopicInNamesrv(ctx, ns, "made", ""); err != nil {
		t.Fatal(err)
	}
	if topics, groups := held(); topics != topics0 || groups != groups0 {
		t.Fatalf("after deleting: %d topics, %d groups; want %d, %d", topics, groups, topics0, groups0)
	}
	if _, err := a.TopicRoute(ctx, ns, "made"); remoting.ResponseCode(err) != remoting.CodeTopicNotExist {
		t.Fatalf("route after delete: %v, want TOPIC_NOT_EXIST", err)
	}
}
