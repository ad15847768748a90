package collector

import (
	"math"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rocketmq-exporter/rocketmq_exporter/runtimeinfo"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// rtValue is a family read from one numeric runtime key of every broker;
// negative values are left out.
func rtValue(name, help, key string, typ prometheus.ValueType, div float64, replaces string) *family {
	return perBroker(def{name: name, help: help, typ: typ, source: rtInfo + " `" + key + "`", replaces: replaces},
		func(_ *view, b *snapshot.Broker) (float64, bool) {
			// The broker prints -1 for "unknown" (commitLogMinOffset of an
			// empty store, for one).
			x, ok := b.Runtime.Values[key]
			return x / div, ok && x >= 0
		})
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
		perBroker(def{name: "rocketmq_broker_commitlog_dir_size_bytes", typ: gauge,
			help:   "Size of the file system holding the commit log directory, in bytes.",
			source: rtInfo + " `commitLogDirCapacity` (Total)", replaces: "rocketmq_brokeruntime_commitlogdir_capacity_total"},
			func(_ *view, b *snapshot.Broker) (float64, bool) {
				x := b.Runtime.CommitLogDirTotalBytes
				return x, x >= 0 && b.Runtime.Values != nil
			}),
		perBroker(def{name: "rocketmq_broker_commitlog_dir_free_bytes", typ: gauge,
			help:   "Free space of the file system holding the commit log directory, in bytes.",
			source: rtInfo + " `commitLogDirCapacity` (Free)", replaces: "rocketmq_brokeruntime_commitlogdir_capacity_free"},
			func(_ *view, b *snapshot.Broker) (float64, bool) {
				x := b.Runtime.CommitLogDirFreeBytes
				return x, x >= 0 && b.Runtime.Values != nil
			}),
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
		perBroker(def{name: "rocketmq_broker_earliest_message_timestamp_seconds", typ: gauge,
			help:   "Store time of the oldest message still in the commit log, as Unix seconds.",
			source: rtInfo + " `earliestMessageTimeStamp`", replaces: "rocketmq_brokeruntime_earliest_message_timestamp"},
			func(_ *view, b *snapshot.Broker) (float64, bool) {
				x, ok := b.Runtime.Values["earliestMessageTimeStamp"]
				return msToSeconds(x), ok && x > 0
			}),
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
	return perBroker(def{name: name, help: help, typ: gauge, source: rtInfo + " `" + key + "` (human-readable size)", replaces: replaces},
		func(_ *view, b *snapshot.Broker) (float64, bool) {
			x, ok := b.Runtime.Sizes[key]
			return x, ok
		})
}

func leLabel(upper float64) string {
	if math.IsInf(upper, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(upper, 'g', -1, 64)
}
