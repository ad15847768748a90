package collector

import (
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

const rtInfo = "GET_BROKER_RUNTIME_INFO"

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// brokerL names a broker process, nameL a broker name (its master and
// slaves); perBroker and perBrokerName fill them.
var (
	brokerL = []string{"cluster", "broker", "broker_id"}
	nameL   = []string{"cluster", "broker"}
)

// perBroker is a family with one series per broker process: the value get
// gives, when it gives one.
func perBroker(d def, get func(v *view, b *snapshot.Broker) (float64, bool)) *family {
	return d.family(brokerL, prioNever, 0, func(v *view, s *sink) {
		for _, p := range v.procs {
			if x, ok := get(v, p.b); ok {
				s.add(x, p.b.Cluster, p.b.Name, p.id)
			}
		}
	})
}

// perCall is perBroker for a family about this replica's own calls to
// the broker (family.replica): served for every broker process.
func perCall(d def, get func(b *snapshot.Broker) (float64, bool)) *family {
	f := d.family(brokerL, prioNever, 0, func(v *view, s *sink) {
		for _, p := range v.all {
			if x, ok := get(p.b); ok {
				s.add(x, p.b.Cluster, p.b.Name, p.id)
			}
		}
	})
	f.replica = true
	return f
}

// perMasterKind is a family about this replica's calls to each up master
// (family.replica), one series per kind of what get counts: slaves have
// no entities of their own, and a down broker is stale as a whole.
func perMasterKind(d def, kinds []string, get func(b *snapshot.Broker) map[string]int) *family {
	f := d.family(with(brokerL, "kind"), prioNever, 0, func(v *view, s *sink) {
		for _, p := range v.all {
			if !p.b.Up || !p.b.IsMaster() {
				continue
			}
			counts := get(p.b)
			for _, k := range kinds {
				s.add(float64(counts[k]), p.b.Cluster, p.b.Name, p.id, k)
			}
		}
	})
	f.replica = true
	return f
}

// perBrokerName is a family with one series per broker name, read from
// the process that holds its entities (see view.entities).
func perBrokerName(d def, get func(v *view, b *snapshot.Broker) (float64, bool)) *family {
	return d.family(nameL, prioNever, 0, func(v *view, s *sink) {
		for _, b := range v.names {
			if x, ok := get(v, b); ok {
				s.add(x, b.Cluster, b.Name)
			}
		}
	})
}

// brokerFamilies are the per-process families, served for every broker.
func brokerFamilies() []*family {
	return []*family{
		{
			name: "rocketmq_up", typ: gauge, labels: brokerL, prio: prioNever,
			help: "Whether the broker answered every listing call of the last cycle (1) or not (0). A namesrv target " +
				"that did not answer and has no broker in the snapshot shows as one series with empty labels.",
			source:   "GET_BROKER_CLUSTER_INFO (namesrv), then every broker listing call",
			replaces: "(none)",
			emit: func(v *view, s *sink) {
				for _, p := range v.procs {
					s.add(boolValue(p.b.Up), p.b.Cluster, p.b.Name, p.id)
				}
				if unreachableTarget(v) {
					s.add(0, "", "", "")
				}
			},
		},
		{
			name: "rocketmq_namesrv_up", typ: gauge, labels: []string{"namesrv"}, prio: prioNever,
			help: "Whether the namesrv at this address (host:port) answered GET_BROKER_CLUSTER_INFO in the last cycle (1) or not (0). " +
				"Every namesrv of every target is asked each cycle; the brokers are those listed by the first that answered.",
			source: "GET_BROKER_CLUSTER_INFO (namesrv)", replaces: "(none)",
			emit: func(v *view, s *sink) {
				addrs, up := namesrvStates(v)
				for _, a := range addrs {
					if v.s.Shard.Owns(a) { // one replica per address under --shard.count
						s.add(boolValue(up[a]), a)
					}
				}
			},
		},
		{
			name: "rocketmq_broker_info", typ: gauge, labels: with(brokerL, "addr", "role", "version"), prio: prioNever,
			help:   "Always 1: the broker's address, role (master or slave) and version (brokerVersionDesc, e.g. V5_3_3).",
			source: "GET_BROKER_CLUSTER_INFO, GET_BROKER_RUNTIME_INFO `brokerVersionDesc`", replaces: "labels brokerIP, des of rocketmq_brokeruntime_*",
			emit: func(v *view, s *sink) {
				for _, p := range v.procs {
					s.add(1, p.b.Cluster, p.b.Name, p.id, p.b.Addr, p.b.Role, p.b.Version)
				}
			},
		},
		perBroker(def{name: "rocketmq_broker_boot_time_seconds", typ: gauge,
			help:   "When the broker process started, as Unix seconds.",
			source: rtInfo + " `bootTimestamp`", replaces: "label boottime of rocketmq_brokeruntime_*"},
			func(_ *view, b *snapshot.Broker) (float64, bool) { return seconds(b.BootTime), !b.BootTime.IsZero() }),
		perBroker(def{name: "rocketmq_broker_last_success_timestamp_seconds", typ: gauge,
			help:   "When the exporter last collected everything from the broker, as Unix seconds.",
			source: "exporter", replaces: "(none)"},
			func(_ *view, b *snapshot.Broker) (float64, bool) {
				return seconds(b.LastSuccess), !b.LastSuccess.IsZero()
			}),
		perCall(def{name: "rocketmq_broker_collect_duration_seconds", typ: gauge,
			help:   "How long the last cycle spent collecting from the broker, in seconds.",
			source: "exporter", replaces: "(none)"},
			func(b *snapshot.Broker) (float64, bool) { return b.Duration.Seconds(), true }),
		perBroker(def{name: "rocketmq_broker_stale", typ: gauge,
			help:   "1 when the broker's topics, groups and clients are carried over from its last successful cycle because this one failed, else 0.",
			source: "exporter", replaces: "(none)"},
			func(_ *view, b *snapshot.Broker) (float64, bool) { return boolValue(b.Stale), true }),
		perCall(def{name: "rocketmq_broker_collection_cut", typ: gauge,
			help: "1 when the last cycle's deadline (--collect.timeout) stopped calls to the broker before all were made, else 0. " +
				"When its listings had answered, the broker is up and every topic, group, pair or client not reached keeps the " +
				"values of the cycle before (rocketmq_broker_carried_entities); when not, it is down and stale.",
			source: "exporter", replaces: "(none)"},
			func(b *snapshot.Broker) (float64, bool) { return boolValue(b.Cut), true }),
		perCall(def{name: "rocketmq_broker_collections_cut_total", typ: counter,
			help:   "Cycles whose deadline stopped calls to the broker before all were made, since the exporter started.",
			source: "exporter", replaces: "(none)"},
			func(b *snapshot.Broker) (float64, bool) { return float64(b.Cuts), true }),
		perMasterKind(def{name: "rocketmq_broker_carried_entities", typ: gauge,
			help: "Entities of an up master whose values in the last cycle are those of an earlier cycle, because their call was " +
				"not made before the deadline or failed (or, for lag_seconds, waits for its turn in the look-up budget), by kind: " +
				"topic_offsets, topic_rates (put windows), group_online (connection list), group_topic_rates (get bytes and " +
				"send-back windows), lag_seconds (age of the oldest unconsumed message), client_running_info.",
			source: "exporter", replaces: "(none)"},
			snapshot.CarriedKinds, func(b *snapshot.Broker) map[string]int { return b.Carried }),
		perCall(def{name: "rocketmq_broker_lag_seconds_pending", typ: gauge,
			help: "Lagging (topic, group) pairs of an up master whose age of the oldest unconsumed message was not read in the " +
				"last cycle and is not cached: over the per-broker budget of 2,000 look-ups, cut by the deadline, or failed. " +
				"Each keeps its last age; the pairs asked longest ago go first, so every pair is read within pending/2000+1 cycles.",
			source: "QUERY_CONSUME_TIME_SPAN", replaces: "(none)"},
			func(b *snapshot.Broker) (float64, bool) { return float64(b.LagPending), b.Up && b.IsMaster() }),
		perMasterKind(def{name: "rocketmq_broker_first_sight_pending", typ: gauge,
			help: "Topics and groups of an up master that were never answered since the exporter first saw them, by kind: " +
				"topic_offsets (GET_TOPIC_STATS_INFO: a topic no group consumes has no offset series until then, a consumed one " +
				"no stored-messages or last-put series) and group_online (GET_CONSUMER_CONNECTION_LIST: no online-consumers " +
				"series until then). A broker's first sights are asked at most max(2000, entities/N) per cycle, N being " +
				"--collect.idle-topic-refresh or --collect.offline-group-refresh, those waiting longest first, so a start's " +
				"backlog is gone within N cycles.",
			source: "exporter", replaces: "(none)"},
			snapshot.PendingKinds, func(b *snapshot.Broker) map[string]int { return b.FirstSightPending }),
		perBroker(def{name: "rocketmq_broker_replication_lag_bytes", typ: gauge,
			help:   "Commit-log bytes a slave is behind its master: the master's commitLogMaxOffset minus the slave's, at least 0.",
			source: rtInfo + " `commitLogMaxOffset` of master and slave", replaces: "rocketmq_broker_commitlog_diff"},
			func(v *view, b *snapshot.Broker) (float64, bool) {
				lag, ok := replicationLag(v, b)
				return max(0, lag), ok
			}),
		{
			name: "rocketmq_broker_cleanup_config_info", typ: gauge, prio: prioNever,
			labels: with(nameL, "auto_delete_unused_stats", "enable_detail_stat", "enable_lmq", "enable_lmq_stats"),
			help: "Always 1: the broker settings that decide whether its statistics of deleted topics and groups are cleaned " +
				"(autoDeleteUnusedStats, enableDetailStat, enableLmq, enableLmqStats); empty when the broker does not report one.",
			source: "GET_BROKER_CONFIG", replaces: "(none)",
			emit: func(v *view, s *sink) {
				seen := map[string]bool{}
				for _, p := range v.procs {
					k := brokerKey(p.b)
					if p.b.Config == nil || seen[k] {
						continue
					}
					seen[k] = true
					c := p.b.Config
					s.add(1, p.b.Cluster, p.b.Name, c["autoDeleteUnusedStats"], c["enableDetailStat"], c["enableLmq"], c["enableLmqStats"])
				}
			},
		},
		{
			name: "rocketmq_broker_topics", typ: gauge, labels: with(nameL, "kind"), prio: prioNever,
			help:   "Topics configured on the broker, by kind (normal, retry, dlq, system, lmq).",
			source: "GET_ALL_TOPIC_CONFIG", replaces: "(none)",
			emit: func(v *view, s *sink) {
				for _, b := range v.names {
					if !counted(b) {
						continue
					}
					for _, k := range topicKinds {
						s.add(float64(topicCount(b, k)), b.Cluster, b.Name, string(k))
					}
				}
			},
		},
		{
			name: "rocketmq_broker_consumer_groups", typ: gauge, labels: with(nameL, "kind"), prio: prioNever,
			help: "Consumer groups in the broker's subscription-group config, within --group.include/--group.exclude, by kind: " +
				"business (the applications' groups, which the per-group families serve) and system (the names RocketMQ reserves " +
				"for itself: TOOLS_CONSUMER, FILTERSRV_CONSUMER, SELF_TEST_C_GROUP, CID_ONS*, CID_RMQ_SYS_*, …; counted here only). " +
				"A group known only from committed offsets is not counted (see rocketmq_broker_orphaned_consumer_offsets).",
			source: "GET_ALL_SUBSCRIPTIONGROUP_CONFIG", replaces: "(none)",
			emit: func(v *view, s *sink) {
				for _, b := range v.names {
					if !counted(b) {
						continue
					}
					for _, k := range []snapshot.GroupKind{snapshot.GroupBusiness, snapshot.GroupSystem} {
						s.add(float64(groupCount(b, k)), b.Cluster, b.Name, string(k))
					}
				}
			},
		},
	}
}

// counted tells whether a broker name's topics and groups were listed: a
// slave standing in for an absent master was never asked for its
// entities, so it gets no count rather than 0.
func counted(b *snapshot.Broker) bool {
	return b.Counts != nil || hasEntities(b) || (b.Up && b.IsMaster())
}

// topicCount is the broker's topics of kind k. The poller counts them
// before --shard.count takes its share; a snapshot built without a poller
// has no counts, and its topics are all of them.
func topicCount(b *snapshot.Broker, k snapshot.TopicKind) int {
	if b.Counts != nil {
		return b.Counts.Topics[k]
	}
	n := 0
	for i := range b.Topics {
		if topicKinds[kindIndex(b.Topics[i].Kind)] == k {
			n++
		}
	}
	return n
}

// groupCount is topicCount for consumer groups.
func groupCount(b *snapshot.Broker, k snapshot.GroupKind) int {
	if b.Counts != nil {
		return b.Counts.Groups[k]
	}
	n := 0
	for i := range b.Groups {
		if snapshot.ClassifyGroup(b.Groups[i].Name) == k {
			n++
		}
	}
	return n
}

// unreachableTarget tells whether some target failed and left no broker in
// the snapshot, so rocketmq_up needs its empty-label series. Under
// --shard.count one replica serves it (the owner of the empty name).
func unreachableTarget(v *view) bool {
	if !v.s.Shard.Owns("") {
		return false
	}
	clusters := map[string]bool{}
	for _, b := range v.s.Brokers {
		if b != nil {
			clusters[b.Cluster] = true
		}
	}
	for _, t := range v.s.Targets {
		if t == nil || t.Up {
			continue
		}
		has := false
		for _, c := range t.Clusters {
			has = has || clusters[c]
		}
		if !has {
			return true
		}
	}
	return false
}

// namesrvStates lists every namesrv address of every target once, in
// target order, with whether it answered (a target asked before per-address
// states existed counts as one state for all its addresses).
func namesrvStates(v *view) ([]string, map[string]bool) {
	var addrs []string
	up := map[string]bool{}
	for _, t := range v.s.Targets {
		if t == nil {
			continue
		}
		for _, a := range t.Namesrvs {
			was, seen := up[a]
			if !seen {
				addrs = append(addrs, a)
			}
			now := t.Up
			if t.NamesrvUp != nil {
				now = t.NamesrvUp[a]
			}
			up[a] = was || now // one address asked for two targets: it answered if either call did
		}
	}
	return addrs, up
}

// replicationLag is master commitLogMaxOffset minus a slave's.
func replicationLag(v *view, b *snapshot.Broker) (float64, bool) {
	if b.ID == 0 {
		return 0, false
	}
	m := v.masters[brokerKey(b)]
	if m == nil {
		return 0, false
	}
	mo, ok1 := m.Runtime.Values["commitLogMaxOffset"]
	so, ok2 := b.Runtime.Values["commitLogMaxOffset"]
	if !ok1 || !ok2 {
		return 0, false
	}
	return mo - so, true
}

var topicKinds = [...]snapshot.TopicKind{snapshot.KindNormal, snapshot.KindRetry, snapshot.KindDLQ, snapshot.KindSystem, snapshot.KindLMQ}

func kindIndex(k snapshot.TopicKind) int {
	for i, x := range topicKinds {
		if x == k {
			return i
		}
	}
	return 0
}
