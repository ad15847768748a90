package collector

import (
	"math"

	"github.com/prometheus/client_golang/prometheus"
	"strconv"
	"strings"

	"github.com/rocketmq-exporter/rocketmq_exporter/leakcost"
	"github.com/rocketmq-exporter/rocketmq_exporter/runtimeinfo"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

const rtInfo = "GET_BROKER_RUNTIME_INFO"

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
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
					s.add(boolValue(up[a]), a)
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
		{
			name: "rocketmq_broker_boot_time_seconds", typ: gauge, labels: brokerL, prio: prioNever,
			help:   "When the broker process started, as Unix seconds.",
			source: rtInfo + " `bootTimestamp`", replaces: "label boottime of rocketmq_brokeruntime_*",
			emit: func(v *view, s *sink) {
				for _, p := range v.procs {
					if !p.b.BootTime.IsZero() {
						s.add(seconds(p.b.BootTime), p.b.Cluster, p.b.Name, p.id)
					}
				}
			},
		},
		{
			name: "rocketmq_broker_last_success_timestamp_seconds", typ: gauge, labels: brokerL, prio: prioNever,
			help:   "When the exporter last collected everything from the broker, as Unix seconds.",
			source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) {
				for _, p := range v.procs {
					if !p.b.LastSuccess.IsZero() {
						s.add(seconds(p.b.LastSuccess), p.b.Cluster, p.b.Name, p.id)
					}
				}
			},
		},
		{
			name: "rocketmq_broker_collect_duration_seconds", typ: gauge, labels: brokerL, prio: prioNever,
			help:   "How long the last cycle spent collecting from the broker, in seconds.",
			source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) {
				for _, p := range v.procs {
					s.add(p.b.Duration.Seconds(), p.b.Cluster, p.b.Name, p.id)
				}
			},
		},
		{
			name: "rocketmq_broker_stale", typ: gauge, labels: brokerL, prio: prioNever,
			help:   "1 when the broker's topics, groups and clients are carried over from its last successful cycle because this one failed, else 0.",
			source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) {
				for _, p := range v.procs {
					s.add(boolValue(p.b.Stale), p.b.Cluster, p.b.Name, p.id)
				}
			},
		},
		{
			name: "rocketmq_broker_collection_cut", typ: gauge, labels: brokerL, prio: prioNever,
			help: "1 when the last cycle's deadline (--collect.timeout) stopped calls to the broker before all were made, else 0. " +
				"When its listings had answered, the broker is up and every topic, group, pair or client not reached keeps the " +
				"values of the cycle before (rocketmq_broker_carried_entities); when not, it is down and stale.",
			source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) {
				for _, p := range v.procs {
					s.add(boolValue(p.b.Cut), p.b.Cluster, p.b.Name, p.id)
				}
			},
		},
		{
			name: "rocketmq_broker_collections_cut_total", typ: counter, labels: brokerL, prio: prioNever,
			help:   "Cycles whose deadline stopped calls to the broker before all were made, since the exporter started.",
			source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) {
				for _, p := range v.procs {
					s.add(float64(p.b.Cuts), p.b.Cluster, p.b.Name, p.id)
				}
			},
		},
		{
			name: "rocketmq_broker_carried_entities", typ: gauge, labels: with(brokerL, "kind"), prio: prioNever,
			help: "Entities of an up master whose values in the last cycle are those of an earlier cycle, because their call was " +
				"not made before the deadline or failed (or, for lag_seconds, waits for its turn in the look-up budget), by kind: " +
				"topic_offsets, topic_rates (put windows), group_online (connection list), group_topic_rates (get bytes and " +
				"send-back windows), lag_seconds (age of the oldest unconsumed message), client_running_info.",
			source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) {
				for _, p := range v.procs {
					if !p.b.Up || !isMaster(p.b) {
						continue // a down broker is stale as a whole; slaves have no entities of their own
					}
					for _, k := range snapshot.CarriedKinds {
						s.add(float64(p.b.Carried[k]), p.b.Cluster, p.b.Name, p.id, k)
					}
				}
			},
		},
		{
			name: "rocketmq_broker_lag_seconds_pending", typ: gauge, labels: brokerL, prio: prioNever,
			help: "Lagging (topic, group) pairs of an up master whose age of the oldest unconsumed message was not read in the " +
				"last cycle and is not cached: over the per-broker budget of 2,000 look-ups, cut by the deadline, or failed. " +
				"Each keeps its last age; the pairs asked longest ago go first, so every pair is read within pending/2000+1 cycles.",
			source: "QUERY_CONSUME_TIME_SPAN", replaces: "(none)",
			emit: func(v *view, s *sink) {
				for _, p := range v.procs {
					if p.b.Up && isMaster(p.b) {
						s.add(float64(p.b.LagPending), p.b.Cluster, p.b.Name, p.id)
					}
				}
			},
		},
		{
			name: "rocketmq_broker_replication_lag_bytes", typ: gauge, labels: brokerL, prio: prioNever,
			help:   "Commit-log bytes a slave is behind its master: the master's commitLogMaxOffset minus the slave's, at least 0.",
			source: rtInfo + " `commitLogMaxOffset` of master and slave", replaces: "rocketmq_broker_commitlog_diff",
			emit: func(v *view, s *sink) {
				for _, p := range v.procs {
					if lag, ok := replicationLag(v, p.b); ok {
						s.add(max(0, lag), p.b.Cluster, p.b.Name, p.id)
					}
				}
			},
		},
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
				for _, b := range v.entities {
					if !b.Up && !hasEntities(b) {
						continue
					}
					var n [len(topicKinds)]int
					for i := range b.Topics {
						if i > 0 && b.Topics[i-1].Name == b.Topics[i].Name {
							continue
						}
						n[kindIndex(topicKind(&b.Topics[i]))]++
					}
					for i, k := range topicKinds {
						s.add(float64(n[i]), b.Cluster, b.Name, string(k))
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
				for _, b := range v.entities {
					if !b.Up && !hasEntities(b) {
						continue
					}
					n := map[snapshot.GroupKind]int{}
					for i := range b.Groups {
						if i == 0 || b.Groups[i-1].Name != b.Groups[i].Name {
							n[snapshot.ClassifyGroup(b.Groups[i].Name)]++
						}
					}
					for _, k := range []snapshot.GroupKind{snapshot.GroupBusiness, snapshot.GroupSystem} {
						s.add(float64(n[k]), b.Cluster, b.Name, string(k))
					}
				}
			},
		},
	}
}

