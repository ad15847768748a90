package collector

import (
	"strconv"

	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// topicL names a topic of a broker name; perTopic fills it.
var topicL = []string{"cluster", "broker", "topic"}

// perTopic is a family with one series per topic of each broker name: the
// value get gives, when it gives one. It alone fills topicL.
func perTopic(d def, get func(t *snapshot.Topic) (float64, bool)) *family {
	return d.family(topicL, prioTopic, 0, func(v *view, s *sink) {
		v.eachTopic(func(b *snapshot.Broker, t *snapshot.Topic) {
			if x, ok := get(t); ok {
				s.add(x, b.Cluster, b.Name, t.Name)
			}
		})
	})
}

// topicFamilies are served per topic of each broker name.
func topicFamilies() []*family {
	return []*family{
		{
			name: "rocketmq_topic_info", typ: gauge, labels: with(topicL, "kind", "order"), prio: prioTopic,
			help:   "Always 1: a topic configured on the broker, its kind (normal, retry, dlq, system, lmq) and whether it is ordered.",
			source: "GET_ALL_TOPIC_CONFIG", replaces: "(none)",
			emit: func(v *view, s *sink) {
				v.eachTopic(func(b *snapshot.Broker, t *snapshot.Topic) {
					s.add(1, b.Cluster, b.Name, t.Name, string(t.Kind), strconv.FormatBool(t.Order))
				})
			},
		},
		perTopic(def{name: "rocketmq_topic_read_queues", typ: gauge,
			help: "Read queues of the topic on the broker.", source: "GET_ALL_TOPIC_CONFIG", replaces: "(none)"},
			func(t *snapshot.Topic) (float64, bool) { return float64(t.ReadQueues), true }),
		perTopic(def{name: "rocketmq_topic_write_queues", typ: gauge,
			help: "Write queues of the topic on the broker.", source: "GET_ALL_TOPIC_CONFIG", replaces: "(none)"},
			func(t *snapshot.Topic) (float64, bool) { return float64(t.WriteQueues), true }),
		perTopic(def{name: "rocketmq_topic_messages_put_total", typ: counter,
			help:   "Messages ever put to the topic on the broker: the sum of its queues' max offsets.",
			source: "GET_TOPIC_STATS_INFO", replaces: "rocketmq_producer_offset, rocketmq_topic_retry_offset, rocketmq_topic_dlq_offset"},
			func(t *snapshot.Topic) (float64, bool) { return float64(t.MaxOffset), t.HasOffsets }),
		perTopic(def{name: "rocketmq_topic_stored_messages", typ: gauge,
			help:   "Messages of the topic still stored on the broker: the sum over its queues of max minus min offset.",
			source: "GET_TOPIC_STATS_INFO", replaces: "(none)"},
			func(t *snapshot.Topic) (float64, bool) {
				return float64(max(0, t.MaxOffset-t.MinOffset)), t.HasOffsets && !t.RangePending
			}),
		perTopic(def{name: "rocketmq_topic_last_put_timestamp_seconds", typ: gauge,
			help:   "Store time of the newest message of the topic on the broker, as Unix seconds.",
			source: "GET_TOPIC_STATS_INFO (lastUpdateTimestamp)", replaces: "(none)"},
			func(t *snapshot.Topic) (float64, bool) {
				return msToSeconds(float64(t.LastPut)), t.HasOffsets && !t.RangePending && t.LastPut > 0
			}),
		perTopic(def{name: "rocketmq_topic_put_messages_per_second", typ: gauge,
			help:   "Messages put to the topic per second over the broker's last minute.",
			source: "VIEW_BROKER_STATS_DATA TOPIC_PUT_NUMS", replaces: "rocketmq_producer_tps"},
			func(t *snapshot.Topic) (float64, bool) { return windowTPS(t.Put) }),
		perTopic(def{name: "rocketmq_topic_put_bytes_per_second", typ: gauge,
			help:   "Message bytes put to the topic per second over the broker's last minute.",
			source: "VIEW_BROKER_STATS_DATA TOPIC_PUT_SIZE", replaces: "rocketmq_producer_message_size"},
			func(t *snapshot.Topic) (float64, bool) { return windowBytes(t.Put) }),
		{
			name: "rocketmq_topic_queue_messages_put_total", typ: counter, labels: with(topicL, "queue_id"), prio: prioQueue, needs: needQueue,
			help:   "Messages ever put to one queue of the topic on the broker (its max offset).",
			source: "GET_TOPIC_STATS_INFO", replaces: "(none)",
			emit: func(v *view, s *sink) {
				v.eachTopic(func(b *snapshot.Broker, t *snapshot.Topic) {
					for i, q := range t.Queues {
						if i > 0 && t.Queues[i-1].QueueID == q.QueueID {
							continue
						}
						s.add(float64(q.MaxOffset), b.Cluster, b.Name, t.Name, strconv.Itoa(q.QueueID))
					}
				})
			},
		},
		{
			name: "rocketmq_broker_lmq_queues", typ: gauge, labels: with(nameL, "parent"), prio: prioTopic,
			help:   "Light message queues (%LMQ%…) seen in the broker's consumer offsets, by parent name.",
			source: "GET_ALL_CONSUMER_OFFSET", replaces: "(none)",
			emit: func(v *view, s *sink) {
				for _, b := range v.entities {
					if b.LMQ == nil {
						continue
					}
					for parent, n := range b.LMQ.Queues {
						s.add(float64(n), b.Cluster, b.Name, parent)
					}
				}
			},
		},
	}
}
