// Package estate builds the documented benchmark workload on a real
// RocketMQ broker (BENCHMARKS.md, "Real broker"): topics and consumer
// groups, group i consuming topic i, the first groups through live
// consumers (caught up), the others with offsets committed a few messages
// behind. cmd/benchreal and cmd/seriesreal measure the exporter on it.
package estate

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/brokeradmin"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/workload"
)

// updateConsumerOffset is RequestCode.UPDATE_CONSUMER_OFFSET: it commits a
// group's offset on one queue.
const updateConsumerOffset = 15

// Estate is the workload on one broker, grown in steps.
type Estate struct {
	Namesrv, Broker string // addresses
	Admin           *brokeradmin.Client
	Queues          int // per topic
	Lag             int // messages an offline group is behind
	// Topics and Groups are how many exist so far.
	Topics, Groups int

	consumers []*workload.Consumer
	producer  *workload.Producer
}

// TopicName and GroupName name the i-th topic and group.
func TopicName(i int) string { return fmt.Sprintf("bench_topic_%04d", i) }
func GroupName(i int) string { return fmt.Sprintf("bench_group_%04d", i) }

// Close stops the consumers and the producer.
func (e *Estate) Close() {
	for _, c := range e.consumers {
		c.Close()
	}
	if e.producer != nil {
		e.producer.Close()
	}
}

// Grow creates topics and groups up to the counts given: group i consumes
// topic i; groups below online through a live consumer, the others with
// offsets committed Lag messages behind the end of their topic.
func (e *Estate) Grow(ctx context.Context, topics, groups, online int) error {
	for i := e.Topics; i < topics; i++ {
		if err := e.Admin.CreateTopic(ctx, e.Broker, admin.TopicConfig{TopicName: TopicName(i), ReadQueueNums: e.Queues}); err != nil {
			return fmt.Errorf("create topic %d: %w", i, err)
		}
	}
	for i := e.Groups; i < groups; i++ {
		if err := e.Admin.CreateSubscriptionGroup(ctx, e.Broker, brokeradmin.NewGroupConfig(GroupName(i))); err != nil {
			return fmt.Errorf("create group %d: %w", i, err)
		}
	}
	if err := e.Admin.WaitRoute(ctx, e.Namesrv, TopicName(topics-1)); err != nil {
		return err
	}
	if e.producer == nil {
		p, err := workload.NewProducer(e.Namesrv, "PID_bench")
		if err != nil {
			return err
		}
		e.producer = p
	}
	per := 2 * e.Queues // every queue of a consumed topic holds some
	for i := e.Groups; i < groups; i++ {
		if err := e.producer.Send(ctx, TopicName(i), per, []byte("bench")); err != nil {
			return err
		}
	}
	var fresh []*workload.Consumer
	for i := e.Groups; i < groups; i++ {
		if i >= online {
			if err := e.commitBehind(ctx, TopicName(i), GroupName(i)); err != nil {
				return err
			}
			continue
		}
		c, err := workload.NewConsumer(e.Namesrv, GroupName(i), TopicName(i))
		if err != nil {
			return err
		}
		e.consumers = append(e.consumers, c)
		fresh = append(fresh, c)
	}
	for k, c := range fresh {
		wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		err := c.WaitFor(wctx, int64(per))
		cancel()
		if err != nil {
			return fmt.Errorf("consumer %d: %w", k, err)
		}
	}
	e.Topics, e.Groups = topics, groups
	// Let the consumers commit (every 5 s) and the broker settle.
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(10 * time.Second):
	}
	return nil
}

// commitBehind commits offsets for group on topic so that it lags e.Lag
// messages behind, one per queue over the first queues holding some.
func (e *Estate) commitBehind(ctx context.Context, topic, group string) error {
	ts, err := e.Admin.TopicStats(ctx, e.Broker, topic)
	if err != nil {
		return err
	}
	left := e.Lag
	for _, q := range ts.Queues {
		off := q.MaxOffset
		if left > 0 && off > 0 {
			off--
			left--
		}
		ext := map[string]string{"consumerGroup": group, "topic": topic, "queueId": strconv.Itoa(q.QueueID),
			"commitOffset": strconv.FormatInt(off, 10)}
		if _, err := e.Admin.Remoting().Call(ctx, e.Broker, updateConsumerOffset, ext, nil); err != nil {
			return fmt.Errorf("commit %s@%s queue %d: %w", topic, group, q.QueueID, err)
		}
	}
	return nil
}