// unreachableTarget tells whether some target failed and left no broker in
// the snapshot, so rocketmq_up needs its empty-label series.
func unreachableTarget(v *view) bool {
	clusters := map[string]bool{}
	for _, p := range v.procs {
		clusters[p.b.Cluster] = true
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

func topicKind(t *snapshot.Topic) snapshot.TopicKind {
	if t.Kind != "" {
		return t.Kind
	}
	return snapshot.ClassifyTopic(t.Name)
}

// rtValue is a family read from one numeric runtime key of every broker;
// negative values are left out.
func rtValue(name, help, key string, typ prometheus.ValueType, div float64, replaces string) *family {
	return &family{
		name: name, help: help, typ: typ, labels: brokerL, prio: prioNever,
		source: rtInfo + " `" + key + "`", replaces: replaces,
		emit: func(v *view, s *sink) {
			for _, p := range v.procs {
				// The broker prints -1 for "unknown" (commitLogMinOffset
				// of an empty store, for one).
				if x, ok := p.b.Runtime.Values[key]; ok && x >= 0 {
					s.add(x/div, p.b.Cluster, p.b.Name, p.id)
				}
			}
		},
	}
}

var windowLabels = [3]string{"10s", "60s", "600s"}

func windowValues(w runtimeinfo.Windows) [3]float64 { return [3]float64{w.Sec10, w.Sec60, w.Sec600} }

// threadPools are the broker's request pools: label and runtime keys.
var threadPools = []struct{ label, size, capacity, wait string }{
	{"send", "sendThreadPoolQueueSize", "sendThreadPoolQueueCapacity", "sendThreadPoolQueueHeadWaitTimeMills"},
	{"pull", "pullThreadPoolQueueSize", "pullThreadPoolQueueCapacity", "pullThreadPoolQueueHeadWaitTimeMills"},
	{"lite_pull", "litePullThreadPoolQueueSize", "litePullThreadPoolQueueCapacity", "litePullThreadPoolQueueHeadWaitTimeMills"},
	{"query", "queryThreadPoolQueueSize", "queryThreadPoolQueueCapacity", "queryThreadPoolQueueHeadWaitTimeMills"},
	{"ack", "ackThreadPoolQueueSize", "ackThreadPoolQueueCapacity", "ackThreadPoolQueueHeadWaitTimeMills"},
	{"end_transaction", "EndTransactionQueueSize", "EndTransactionThreadPoolQueueCapacity", ""},
}

// poolFamily is a per-pool family from one key of each pool.
func poolFamily(name, help string, key func(i int) string, div float64, replaces string) *family {
	return &family{
		name: name, help: help, typ: gauge, labels: with(brokerL, "pool"), prio: prioNever,
		source: rtInfo + " `<pool>ThreadPoolQueue…` keys (see pool label)", replaces: replaces,
		emit: func(v *view, s *sink) {
			for _, p := range v.procs {
				for i, tp := range threadPools {
					k := key(i)
					if k == "" {
						continue
					}
					if x, ok := p.b.Runtime.Values[k]; ok {
						s.add(x/div, p.b.Cluster, p.b.Name, p.id, tp.label)
					}
				}
			}
		},
	}
}

// getTPS are the get-rate keys by result label; the first key present wins.
var getTPS = []struct {
	result string
	keys   []string
}{
	{"found", []string{"getFoundTps"}},
	{"miss", []string{"getMissTps"}},
	{"total", []string{"getTotalTps"}},
	{"transferred", []string{"getTransferredTps", "getTransferedTps"}},
}

// runtimeFamilies come from GET_BROKER_RUNTIME_INFO; each is served for a
// broker only when its key is there, as keys differ between versions.
func runtimeFamilies() []*family {
	return []*family{
		rtValue("rocketmq_broker_put_messages_total", "Messages the broker's store has put since it started (it reports 1 before the first).",
			"putMessageTimesTotal", counter, 1, "rocketmq_brokeruntime_putmessage_times_total"),
		rtValue("rocketmq_broker_put_bytes_total", "Message bytes the broker's store has put since it started.",
			"putMessageSizeTotal", counter, 1, "rocketmq_brokeruntime_put_message_size_total"),
		rtValue("rocketmq_broker_put_failures_total", "Puts the broker's store failed since it started.",
			"putMessageFailedTimes", counter, 1, "(none)"),
		{
			name: "rocketmq_broker_put_messages_per_second", typ: gauge, labels: with(brokerL, "window"), prio: prioNever,
			help:   "Messages put per second, averaged by the broker over the last 10 s, 60 s or 600 s (window).",
			source: rtInfo + " `putTps`", replaces: "rocketmq_brokeruntime_put_tps10/60/600, rocketmq_broker_tps",
			emit: func(v *view, s *sink) {
				for _, p := range v.procs {
					if w, ok := p.b.Runtime.TPS["putTps"]; ok {
						vals := windowValues(w)
						for i := range 3 {
							if w.Has[i] {
								s.add(vals[i], p.b.Cluster, p.b.Name, p.id, windowLabels[i])
							}
						}
					}
				}
			},
		},
		{
			name: "rocketmq_broker_get_messages_per_second", typ: gauge, labels: with(brokerL, "result", "window"), prio: prioNever,
			help: "Gets per second averaged by the broker over the last 10 s, 60 s or 600 s (window): result found and miss " +
				"count pull requests that found messages or not, total both, transferred the messages handed out.",
			source:   rtInfo + " `getFoundTps`, `getMissTps`, `getTotalTps`, `getTransferredTps` (4.x: `getTransferedTps`)",
			replaces: "rocketmq_brokeruntime_getfound/getmiss/gettotal/gettransfered_tps10/60/600, rocketmq_broker_qps",
			emit: func(v *view, s *sink) {
				for _, p := range v.procs {
					for _, g := range getTPS {
						w, ok := p.b.Runtime.FirstTPS(g.keys...)
						if !ok {
							continue
						}
						vals := windowValues(w)
						for i := range 3 {
							if w.Has[i] {
								s.add(vals[i], p.b.Cluster, p.b.Name, p.id, g.result, windowLabels[i])
							}
						}
					}
				}
			},
		},
		{
			name: "rocketmq_broker_put_latency_seconds", typ: untyped, labels: with(brokerL, "quantile"), prio: prioNever,
			help: "The broker's own 99th and 99.9th percentile put latency over its recent window, in seconds. Untyped: " +
				"the broker gives no count or sum, so this is not a full summary.",
			source: rtInfo + " `putLatency99`, `putLatency999`", replaces: "rocketmq_brokeruntime_put_latency_99/999",
			emit: func(v *view, s *sink) {
				for _, p := range v.procs {
					if x, ok := p.b.Runtime.Values["putLatency99"]; ok {
						s.add(msToSeconds(x), p.b.Cluster, p.b.Name, p.id, "0.99")
					}
					if x, ok := p.b.Runtime.Values["putLatency999"]; ok {
						s.add(msToSeconds(x), p.b.Cluster, p.b.Name, p.id, "0.999")
					}
				}
			},
		},
		rtValue("rocketmq_broker_put_latency_max_seconds", "The longest put the broker's store took in its current stats window, in seconds.",
			"putMessageEntireTimeMax", gauge, 1000, "rocketmq_brokeruntime_putmessage_entire_time_max"),
		rtValue("rocketmq_broker_get_latency_max_seconds", "The longest get the broker's store took in its current stats window, in seconds.",
			"getMessageEntireTimeMax", gauge, 1000, "rocketmq_brokeruntime_getmessage_entire_time_max"),
		{
			name: "rocketmq_broker_put_latency_window_messages", typ: untyped, labels: with(brokerL, "le"), prio: prioNever,
			help: "Puts in the broker's current one-minute latency window that took at most le seconds (cumulative, +Inf last). " +
				"Untyped: the broker resets the window every minute and gives no sum, so it is not a histogram.",
			source: rtInfo + " `putMessageDistributeTime`", replaces: "rocketmq_brokeruntime_pmdt_* (13 families)",
			emit: func(v *view, s *sink) {
				for _, p := range v.procs {
					cum := 0.0
					for _, bk := range p.b.Runtime.PutLatency {
						cum += bk.Count
						s.add(cum, p.b.Cluster, p.b.Name, p.id, leLabel(bk.UpperSeconds))
					}
				}
			},
		},
		poolFamily("rocketmq_broker_thread_pool_queue_size", "Requests waiting in the queue of a broker thread pool (pool).",
			func(i int) string { return threadPools[i].size }, 1,
			"rocketmq_brokeruntime_send_threadpool_queue_size, …_pull_threadpoolqueue_size, …_query_threadpoolqueue_size"),
		poolFamily("rocketmq_broker_thread_pool_queue_capacity", "Capacity of the queue of a broker thread pool (pool).",
			func(i int) string { return threadPools[i].capacity }, 1,
			"rocketmq_brokeruntime_{send,pull}_threadpoolqueue_capacity, …_query_threadpool_queue_capacity"),
		poolFamily("rocketmq_broker_thread_pool_queue_head_wait_seconds", "How long the oldest request in a broker thread pool's queue (pool) has waited, in seconds.",
			func(i int) string { return threadPools[i].wait }, 1000,
			"rocketmq_brokeruntime_{send,pull,query}_threadpoolqueue_headwait_timemills"),
		{
			name: "rocketmq_broker_disk_used_ratio", typ: gauge, labels: with(brokerL, "store"), prio: prioNever,
			help:   "Used fraction (0-1) of the disk holding the commit log (store=commitlog, the fullest path) or the consume queues (store=consumequeue).",
			source: rtInfo + " `commitLogDiskRatio`, `consumeQueueDiskRatio`", replaces: "rocketmq_brokeruntime_commitlog_disk_ratio, …_consumequeue_disk_ratio",
			emit: func(v *view, s *sink) {
				for _, p := range v.procs {
					if x, ok := p.b.Runtime.Values["commitLogDiskRatio"]; ok && x >= 0 {
						s.add(x, p.b.Cluster, p.b.Name, p.id, "commitlog")
					}
					if x, ok := p.b.Runtime.Values["consumeQueueDiskRatio"]; ok && x >= 0 {
						s.add(x, p.b.Cluster, p.b.Name, p.id, "consumequeue")
					}
				}
			},
		},
		{
			name: "rocketmq_broker_commitlog_dir_size_bytes", typ: gauge, labels: brokerL, prio: prioNever,
			help:   "Size of the file system holding the commit log directory, in bytes.",
			source: rtInfo + " `commitLogDirCapacity` (Total)", replaces: "rocketmq_brokeruntime_commitlogdir_capacity_total",
			emit: func(v *view, s *sink) {
				for _, p := range v.procs {
					if x := p.b.Runtime.CommitLogDirTotalBytes; x >= 0 && p.b.Runtime.Values != nil {
						s.add(x, p.b.Cluster, p.b.Name, p.id)
					}
				}
			},
		},
		{
			name: "rocketmq_broker_commitlog_dir_free_bytes", typ: gauge, labels: brokerL, prio: prioNever,
			help:   "Free space of the file system holding the commit log directory, in bytes.",
			source: rtInfo + " `commitLogDirCapacity` (Free)", replaces: "rocketmq_brokeruntime_commitlogdir_capacity_free",
			emit: func(v *view, s *sink) {
				for _, p := range v.procs {
					if x := p.b.Runtime.CommitLogDirFreeBytes; x >= 0 && p.b.Runtime.Values != nil {
						s.add(x, p.b.Cluster, p.b.Name, p.id)
					}
				}
			},
		},
		rtValue("rocketmq_broker_commitlog_min_offset_bytes", "Physical offset of the oldest commit-log byte still stored.",
			"commitLogMinOffset", gauge, 1, "rocketmq_brokeruntime_commitlog_minoffset"),
		rtValue("rocketmq_broker_commitlog_max_offset_bytes", "Physical offset the commit log has been written up to.",
			"commitLogMaxOffset", gauge, 1, "rocketmq_brokeruntime_commitlog_maxoffset"),
		rtValue("rocketmq_broker_dispatch_behind_bytes", "Commit-log bytes not yet dispatched to consume queues and indexes.",
			"dispatchBehindBytes", gauge, 1, "rocketmq_brokeruntime_dispatch_behind_bytes"),
		sizeFamily("rocketmq_broker_flush_behind_bytes", "Commit-log bytes written but not yet flushed to disk.",
			"remainHowManyDataToFlush", "rocketmq_brokeruntime_remain_howmanydata_toflush"),
		sizeFamily("rocketmq_broker_commit_behind_bytes", "Bytes in the transient store pool not yet committed to the commit log (only with transientStorePoolEnable).",
			"remainHowManyDataToCommit", "(none)"),
		rtValue("rocketmq_broker_page_cache_lock_seconds", "How long the current put has held the commit-log lock, in seconds (0 when none is in progress).",
			"pageCacheLockTimeMills", gauge, 1000, "rocketmq_brokeruntime_pagecache_lock_time_mills"),
		{
			name: "rocketmq_broker_earliest_message_timestamp_seconds", typ: gauge, labels: brokerL, prio: prioNever,
			help:   "Store time of the oldest message still in the commit log, as Unix seconds.",
			source: rtInfo + " `earliestMessageTimeStamp`", replaces: "rocketmq_brokeruntime_earliest_message_timestamp",
			emit: func(v *view, s *sink) {
				for _, p := range v.procs {
					if x, ok := p.b.Runtime.Values["earliestMessageTimeStamp"]; ok && x > 0 {
						s.add(msToSeconds(x), p.b.Cluster, p.b.Name, p.id)
					}
				}
			},
		},
		{
			name: "rocketmq_broker_delay_queue_lag_messages", typ: gauge, labels: with(brokerL, "level"), prio: prioNever,
			help:   "Scheduled (delay-level) messages stored but not yet delivered, by delay level.",
			source: rtInfo + " `scheduleMessageOffset_<level>`", replaces: "(none; Java parsed but never exported it)",
			emit: func(v *view, s *sink) {
				for _, p := range v.procs {
					for _, d := range p.b.Runtime.DelayLevels {
						s.add(d.Lag(), p.b.Cluster, p.b.Name, p.id, strconv.Itoa(d.Level))
					}
				}
			},
		},
		rtValue("rocketmq_broker_timer_behind_messages", "Messages the 5.x timer wheel has not yet enqueued from the commit log.",
			"timerOffsetBehind", gauge, 1, "(none)"),
		rtValue("rocketmq_broker_timer_dequeue_behind_seconds", "How far the 5.x timer wheel's delivery lags behind the clock, in seconds.",
			"timerReadBehind", gauge, 1, "(none)"),
		rtValue("rocketmq_broker_timer_congested_messages", "Timer messages due in the 5.x timer wheel's current slot and not yet delivered.",
			"timerCongestNum", gauge, 1, "(none)"),
		{
			name: "rocketmq_broker_timer_messages_per_second", typ: gauge, labels: with(brokerL, "direction"), prio: prioNever,
			help:   "Messages per second the 5.x timer wheel enqueues or delivers (direction=enqueue|dequeue).",
			source: rtInfo + " `timerEnqueueTps`, `timerDequeueTps`", replaces: "(none)",
			emit: func(v *view, s *sink) {
				for _, p := range v.procs {
					if x, ok := p.b.Runtime.Values["timerEnqueueTps"]; ok {
						s.add(x, p.b.Cluster, p.b.Name, p.id, "enqueue")
					}
					if x, ok := p.b.Runtime.Values["timerDequeueTps"]; ok {
						s.add(x, p.b.Cluster, p.b.Name, p.id, "dequeue")
					}
				}
			},
		},
	}
}

func sizeFamily(name, help, key, replaces string) *family {
	return &family{
		name: name, help: help, typ: gauge, labels: brokerL, prio: prioNever,
		source: rtInfo + " `" + key + "` (human-readable size)", replaces: replaces,
		emit: func(v *view, s *sink) {
			for _, p := range v.procs {
				if x, ok := p.b.Runtime.Sizes[key]; ok {
					s.add(x, p.b.Cluster, p.b.Name, p.id)
				}
			}
		},
	}
}

func leLabel(upper float64) string {
	if math.IsInf(upper, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(upper, 'g', -1, 64)
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
					s.add(1, b.Cluster, b.Name, t.Name, string(topicKind(t)), strconv.FormatBool(t.Order))
				})
			},
		},
		{
			name: "rocketmq_topic_read_queues", typ: gauge, labels: topicL, prio: prioTopic,
			help: "Read queues of the topic on the broker.", source: "GET_ALL_TOPIC_CONFIG", replaces: "(none)",
			emit: func(v *view, s *sink) {
				v.eachTopic(func(b *snapshot.Broker, t *snapshot.Topic) { s.add(float64(t.ReadQueues), b.Cluster, b.Name, t.Name) })
			},
		},
		{
			name: "rocketmq_topic_write_queues", typ: gauge, labels: topicL, prio: prioTopic,
			help: "Write queues of the topic on the broker.", source: "GET_ALL_TOPIC_CONFIG", replaces: "(none)",
			emit: func(v *view, s *sink) {
				v.eachTopic(func(b *snapshot.Broker, t *snapshot.Topic) { s.add(float64(t.WriteQueues), b.Cluster, b.Name, t.Name) })
			},
		},
		{
			name: "rocketmq_topic_messages_put_total", typ: counter, labels: topicL, prio: prioTopic,
			help:   "Messages ever put to the topic on the broker: the sum of its queues' max offsets.",
			source: "GET_TOPIC_STATS_INFO", replaces: "rocketmq_producer_offset, rocketmq_topic_retry_offset, rocketmq_topic_dlq_offset",
			emit: func(v *view, s *sink) {
				v.eachTopic(func(b *snapshot.Broker, t *snapshot.Topic) {
					if t.HasOffsets {
						s.add(float64(t.MaxOffset), b.Cluster, b.Name, t.Name)
					}
				})
			},
		},
		{
			name: "rocketmq_topic_stored_messages", typ: gauge, labels: topicL, prio: prioTopic,
			help:   "Messages of the topic still stored on the broker: the sum over its queues of max minus min offset.",
			source: "GET_TOPIC_STATS_INFO", replaces: "(none)",
			emit: func(v *view, s *sink) {
				v.eachTopic(func(b *snapshot.Broker, t *snapshot.Topic) {
					if t.HasOffsets {
						s.add(float64(max(0, t.MaxOffset-t.MinOffset)), b.Cluster, b.Name, t.Name)
					}
				})
			},
		},
		{
			name: "rocketmq_topic_last_put_timestamp_seconds", typ: gauge, labels: topicL, prio: prioTopic,
			help:   "Store time of the newest message of the topic on the broker, as Unix seconds.",
			source: "GET_TOPIC_STATS_INFO (lastUpdateTimestamp)", replaces: "(none)",
			emit: func(v *view, s *sink) {
				v.eachTopic(func(b *snapshot.Broker, t *snapshot.Topic) {
					if t.HasOffsets && t.LastPut > 0 {
						s.add(msToSeconds(float64(t.LastPut)), b.Cluster, b.Name, t.Name)
					}
				})
			},
		},
		{
			name: "rocketmq_topic_put_messages_per_second", typ: gauge, labels: topicL, prio: prioTopic,
			help:   "Messages put to the topic per second over the broker's last minute.",
			source: "VIEW_BROKER_STATS_DATA TOPIC_PUT_NUMS", replaces: "rocketmq_producer_tps",
			emit: func(v *view, s *sink) {
				v.eachTopic(func(b *snapshot.Broker, t *snapshot.Topic) {
					if t.Put != nil {
						s.add(t.Put.TPS, b.Cluster, b.Name, t.Name)
					}
				})
			},
		},
		{
			name: "rocketmq_topic_put_bytes_per_second", typ: gauge, labels: topicL, prio: prioTopic,
			help:   "Message bytes put to the topic per second over the broker's last minute.",
			source: "VIEW_BROKER_STATS_DATA TOPIC_PUT_SIZE", replaces: "rocketmq_producer_message_size",
			emit: func(v *view, s *sink) {
				v.eachTopic(func(b *snapshot.Broker, t *snapshot.Topic) {
					if t.Put != nil {
						s.add(t.Put.BytesPerSec, b.Cluster, b.Name, t.Name)
					}
				})
			},
		},
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

