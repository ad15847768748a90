package collector

// The families whose series grow with the topics and groups are sorted
// into sets, each switched by one flag, as node_exporter switches its
// collectors. What is on by default is what the shipped dashboards and
// alert rules read, or a documented use (docs/metrics.md, "Series per
// family set", has the table and the series each set costs at 1,000
// topics / 500 groups): a family nothing reads costs a series per topic
// or group on every exporter for no one.
//
// The sets are assigned here, by name, rather than at each declaration:
// one table says what each flag switches, and TestEveryScaledFamilyInASet
// holds every family labelled by topic or group to being in one.
var setOf = map[string]gate{
	// --collect.topic-metrics (on): our families per topic.
	"rocketmq_topic_info":                       needTopic,
	"rocketmq_topic_write_queues":               needTopic,
	"rocketmq_topic_messages_put_total":         needTopic,
	"rocketmq_topic_stored_messages":            needTopic,
	"rocketmq_topic_last_put_timestamp_seconds": needTopic,
	"rocketmq_topic_put_bytes_per_second":       needTopic,
	// The read-queue count is queue detail: no panel or rule reads it, and
	// it differs from the write-queue count only while queues are resized.
	"rocketmq_topic_read_queues":              needTopic | needQueue,
	"rocketmq_topic_queue_messages_put_total": needTopic | needQueue,
	// The broker's minute-window message rates: rate() over the counters
	// (rocketmq_topic_messages_put_total,
	// rocketmq_consumer_group_consumed_messages_total) gives the same
	// figure over any window, so nothing shipped reads these
	// (--collect.message-rates, off). The byte rates stay: no byte counter
	// exists per topic or group.
	"rocketmq_topic_put_messages_per_second":              needTopic | needRates,
	"rocketmq_consumer_group_consume_messages_per_second": needGroup | needRates,
	"rocketmq_consumer_group_get_messages_per_second":     needGroup | needRates,
	"rocketmq_consumer_group_ack_messages_per_second":     needGroup | needRates,

	// --collect.group-metrics (on): our families per consumer group and
	// per group and topic.
	"rocketmq_consumer_group_info":                           needGroup,
	"rocketmq_consumer_group_online_consumers":               needGroup,
	"rocketmq_consumer_group_retry_lag_messages":             needGroup,
	"rocketmq_consumer_group_proxy_consumers":                needGroup,
	"rocketmq_consumer_group_dlq_messages":                   needGroup,
	"rocketmq_consumer_group_consumed_messages_total":        needGroup,
	"rocketmq_consumer_group_lag_messages":                   needGroup,
	"rocketmq_consumer_group_lag_seconds":                    needGroup,
	"rocketmq_consumer_group_last_consume_timestamp_seconds": needGroup,
	"rocketmq_consumer_group_get_bytes_per_second":           needGroup,
	"rocketmq_consumer_group_send_back_messages":             needGroup,
	"rocketmq_consumer_queue_lag_messages":                   needGroup | needQueue,
	// A count of producer clients is client detail, beside
	// rocketmq_producer_client_info.
	"rocketmq_producer_group_clients": needClient,
}

// inSets adds each family's set to what it needs.
func inSets(fs []*family) []*family {
	for _, f := range fs {
		f.needs |= setOf[f.name]
	}
	return fs
}
