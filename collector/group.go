package collector

import (
	"strconv"

	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// groupL names a group of a broker name, gtL a group's topic; the
// constructors below fill them, group before topic (the Java families put
// topic first: see jPerGroupTopic).
var (
	groupL = []string{"cluster", "broker", "group"}
	gtL    = []string{"cluster", "broker", "group", "topic"}
)

// perGroup is a family with one series per application consumer group of
// each broker name: the value get gives, when it gives one.
func perGroup(d def, get func(b *snapshot.Broker, g *snapshot.Group) (float64, bool)) *family {
	return d.family(groupL, prioGroup, 0, func(v *view, s *sink) {
		v.eachGroup(func(b *snapshot.Broker, g *snapshot.Group) {
			if x, ok := get(b, g); ok {
				s.add(x, b.Cluster, b.Name, g.Name)
			}
		})
	})
}

// perGroupTopic is a family with one series per topic of each group.
func perGroupTopic(d def, get func(g *snapshot.Group, gt *snapshot.GroupTopic) (float64, bool)) *family {
	return d.family(gtL, prioGroupTopic, 0, func(v *view, s *sink) {
		v.eachGroupTopic(func(b *snapshot.Broker, g *snapshot.Group, gt *snapshot.GroupTopic) {
			if x, ok := get(g, gt); ok {
				s.add(x, b.Cluster, b.Name, g.Name, gt.Topic)
			}
		})
	})
}

// perProducerGroup is a family with one series per producer group.
func perProducerGroup(d def, get func(p *snapshot.ProducerGroup) float64) *family {
	return d.family(groupL, prioGroup, 0, func(v *view, s *sink) {
		v.eachProducer(func(b *snapshot.Broker, p *snapshot.ProducerGroup) { s.add(get(p), b.Cluster, b.Name, p.Name) })
	})
}

// retryLag sums the lag of a group's retry topics, push and POP; a group
// with none has no series.
func retryLag(_ *snapshot.Broker, g *snapshot.Group) (float64, bool) {
	var lag int64
	found := false
	for i := range g.Topics {
		gt := &g.Topics[i]
		if gt.Topic == snapshot.RetryPrefix+g.Name || snapshot.IsPOPRetryOf(gt.Topic, g.Name) {
			lag, found = lag+gt.Lag, true
		}
	}
	return float64(lag), found
}

// groupFamilies are served per consumer group and per group and topic.
func groupFamilies() []*family {
	return []*family{
		{
			name: "rocketmq_consumer_group_info", typ: gauge, labels: with(groupL, "message_model", "consume_type"), prio: prioGroup,
			help: "Always 1: a consumer group on the broker with its message model (CLUSTERING, BROADCASTING) and consume type " +
				"(CONSUME_PASSIVELY = push, CONSUME_ACTIVELY = pull/pop); both empty while no consumer is online.",
			source: "GET_ALL_SUBSCRIPTIONGROUP_CONFIG, GET_CONSUMER_CONNECTION_LIST", replaces: "label msgModel of rocketmq_group_diff",
			emit: func(v *view, s *sink) {
				v.eachGroup(func(b *snapshot.Broker, g *snapshot.Group) {
					s.add(1, b.Cluster, b.Name, g.Name, g.MessageModel, g.ConsumeType)
				})
			},
		},
		perGroup(def{name: "rocketmq_consumer_group_online_consumers", typ: gauge,
			help:   "Consumer clients of the group connected to the broker.",
			source: "GET_CONSUMER_CONNECTION_LIST", replaces: "rocketmq_group_count, label countOfOnlineConsumers"},
			func(_ *snapshot.Broker, g *snapshot.Group) (float64, bool) {
				return float64(distinctIDs(g.Clients, consumerID)), !g.OnlinePending // unknown until its list is answered, not 0
			}),
		perGroup(def{name: "rocketmq_consumer_group_consume_messages_per_second", typ: gauge,
			help:   "Messages the group got per second from the broker over the last minute, over all its topics.",
			source: "GET_BROKER_CONSUME_STATS (consumeTps, summed over the group's topics)", replaces: "(none)"},
			func(_ *snapshot.Broker, g *snapshot.Group) (float64, bool) { return g.ConsumeTPS, true }),
		perGroup(def{name: "rocketmq_consumer_group_retry_lag_messages", typ: gauge,
			help: "Messages of the group's retry topics on the broker not yet consumed: %RETRY%<group> (push consumers) " +
				"and the POP retry topics %RETRY%<group>_<topic>, where POP consumers' unacknowledged messages go back.",
			source: "GET_BROKER_CONSUME_STATS", replaces: "rocketmq_group_retrydiff"},
			retryLag),
		perGroup(def{name: "rocketmq_consumer_group_proxy_consumers", typ: gauge,
			help: "Consumer clients of the group connected through the target's rocketmq-proxies (--rocketmq.proxy-addr), " +
				"which the broker does not know: 5.x gRPC clients, which consume by POP. Included in rocketmq_consumer_group_online_consumers.",
			source: "GET_CONSUMER_CONNECTION_LIST of each proxy, for groups the broker lists no consumer of", replaces: "(none)"},
			func(b *snapshot.Broker, g *snapshot.Group) (float64, bool) {
				n := 0
				for i := range g.Clients {
					if g.Clients[i].Proxy != "" && (i == 0 || g.Clients[i-1].ID != g.Clients[i].ID) {
						n++
					}
				}
				return float64(n), len(b.Proxies) > 0 && !g.OnlinePending
			}),
		perGroup(def{name: "rocketmq_consumer_group_dlq_messages", typ: gauge,
			help:   "Messages stored in the group's dead-letter topic (%DLQ%<group>) on the broker.",
			source: "GET_TOPIC_STATS_INFO of %DLQ%<group>", replaces: "rocketmq_topic_dlq_offset"},
			func(b *snapshot.Broker, g *snapshot.Group) (float64, bool) {
				if t := findTopic(b, snapshot.DLQPrefix+g.Name); t != nil && t.HasOffsets && !t.RangePending {
					return float64(max(0, t.MaxOffset-t.MinOffset)), true
				}
				return 0, false
			}),
		perGroupTopic(def{name: "rocketmq_consumer_group_consumed_messages_total", typ: counter,
			help:   "The group's committed consumer offset on the topic, summed over the broker's queues: messages consumed.",
			source: "GET_BROKER_CONSUME_STATS (consumerOffset)", replaces: "rocketmq_consumer_offset"},
			func(_ *snapshot.Group, gt *snapshot.GroupTopic) (float64, bool) {
				return float64(gt.ConsumerOffset), true
			}),
		perGroupTopic(def{name: "rocketmq_consumer_group_lag_messages", typ: gauge,
			help:   "Messages of the topic on the broker the group has not consumed yet (per queue max(0, broker - consumer offset), summed).",
			source: "GET_BROKER_CONSUME_STATS", replaces: "rocketmq_group_diff, rocketmq_group_retrydiff"},
			func(_ *snapshot.Group, gt *snapshot.GroupTopic) (float64, bool) { return float64(gt.Lag), true }),
		perGroupTopic(def{name: "rocketmq_consumer_group_lag_seconds", typ: gauge,
			help:   "Age of the oldest message of the topic on the broker the group has not consumed yet, in seconds; 0 without lag.",
			source: "QUERY_CONSUME_TIME_SPAN (0 without lag)", replaces: "rocketmq_group_get_latency_by_storetime"},
			func(_ *snapshot.Group, gt *snapshot.GroupTopic) (float64, bool) {
				return gt.LagSeconds, gt.HasLagSeconds
			}),
		perGroupTopic(def{name: "rocketmq_consumer_group_last_consume_timestamp_seconds", typ: gauge,
			help:   "Store time of the last message of the topic the group consumed on the broker, as Unix seconds.",
			source: "GET_BROKER_CONSUME_STATS (lastTimestamp)", replaces: "(none)"},
			func(_ *snapshot.Group, gt *snapshot.GroupTopic) (float64, bool) {
				return msToSeconds(float64(gt.LastConsume)), gt.LastConsume > 0
			}),
		perGroupTopic(def{name: "rocketmq_consumer_group_get_messages_per_second", typ: gauge,
			help:   "Messages of the topic the group got from the broker per second over the last minute.",
			source: "GET_BROKER_CONSUME_STATS (consumeTps: the GROUP_GET_NUMS minute tps)", replaces: "rocketmq_consumer_tps"},
			func(_ *snapshot.Group, gt *snapshot.GroupTopic) (float64, bool) { return windowTPS(gt.Get) }),
		perGroupTopic(def{name: "rocketmq_consumer_group_get_bytes_per_second", typ: gauge,
			help:   "Message bytes of the topic the group got from the broker per second over the last minute.",
			source: "VIEW_BROKER_STATS_DATA GROUP_GET_SIZE (asked for pairs that consumed lately)", replaces: "rocketmq_consumer_message_size"},
			func(_ *snapshot.Group, gt *snapshot.GroupTopic) (float64, bool) { return windowBytes(gt.Get) }),
		perGroupTopic(def{name: "rocketmq_consumer_group_ack_messages_per_second", typ: gauge,
			help: "Messages of the topic a POP consumer group acknowledged (or made visible again) per second over the last minute; " +
				"with rocketmq_consumer_group_get_messages_per_second, the messages handed out. Only for POP groups that consumed lately.",
			source: "VIEW_BROKER_STATS_DATA GROUP_ACK_NUMS (ACK_MESSAGE, BATCH_ACK_MESSAGE and CHANGE_INVISIBLETIME)", replaces: "(none)"},
			func(_ *snapshot.Group, gt *snapshot.GroupTopic) (float64, bool) { return windowTPS(gt.Ack) }),
		perGroupTopic(def{name: "rocketmq_consumer_group_send_back_messages", typ: gauge,
			help:   "Messages of the topic the group sent back to the broker for retry in the last minute.",
			source: "VIEW_BROKER_STATS_DATA SNDBCK_PUT_NUMS (asked for pairs that consumed lately)", replaces: "rocketmq_send_back_nums"},
			func(_ *snapshot.Group, gt *snapshot.GroupTopic) (float64, bool) { return windowSum(gt.SendBack) }),
		{
			name: "rocketmq_consumer_queue_lag_messages", typ: gauge, labels: with(gtL, "queue_id"), prio: prioQueue, needs: needQueue,
			help:   "Messages of one queue of the topic on the broker the group has not consumed yet.",
			source: "GET_BROKER_CONSUME_STATS", replaces: "(none)",
			emit: func(v *view, s *sink) {
				v.eachGroupTopic(func(b *snapshot.Broker, g *snapshot.Group, gt *snapshot.GroupTopic) {
					for i, q := range gt.Queues {
						if i > 0 && gt.Queues[i-1].QueueID == q.QueueID {
							continue
						}
						s.add(float64(max(0, q.BrokerOffset-q.ConsumerOffset)), b.Cluster, b.Name, g.Name, gt.Topic, strconv.Itoa(q.QueueID))
					}
				})
			},
		},
		perProducerGroup(def{name: "rocketmq_producer_group_clients", typ: gauge,
			help:   "Producer clients of the producer group connected to the broker.",
			source: "GET_ALL_PRODUCER_INFO", replaces: "rocketmq_producer_count"},
			func(p *snapshot.ProducerGroup) float64 { return float64(distinctIDs(p.Clients, producerID)) }),
	}
}