var clientL = []string{"cluster", "broker", "group", "client_id", "topic"}

// runningFamily is one figure a consumer client reports about itself.
func runningFamily(name, help string, get func(r *snapshot.ClientRunning) float64, replaces string) *family {
	return &family{
		name: name, help: help, typ: gauge, labels: clientL, prio: prioClient, needs: needClient,
		source: "GET_CONSUMER_RUNNING_INFO (statusTable)", replaces: replaces,
		emit: func(v *view, s *sink) {
			v.eachClient(func(b *snapshot.Broker, g *snapshot.Group, c *snapshot.Client) {
				for topic, r := range c.Running {
					s.add(get(&r), b.Cluster, b.Name, g.Name, c.ID, topic)
				}
			})
		},
	}
}

// clientFamilies are per client: only with ClientMetrics.
func clientFamilies() []*family {
	infoL := with(groupL, "client_id", "client_addr", "language", "version")
	return []*family{
		{
			name: "rocketmq_consumer_client_info", typ: gauge, labels: infoL, prio: prioClient, needs: needClient,
			help:   "Always 1: a consumer client connected to the broker for the group, with its address, language and version code.",
			source: "GET_CONSUMER_CONNECTION_LIST", replaces: "labels caddr, localaddr of rocketmq_group_count",
			emit: func(v *view, s *sink) {
				v.eachClient(func(b *snapshot.Broker, g *snapshot.Group, c *snapshot.Client) {
					s.add(1, b.Cluster, b.Name, g.Name, c.ID, c.Addr, c.Language, strconv.Itoa(c.Version))
				})
			},
		},
		runningFamily("rocketmq_consumer_client_consume_latency_seconds", "Average time the client's listener took per message of the topic, as the client reports it, in seconds.",
			func(r *snapshot.ClientRunning) float64 { return msToSeconds(r.ConsumeRT) }, "rocketmq_client_consume_rt"),
		runningFamily("rocketmq_consumer_client_consume_ok_messages_per_second", "Messages of the topic the client consumed successfully per second, as it reports it.",
			func(r *snapshot.ClientRunning) float64 { return r.ConsumeOKTPS }, "rocketmq_client_consume_ok_msg_tps"),
		runningFamily("rocketmq_consumer_client_consume_failed_messages_per_second", "Messages of the topic the client failed to consume per second, as it reports it.",
			func(r *snapshot.ClientRunning) float64 { return r.ConsumeFailedTPS }, "rocketmq_client_consume_fail_msg_tps"),
		runningFamily("rocketmq_consumer_client_consume_failed_messages", "Messages of the topic the client failed to consume in the last hour, as it reports it.",
			func(r *snapshot.ClientRunning) float64 { return float64(r.ConsumeFailedMsgs) }, "rocketmq_client_consume_fail_msg_count"),
		runningFamily("rocketmq_consumer_client_pull_latency_seconds", "Average time the client's pulls of the topic took, as it reports it, in seconds.",
			func(r *snapshot.ClientRunning) float64 { return msToSeconds(r.PullRT) }, "rocketmq_client_consumer_pull_rt"),
		runningFamily("rocketmq_consumer_client_pull_messages_per_second", "Messages of the topic the client pulled per second, as it reports it.",
			func(r *snapshot.ClientRunning) float64 { return r.PullTPS }, "rocketmq_client_consumer_pull_tps"),
		{
			name: "rocketmq_producer_client_info", typ: gauge, labels: infoL, prio: prioClient, needs: needClient,
			help:   "Always 1: a producer client connected to the broker for the group, with its address, language and version code.",
			source: "GET_ALL_PRODUCER_INFO", replaces: "(none)",
			emit: func(v *view, s *sink) {
				v.eachProducer(func(b *snapshot.Broker, p *snapshot.ProducerGroup) {
					for i := range p.Clients {
						c := &p.Clients[i]
						if i > 0 && p.Clients[i-1].ID == c.ID {
							continue
						}
						s.add(1, b.Cluster, b.Name, p.Name, c.ID, c.Addr, c.Language, strconv.Itoa(c.Version))
					}
				})
			},
		},
	}
}

