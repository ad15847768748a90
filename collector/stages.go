package collector

import "github.com/rocketmq-exporter/rocketmq_exporter/snapshot"

// stageFamilies give every collection stage of every broker process its
// outcome in the last cycle (snapshot.Broker.Stages), so a partial failure
// shows against its broker, not only in the unlabelled RPC error count.
func stageFamilies() []*family {
	perStage := func(d def, get func(st snapshot.Stage) float64) *family {
		f := d.family(with(brokerL, "stage"), prioNever, 0, func(v *view, s *sink) {
			for _, p := range v.all {
				for _, st := range p.b.Stages {
					s.add(get(st), p.b.Cluster, p.b.Name, p.id, st.Name)
				}
			}
		})
		f.replica = true // each replica's own calls
		return f
	}
	return []*family{
		perStage(def{name: "rocketmq_broker_collect_stage_success", typ: gauge,
			help: "1 when every call of the collection stage that its last cycle with calls made to the broker was answered, else 0; " +
				"a stage not asked in a cycle (the broker config is re-read every 20 cycles) keeps its last outcome. " +
				"A call the cycle's deadline ended is a cut (rocketmq_broker_collection_cut), not a failure. Stages: runtime_info, broker_config, topic_config, " +
				"subscription_groups, consume_stats, producers, topic_stats, topic_rates, connections, group_rates, " +
				"lag_seconds, running_info, consumer_offsets, leak_probes.",
			source: "exporter", replaces: "(none)"},
			func(st snapshot.Stage) float64 { return boolValue(st.OK) }),
		perStage(def{name: "rocketmq_broker_collect_stage_errors_total", typ: counter,
			help: "Calls of the collection stage to the broker that failed (an error answer, a broken connection or the " +
				"per-call timeout) since the exporter first saw the broker. CONSUMER_NOT_ONLINE and a stat item that does " +
				"not exist are answers, and a call the cycle's deadline ended is a cut, not a failure.",
			source: "exporter", replaces: "(none)"},
			func(st snapshot.Stage) float64 { return float64(st.FailedTotal) }),
	}
}
