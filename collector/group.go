package collector

import (
	"strconv"

	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

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
		{
			name: "rocketmq_consumer_group_online_consumers", typ: gauge, labels: groupL, prio: prioGroup,
			help:   "Consumer clients of the group connected to the broker.",
			source: "GET_CONSUMER_CONNECTION_LIST", replaces: "rocketmq_group_count, label countOfOnlineConsumers",
			emit: func(v *view, s *sink) {
				v.eachGroup(func(b *snapshot.Broker, g *snapshot.Group) {
					s.add(float64(distinctIDs(g.Clients, consumerID)), b.Cluster, b.Name, g.Name)
				})
			},
		},
		{
			name: "rocketmq_consumer_group_consume_messages_per_second", typ: gauge, labels: groupL, prio: prioGroup,
			help:   "Messages the group got per second from the broker over the last minute, over all its topics.",
			source: "GET_BROKER_CONSUME_STATS (consumeTps, summed over the group's topics)", replaces: "(none)",
			emit: func(v *view, s *sink) {
				v.eachGroup(func(b *snapshot.Broker, g *snapshot.Group) { s.add(g.ConsumeTPS, b.Cluster, b.Name, g.Name) })
			},
		},
		{
			name: "rocketmq_consumer_group_retry_lag_messages", typ: gauge, labels: groupL, prio: prioGroup,
			help:   "Messages of the group's retry topic (%RETRY%<group>) on the broker not yet consumed.",
			source: "GET_BROKER_CONSUME_STATS", replaces: "rocketmq_group_retrydiff",
			emit: func(v *view, s *sink) {
				v.eachGroup(func(b *snapshot.Broker, g *snapshot.Group) {
					if gt := findGroupTopic(g, snapshot.RetryPrefix+g.Name); gt != nil {
						s.add(float64(gt.Lag), b.Cluster, b.Name, g.Name)
					}
				})
			},
		},
		{
			name: "rocketmq_consumer_group_dlq_messages", typ: gauge, labels: groupL, prio: prioGroup,
			help:   "Messages stored in the group's dead-letter topic (%DLQ%<group>) on the broker.",
			source: "GET_TOPIC_STATS_INFO of %DLQ%<group>", replaces: "rocketmq_topic_dlq_offset",
			emit: func(v *view, s *sink) {
				v.eachGroup(func(b *snapshot.Broker, g *snapshot.Group) {
					if t := findTopic(b, snapshot.DLQPrefix+g.Name); t != nil && t.HasOffsets {
						s.add(float64(max(0, t.MaxOffset-t.MinOffset)), b.Cluster, b.Name, g.Name)
					}
				})
			},
		},
		{
			name: "rocketmq_consumer_group_consumed_messages_total", typ: counter, labels: gtL, prio: prioGroupTopic,
			help:   "The group's committed consumer offset on the topic, summed over the broker's queues: messages consumed.",
			source: "GET_BROKER_CONSUME_STATS (consumerOffset)", replaces: "rocketmq_consumer_offset",
			emit: func(v *view, s *sink) {
				v.eachGroupTopic(func(b *snapshot.Broker, g *snapshot.Group, gt *snapshot.GroupTopic) {
					s.add(float64(gt.ConsumerOffset), b.Cluster, b.Name, g.Name, gt.Topic)
				})
			},
		},
		{
			name: "rocketmq_consumer_group_lag_messages", typ: gauge, labels: gtL, prio: prioGroupTopic,
			help:   "Messages of the topic on the broker the group has not consumed yet (per queue max(0, broker - consumer offset), summed).",
			source: "GET_BROKER_CONSUME_STATS", replaces: "rocketmq_group_diff, rocketmq_group_retrydiff",
			emit: func(v *view, s *sink) {
				v.eachGroupTopic(func(b *snapshot.Broker, g *snapshot.Group, gt *snapshot.GroupTopic) {
					s.add(float64(gt.Lag), b.Cluster, b.Name, g.Name, gt.Topic)
				})
			},
		},
		{
			name: "rocketmq_consumer_group_lag_seconds", typ: gauge, labels: gtL, prio: prioGroupTopic,
			help:   "Age of the oldest message of the topic on the broker the group has not consumed yet, in seconds; 0 without lag.",
			source: "QUERY_CONSUME_TIME_SPAN (0 without lag)", replaces: "rocketmq_group_get_latency_by_storetime",
			emit: func(v *view, s *sink) {
				v.eachGroupTopic(func(b *snapshot.Broker, g *snapshot.Group, gt *snapshot.GroupTopic) {
					if gt.HasLagSeconds {
						s.add(gt.LagSeconds, b.Cluster, b.Name, g.Name, gt.Topic)
					}
				})
			},
		},
		{
			name: "rocketmq_consumer_group_last_consume_timestamp_seconds", typ: gauge, labels: gtL, prio: prioGroupTopic,
			help:   "Store time of the last message of the topic the group consumed on the broker, as Unix seconds.",
			source: "GET_BROKER_CONSUME_STATS (lastTimestamp)", replaces: "(none)",
			emit: func(v *view, s *sink) {
				v.eachGroupTopic(func(b *snapshot.Broker, g *snapshot.Group, gt *snapshot.GroupTopic) {
					if gt.LastConsume > 0 {
						s.add(msToSeconds(float64(gt.LastConsume)), b.Cluster, b.Name, g.Name, gt.Topic)
					}
				})
			},
		},
		{
			name: "rocketmq_consumer_group_get_messages_per_second", typ: gauge, labels: gtL, prio: prioGroupTopic,
			help:   "Messages of the topic the group got from the broker per second over the last minute.",
			source: "GET_BROKER_CONSUME_STATS (consumeTps: the GROUP_GET_NUMS minute tps)", replaces: "rocketmq_consumer_tps",
			emit: func(v *view, s *sink) {
				v.eachGroupTopic(func(b *snapshot.Broker, g *snapshot.Group, gt *snapshot.GroupTopic) {
					if gt.Get != nil {
						s.add(gt.Get.TPS, b.Cluster, b.Name, g.Name, gt.Topic)
					}
				})
			},
		},
		{
			name: "rocketmq_consumer_group_get_bytes_per_second", typ: gauge, labels: gtL, prio: prioGroupTopic,
			help:   "Message bytes of the topic the group got from the broker per second over the last minute.",
			source: "VIEW_BROKER_STATS_DATA GROUP_GET_SIZE (asked for pairs that consumed lately)", replaces: "rocketmq_consumer_message_size",
			emit: func(v *view, s *sink) {
				v.eachGroupTopic(func(b *snapshot.Broker, g *snapshot.Group, gt *snapshot.GroupTopic) {
					if gt.Get != nil {
						s.add(gt.Get.BytesPerSec, b.Cluster, b.Name, g.Name, gt.Topic)
					}
				})
			},
		},
		{
			name: "rocketmq_consumer_group_send_back_messages", typ: gauge, labels: gtL, prio: prioGroupTopic,
			help:   "Messages of the topic the group sent back to the broker for retry in the last minute.",
			source: "VIEW_BROKER_STATS_DATA SNDBCK_PUT_NUMS (asked for pairs that consumed lately)", replaces: "rocketmq_send_back_nums",
			emit: func(v *view, s *sink) {
				v.eachGroupTopic(func(b *snapshot.Broker, g *snapshot.Group, gt *snapshot.GroupTopic) {
					if gt.SendBack != nil {
						s.add(float64(gt.SendBack.Sum), b.Cluster, b.Name, g.Name, gt.Topic)
					}
				})
			},
		},
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
		{
			name: "rocketmq_producer_group_clients", typ: gauge, labels: groupL, prio: prioGroup,
			help:   "Producer clients of the producer group connected to the broker.",
			source: "GET_ALL_PRODUCER_INFO", replaces: "rocketmq_producer_count",
			emit: func(v *view, s *sink) {
				v.eachProducer(func(b *snapshot.Broker, p *snapshot.ProducerGroup) {
					s.add(float64(distinctIDs(p.Clients, producerID)), b.Cluster, b.Name, p.Name)
				})
			},
		},
	}
}