// leakFamilies report what probing found left behind by deleted topics and
// groups, and the light message queues.
func leakFamilies() []*family {
	byStats := func(name, help string, get func(r *snapshot.LeakReport) map[string]int, source string) *family {
		return &family{
			name: name, help: help, typ: gauge, labels: with(nameL, "stats"), prio: prioNever,
			source: source, replaces: "(none)",
			emit: func(v *view, s *sink) {
				for _, b := range v.entities {
					if b.Leaks == nil {
						continue
					}
					for st, n := range get(b.Leaks) {
						s.add(float64(n), b.Cluster, b.Name, st)
					}
				}
			},
		}
	}
	return []*family{
		byStats("rocketmq_broker_leaked_stat_items", "Stat items (by stats name) the broker answered for, among the keys probed, "+
			"that belong to topics or groups no longer in its unfiltered listings. Known deletions are those this process saw "+
			"(until the broker restarts or --leak.max-tombstones pushes them out), those derived from the broker's consumer "+
			"offsets and %RETRY%/%DLQ% topics, and names recalled from --leak.history-url/--leak.state-file; a subject "+
			"deleted before any of these saw it is not counted. Keys still in the probe backlog are not counted yet. "+
			"Per-queue items are probed on every queue of the topic and count once per queue.",
			func(r *snapshot.LeakReport) map[string]int { return r.StatItems }, "VIEW_BROKER_STATS_DATA probes"),
		leakedBytesFamily(),
		{
			name: "rocketmq_broker_leaked_stat_items_inferred", typ: gauge, labels: with(nameL, "stats"), prio: prioNever,
			help: "Stat items (by stats name) counted in rocketmq_broker_leaked_stat_bytes that no probe asked about, inferred from " +
				"those the broker answered for: beside every per-queue GROUP_GET_LATENCY item the broker keeps a GROUP_GET_FALL_SIZE and a GROUP_GET_FALL_TIME " +
				"item (moment sets VIEW_BROKER_STATS_DATA cannot read), made and cleaned with it. Not counted in " +
				"rocketmq_broker_leaked_stat_items.",
			source: "inferred from VIEW_BROKER_STATS_DATA probes and topic queue counts", replaces: "(none)",
			emit: func(v *view, s *sink) {
				for _, b := range v.entities {
					for st, n := range leakEstimate(v, b).Inferred {
						s.add(float64(n), b.Cluster, b.Name, st)
					}
				}
			},
		},
		byStats("rocketmq_broker_leak_probed_keys", "Stat keys (by stats name) the exporter asked the broker about this cycle while looking for leftovers.",
			func(r *snapshot.LeakReport) map[string]int { return r.ProbedKeys }, "VIEW_BROKER_STATS_DATA probes"),
		{
			name: "rocketmq_broker_leak_probe_backlog", typ: gauge, labels: nameL, prio: prioNever,
			help: "Stat keys of deleted topics and groups not asked yet. Keys are asked first in, first out, " +
				"--leak.probes per cycle: a key queued behind N others is asked within ceil((N+1)/probes) cycles.",
			source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) {
				for _, b := range v.entities {
					if b.Leaks != nil {
						s.add(float64(b.Leaks.Backlog), b.Cluster, b.Name)
					}
				}
			},
		},
		{
			name: "rocketmq_exporter_tombstones_dropped_total", typ: counter, labels: nameL, prio: prioNever,
			help: "Deleted topics and groups forgotten for the broker because --leak.max-tombstones was reached " +
				"(those found clean first, then the oldest); their leftovers are no longer followed.",
			source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) {
				for _, b := range v.entities {
					if b.Leaks != nil {
						s.add(float64(b.Leaks.TombstonesDropped), b.Cluster, b.Name)
					}
				}
			},
		},
		{
			name: "rocketmq_broker_orphaned_consumer_offsets", typ: gauge, labels: nameL, prio: prioNever,
			help:   "Committed consumer offsets on the broker whose topic or group no longer exists.",
			source: "GET_ALL_CONSUMER_OFFSET, GET_ALL_TOPIC_CONFIG, GET_ALL_SUBSCRIPTIONGROUP_CONFIG", replaces: "(none)",
			emit: func(v *view, s *sink) {
				for _, b := range v.entities {
					if b.Leaks != nil {
						s.add(float64(len(b.Leaks.OrphanedOffsets)), b.Cluster, b.Name)
					}
				}
			},
		},
		{
			name: "rocketmq_broker_leftover_topics", typ: gauge, labels: with(nameL, "kind"), prio: prioNever,
			help:   "Retry (%RETRY%) and dead-letter (%DLQ%) topics on the broker whose consumer group no longer exists, by kind.",
			source: "GET_ALL_TOPIC_CONFIG, GET_ALL_SUBSCRIPTIONGROUP_CONFIG", replaces: "(none)",
			emit: func(v *view, s *sink) {
				for _, b := range v.entities {
					if b.Leaks == nil {
						continue
					}
					retry, dlq := 0, 0
					for _, t := range b.Leaks.LeftoverTopics {
						switch {
						case strings.HasPrefix(t, snapshot.RetryPrefix):
							retry++
						case strings.HasPrefix(t, snapshot.DLQPrefix):
							dlq++
						}
					}
					s.add(float64(retry), b.Cluster, b.Name, "retry")
					s.add(float64(dlq), b.Cluster, b.Name, "dlq")
				}
			},
		},
		{
			name: "rocketmq_exporter_tombstones", typ: gauge, labels: with(nameL, "kind"), prio: prioNever,
			help:   "Deleted topics and groups the exporter remembers for the broker (seen deleted, derived from its offsets and leftover topics, or recalled from history), by kind; kept until the broker restarts.",
			source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) {
				for _, b := range v.entities {
					if b.Leaks == nil {
						continue
					}
					for k, n := range b.Leaks.Tombstones {
						s.add(float64(n), b.Cluster, b.Name, k)
					}
				}
			},
		},
		{
			name: "rocketmq_broker_lmq_groups", typ: gauge, labels: nameL, prio: prioNever,
			help:   "Consumer groups with offsets on light message queues (%LMQ%…) of the broker.",
			source: "GET_ALL_CONSUMER_OFFSET", replaces: "(none)",
			emit: func(v *view, s *sink) {
				for _, b := range v.entities {
					if b.LMQ != nil {
						s.add(float64(b.LMQ.Groups), b.Cluster, b.Name)
					}
				}
			},
		},
		{
			name: "rocketmq_broker_lmq_stat_items", typ: gauge, labels: nameL, prio: prioNever,
			help: "Per-LMQ stat items (GROUP_GET_NUMS %LMQ%…@group) the broker holds among the LMQs probed; " +
				"they exist only with enableLmqStats=true and are never cleaned, so they grow with MQTT client churn.",
			source: "VIEW_BROKER_STATS_DATA GROUP_GET_NUMS for LMQs seen in GET_ALL_CONSUMER_OFFSET", replaces: "(none)",
			emit: func(v *view, s *sink) {
				for _, b := range v.entities {
					if b.LMQ != nil && b.LMQ.ProbedKeys > 0 {
						s.add(float64(b.LMQ.StatItems), b.Cluster, b.Name)
					}
				}
			},
		},
	}
}

// leakedBytesFamily prices what a broker leaks: see package leakcost.
func leakedBytesFamily() *family {
	return &family{
		name: "rocketmq_broker_leaked_stat_bytes", typ: gauge, labels: nameL, prio: prioNever,
		help: "Estimated heap, in bytes, the broker holds for leaked stat items: those it answered for " +
			"(rocketmq_broker_leaked_stat_items) and those they imply (rocketmq_broker_leaked_stat_items_inferred). An " +
			"estimate, not a reading: each item is priced as measured by " + leakcost.Calibration + " (docs/leaks.md), " +
			"for the nearest calibrated version, and taken to be as old as the broker process, so that it holds a day of " +
			"snapshots after a day of uptime. Only a broker restart frees it. No series for a version no calibration covers.",
		source: "VIEW_BROKER_STATS_DATA probes, GET_BROKER_RUNTIME_INFO version and boot time", replaces: "(none)",
		emit: func(v *view, s *sink) {
			for _, b := range v.entities {
				if e := leakEstimate(v, b); e.Calibration != "" && b.Leaks != nil {
					s.add(float64(e.Bytes), b.Cluster, b.Name)
				}
			}
		},
	}
}

// leakEstimate prices a broker's leak report as of the end of the cycle
// that made it, never the scrape's clock: a snapshot's series are encoded
// once.
func leakEstimate(v *view, b *snapshot.Broker) leakcost.Estimate {
	return leakcost.Of(b.Leaks, b.Version, leakcost.Age(b.BootTime, v.s.Finished))
}

// selfFamilies describe the exporter's last cycle and this scrape.
func selfFamilies() []*family {
	return []*family{
		{
			name: "rocketmq_exporter_last_cycle_duration_seconds", typ: gauge, prio: prioNever,
			help: "How long the last collection cycle took, in seconds.", source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) {
				if !v.s.Finished.IsZero() && !v.s.Started.IsZero() {
					s.add(v.s.Duration().Seconds())
				}
			},
		},
		{
			name: "rocketmq_exporter_last_cycle_timestamp_seconds", typ: gauge, prio: prioNever,
			help: "When the last collection cycle finished, as Unix seconds.", source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) {
				if !v.s.Finished.IsZero() {
					s.add(seconds(v.s.Finished))
				}
			},
		},
		{
			name: "rocketmq_exporter_snapshot_age_seconds", typ: gauge, prio: prioNever,
			help: "Age of the served snapshot at scrape time: now minus when its cycle finished, in seconds.", source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) {
				if !v.s.Finished.IsZero() {
					s.add(v.now.Sub(v.s.Finished).Seconds())
				}
			},
		},
		{
			name: "rocketmq_exporter_cycle_overran", typ: gauge, prio: prioNever,
			help: "1 when the last cycle hit its deadline and brokers not finished by then are reported down, else 0.", source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) { s.add(boolValue(v.s.Overran)) },
		},
		{
			name: "rocketmq_exporter_tracked_entities", typ: gauge, labels: []string{"kind"}, prio: prioNever,
			help: "Entities (topics, groups, clients, …) the last snapshot tracks, by kind.", source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) {
				for k, n := range v.s.Entities {
					s.add(float64(n), k)
				}
			},
		},
		{
			name: "rocketmq_exporter_series_dropped", typ: gauge, labels: []string{"family"}, prio: prioNever, meta: true,
			help: "Series left out of this scrape because --max-series dropped the whole family, by family.", source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) {
				for f, n := range v.dropped {
					s.add(float64(n), f)
				}
			},
		},
		{
			name: "rocketmq_exporter_series", typ: gauge, labels: []string{"family"}, prio: prioNever, meta: true,
			help: "Series this scrape served, by family (this family itself not included).", source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) {
				for _, f := range v.servedOrder {
					s.add(float64(v.served[f]), f)
				}
			},
		},
	}
}
