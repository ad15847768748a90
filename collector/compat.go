package collector

import (
	"strconv"
	"strings"

	"github.com/rocketmq-exporter/rocketmq_exporter/runtimeinfo"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// The compatibility families reproduce the Java rocketmq-exporter's names,
// label names and label order, so its dashboards, alert rules and the
// SkyWalking OTel rules keep working. Their values mean what Java's meant;
// the deliberate differences are listed in docs/metrics.md.

const compatNote = " Compatibility family of the Java rocketmq-exporter"

func compatHelp(what, prefer string) string {
	h := what + "." + compatNote
	if prefer != "" {
		h += "; prefer " + prefer
	}
	return h + "."
}

// Java label sets, in the order of its output.
var (
	jRuntimeL    = []string{"cluster", "brokerIP", "brokerHost", "des", "boottime", "broker_version"}
	jBrokerL     = []string{"cluster", "brokerIP", "broker"}
	jTopicL      = []string{"cluster", "broker", "topic"}
	jDLQL        = []string{"cluster", "broker", "group"}
	jGroupTL     = []string{"cluster", "broker", "topic", "group"}
	jDiffL       = []string{"group", "topic", "countOfOnlineConsumers", "msgModel"}
	jCountL      = []string{"caddr", "localaddr", "group"}
	jClientL     = []string{"clientAddr", "clientId", "group", "topic"}
	jProducerL   = []string{"cluster", "broker", "group"}
	javaMsgModel = "1" // MessageModel.CLUSTERING.ordinal(): the only model Java served
)

// runtimeLabels are the six Java broker-runtime label values of a master.
func runtimeLabels(b *snapshot.Broker) []string {
	des := b.Version
	if des == "" {
		des = b.Runtime.Strings["brokerVersionDesc"]
	}
	boot := ""
	if !b.BootTime.IsZero() {
		boot = strconv.FormatInt(b.BootTime.UnixMilli(), 10)
	} else if x, ok := b.Runtime.Values["bootTimestamp"]; ok {
		boot = strconv.FormatFloat(x, 'f', -1, 64)
	}
	ver := ""
	if b.VersionCode > 0 {
		ver = strconv.Itoa(b.VersionCode)
	} else if x := b.Runtime.Strings["brokerVersion"]; x != "" {
		ver = x
	}
	return []string{b.Cluster, b.Addr, "", des, boot, ver}
}

// jRuntime is a Java brokeruntime family over one reading of the table.
func jRuntime(suffix, what, key, prefer string, get func(ri *runtimeinfo.Info) (float64, bool)) *family {
	return &family{
		name: "rocketmq_brokeruntime_" + suffix, typ: gauge, labels: jRuntimeL, prio: prioNever, needs: needCompat,
		help:   compatHelp(what, prefer),
		source: rtInfo + " `" + key + "` (masters)", replaces: "rocketmq_brokeruntime_" + suffix,
		emit: func(v *view, s *sink) {
			for _, p := range v.procs {
				if !p.b.IsMaster() {
					continue
				}
				if x, ok := get(&p.b.Runtime); ok {
					s.add(x, runtimeLabels(p.b)...)
				}
			}
		},
	}
}

func jValue(suffix, what, key, prefer string) *family {
	return jRuntime(suffix, what, key, prefer, func(ri *runtimeinfo.Info) (float64, bool) {
		x, ok := ri.Values[key]
		return x, ok
	})
}

func jTPS(prefix, what, prefer string, keys ...string) []*family {
	var fs []*family
	for i, w := range []string{"10", "60", "600"} {
		fs = append(fs, jRuntime(prefix+"_tps"+w, what+" over the last "+w+" s", strings.Join(keys, "` or `"), prefer,
			func(ri *runtimeinfo.Info) (float64, bool) {
				win, ok := ri.FirstTPS(keys...)
				if !ok || !win.Has[i] {
					return 0, false
				}
				return windowValues(win)[i], true
			}))
	}
	return fs
}

// pmdtBuckets maps Java's putMessageDistributeTime family suffixes to the
// broker's bucket labels.
var pmdtBuckets = []struct{ suffix, label string }{
	{"0ms", "<=0ms"}, {"0to10ms", "0~10ms"}, {"10to50ms", "10~50ms"}, {"50to100ms", "50~100ms"},
	{"100to200ms", "100~200ms"}, {"200to500ms", "200~500ms"}, {"500to1s", "500ms~1s"}, {"1to2s", "1~2s"},
	{"2to3s", "2~3s"}, {"3to4s", "3~4s"}, {"4to5s", "4~5s"}, {"5to10s", "5~10s"}, {"10stomore", "10s~"},
}

func runtimeCompatFamilies() []*family {
	const (
		pLat  = "rocketmq_broker_put_latency_seconds"
		pPool = "rocketmq_broker_thread_pool_queue_size"
		pCap  = "rocketmq_broker_thread_pool_queue_capacity"
		pWait = "rocketmq_broker_thread_pool_queue_head_wait_seconds"
	)
	fs := []*family{
		jValue("msg_put_total_today_now", "Messages put since the broker started (msgPutTotalTodayNow)", "msgPutTotalTodayNow", "rocketmq_broker_put_messages_total"),
		jValue("msg_gettotal_today_now", "Messages got since the broker started (msgGetTotalTodayNow)", "msgGetTotalTodayNow", ""),
		jValue("msg_puttotal_todaymorning", "Messages put up to this midnight, counted since the broker started", "msgPutTotalTodayMorning", ""),
		jValue("msg_gettotal_todaymorning", "Messages got up to this midnight, counted since the broker started", "msgGetTotalTodayMorning", ""),
		jValue("msg_puttotal_yesterdaymorning", "Messages put up to yesterday's midnight, counted since the broker started", "msgPutTotalYesterdayMorning", ""),
		jValue("msg_gettotal_yesterdaymorning", "Messages got up to yesterday's midnight, counted since the broker started", "msgGetTotalYesterdayMorning", ""),
		jValue("dispatch_behind_bytes", "Commit-log bytes not yet dispatched", "dispatchBehindBytes", "rocketmq_broker_dispatch_behind_bytes"),
		jValue("put_message_size_total", "Message bytes put since the broker started", "putMessageSizeTotal", "rocketmq_broker_put_bytes_total"),
		jValue("put_message_average_size", "Average size of a put message in bytes", "putMessageAverageSize", ""),
		jValue("query_threadpool_queue_capacity", "Capacity of the query thread pool queue", "queryThreadPoolQueueCapacity", pCap),
		jValue("remain_transientstore_buffer_numbs", "Free buffers of the transient store pool", "remainTransientStoreBufferNumbs", ""),
		jValue("earliest_message_timestamp", "Store time of the oldest stored message in ms", "earliestMessageTimeStamp", "rocketmq_broker_earliest_message_timestamp_seconds"),
		jValue("putmessage_entire_time_max", "Longest put of the current window in ms", "putMessageEntireTimeMax", "rocketmq_broker_put_latency_max_seconds"),
		jValue("start_accept_sendrequest_time", "When the broker starts accepting sends again, in ms (0 when it accepts)", "startAcceptSendRequestTimeStamp", ""),
		jValue("send_threadpool_queue_size", "Requests waiting in the send thread pool queue", "sendThreadPoolQueueSize", pPool),
		jValue("putmessage_times_total", "Messages put since the broker started", "putMessageTimesTotal", "rocketmq_broker_put_messages_total"),
		jValue("getmessage_entire_time_max", "Longest get of the current window in ms", "getMessageEntireTimeMax", "rocketmq_broker_get_latency_max_seconds"),
		jValue("pagecache_lock_time_mills", "How long the current put has held the commit-log lock, in ms", "pageCacheLockTimeMills", "rocketmq_broker_page_cache_lock_seconds"),
		jValue("commitlog_disk_ratio", "Used fraction of the commit-log disk", "commitLogDiskRatio", "rocketmq_broker_disk_used_ratio"),
		jValue("consumequeue_disk_ratio", "Used fraction of the consume-queue disk", "consumeQueueDiskRatio", "rocketmq_broker_disk_used_ratio"),
		jValue("put_latency_99", "99th percentile put latency in ms", "putLatency99", pLat),
		jValue("put_latency_999", "99.9th percentile put latency in ms", "putLatency999", pLat),
		jValue("dispatch_maxbuffer", "Largest dispatch buffer (dispatchMaxBuffer)", "dispatchMaxBuffer", ""),
		jValue("pull_threadpoolqueue_capacity", "Capacity of the pull thread pool queue", "pullThreadPoolQueueCapacity", pCap),
		jValue("send_threadpoolqueue_capacity", "Capacity of the send thread pool queue", "sendThreadPoolQueueCapacity", pCap),
		jValue("pull_threadpoolqueue_size", "Requests waiting in the pull thread pool queue", "pullThreadPoolQueueSize", pPool),
		jValue("query_threadpoolqueue_size", "Requests waiting in the query thread pool queue", "queryThreadPoolQueueSize", pPool),
		jValue("pull_threadpoolqueue_headwait_timemills", "Wait of the oldest request in the pull thread pool queue, in ms", "pullThreadPoolQueueHeadWaitTimeMills", pWait),
		jValue("query_threadpoolqueue_headwait_timemills", "Wait of the oldest request in the query thread pool queue, in ms", "queryThreadPoolQueueHeadWaitTimeMills", pWait),
		jValue("send_threadpoolqueue_headwait_timemills", "Wait of the oldest request in the send thread pool queue, in ms", "sendThreadPoolQueueHeadWaitTimeMills", pWait),
		jValue("commitlog_maxoffset", "Commit-log max physical offset in bytes", "commitLogMaxOffset", "rocketmq_broker_commitlog_max_offset_bytes"),
		jValue("commitlog_minoffset", "Commit-log min physical offset in bytes", "commitLogMinOffset", "rocketmq_broker_commitlog_min_offset_bytes"),
		jRuntime("commitlogdir_capacity_total", "Size of the commit-log file system in bytes (base 1024)", "commitLogDirCapacity", "rocketmq_broker_commitlog_dir_size_bytes",
			func(ri *runtimeinfo.Info) (float64, bool) {
				return ri.CommitLogDirTotalBytes, ri.Values != nil && ri.CommitLogDirTotalBytes >= 0
			}),
		jRuntime("commitlogdir_capacity_free", "Free space of the commit-log file system in bytes (base 1024)", "commitLogDirCapacity", "rocketmq_broker_commitlog_dir_free_bytes",
			func(ri *runtimeinfo.Info) (float64, bool) {
				return ri.CommitLogDirFreeBytes, ri.Values != nil && ri.CommitLogDirFreeBytes >= 0
			}),
		jRuntime("remain_howmanydata_toflush", "Commit-log bytes not yet flushed (in bytes; Java printed the number without its unit)", "remainHowManyDataToFlush", "rocketmq_broker_flush_behind_bytes",
			func(ri *runtimeinfo.Info) (float64, bool) {
				x, ok := ri.Sizes["remainHowManyDataToFlush"]
				return x, ok
			}),
	}
	fs = append(fs, jTPS("getfound", "Pulls per second that found messages", "rocketmq_broker_get_messages_per_second", "getFoundTps")...)
	fs = append(fs, jTPS("gettotal", "Pulls per second", "rocketmq_broker_get_messages_per_second", "getTotalTps")...)
	fs = append(fs, jTPS("gettransfered", "Messages handed out per second", "rocketmq_broker_get_messages_per_second", "getTransferredTps", "getTransferedTps")...)
	fs = append(fs, jTPS("getmiss", "Pulls per second that found no message", "rocketmq_broker_get_messages_per_second", "getMissTps")...)
	fs = append(fs, jTPS("put", "Messages put per second", "rocketmq_broker_put_messages_per_second", "putTps")...)
	for _, pb := range pmdtBuckets {
		fs = append(fs, jRuntime("pmdt_"+pb.suffix, "Puts of the current minute that took "+pb.label+" (one bucket, not cumulative)",
			"putMessageDistributeTime", "rocketmq_broker_put_latency_window_messages",
			func(ri *runtimeinfo.Info) (float64, bool) {
				for _, bk := range ri.PutLatency {
					if bk.Label == pb.label {
						return bk.Count, true
					}
				}
				return 0, false
			}))
	}
	return fs
}

// notRetryOrDLQ is Java's filter for the topic families and the stats
// families: neither a %RETRY% nor a %DLQ% topic.
func notRetryOrDLQ(name string) bool {
	return !strings.HasPrefix(name, snapshot.RetryPrefix) && !strings.HasPrefix(name, snapshot.DLQPrefix)
}

// jPerBroker is a Java family with one series per broker process, labelled
// cluster, brokerIP, broker.
func jPerBroker(d def, get func(v *view, b *snapshot.Broker) (float64, bool)) *family {
	return d.family(jBrokerL, prioNever, needCompat, func(v *view, s *sink) {
		for _, p := range v.procs {
			if x, ok := get(v, p.b); ok {
				s.add(x, p.b.Cluster, p.b.Addr, p.b.Name)
			}
		}
	})
}

// jPerTopic is a Java family with one series per topic of each broker name.
func jPerTopic(d def, get func(t *snapshot.Topic) (float64, bool)) *family {
	return d.family(jTopicL, prioCompatTopic, needCompat, func(v *view, s *sink) {
		v.eachTopic(func(b *snapshot.Broker, t *snapshot.Topic) {
			if x, ok := get(t); ok {
				s.add(x, b.Cluster, b.Name, t.Name)
			}
		})
	})
}

// jPerProducerGroup is a Java family with one series per producer group.
func jPerProducerGroup(d def, get func(p *snapshot.ProducerGroup) float64) *family {
	return d.family(jProducerL, prioCompatGroup, needCompat, func(v *view, s *sink) {
		v.eachProducer(func(b *snapshot.Broker, p *snapshot.ProducerGroup) { s.add(get(p), b.Cluster, b.Name, p.Name) })
	})
}

// jPerGroupTopic is a Java family with one series per topic of each group,
// labelled topic before group as Java did (our own families put the group
// first: see perGroupTopic).
func jPerGroupTopic(d def, get func(g *snapshot.Group, gt *snapshot.GroupTopic) (float64, bool)) *family {
	return d.family(jGroupTL, prioCompatGroupTopic, needCompat, func(v *view, s *sink) {
		v.eachGroupTopic(func(b *snapshot.Broker, g *snapshot.Group, gt *snapshot.GroupTopic) {
			if x, ok := get(g, gt); ok {
				s.add(x, b.Cluster, b.Name, gt.Topic, g.Name)
			}
		})
	})
}

func compatFamilies() []*family {
	fs := runtimeCompatFamilies()
	fs = append(fs,
		jPerBroker(def{name: "rocketmq_broker_tps", typ: gauge,
			help: compatHelp("Messages put to the broker per second over the last minute (the store's 60 s putTps window; Java read BROKER_PUT_NUMS)",
				"rocketmq_broker_put_messages_per_second{window=\"60s\"}"),
			source: rtInfo + " `putTps` (60 s window; masters)", replaces: "rocketmq_broker_tps"},
			func(_ *view, b *snapshot.Broker) (float64, bool) {
				w, ok := b.Runtime.TPS["putTps"]
				return w.Sec60, ok && b.IsMaster() && w.Has[1]
			}),
		jPerBroker(def{name: "rocketmq_broker_qps", typ: gauge,
			help: compatHelp("Messages got from the broker per second over the last minute (the store's 60 s getTransferredTps window; Java read BROKER_GET_NUMS)",
				"rocketmq_broker_get_messages_per_second{result=\"transferred\",window=\"60s\"}"),
			source: rtInfo + " `getTransferredTps` (60 s window; masters)", replaces: "rocketmq_broker_qps"},
			func(_ *view, b *snapshot.Broker) (float64, bool) {
				w, ok := b.Runtime.FirstTPS("getTransferredTps", "getTransferedTps")
				return w.Sec60, ok && b.IsMaster() && w.Has[1]
			}),
		jPerBroker(def{name: "rocketmq_broker_commitlog_diff", typ: gauge,
			help:   compatHelp("Commit-log bytes a slave (brokerIP) is behind its master", "rocketmq_broker_replication_lag_bytes"),
			source: rtInfo + " `commitLogMaxOffset` of master and slave (slaves)", replaces: "rocketmq_broker_commitlog_diff"},
			replicationLag),
		jPerTopic(def{name: "rocketmq_producer_offset", typ: gauge,
			help:   compatHelp("Messages ever put to the topic on the broker (sum of queue max offsets); every topic but %RETRY% and %DLQ%", "rocketmq_topic_messages_put_total"),
			source: "GET_TOPIC_STATS_INFO", replaces: "rocketmq_producer_offset"},
			func(t *snapshot.Topic) (float64, bool) {
				return float64(t.MaxOffset), t.HasOffsets && notRetryOrDLQ(t.Name)
			}),
		jPerTopic(def{name: "rocketmq_topic_retry_offset", typ: gauge,
			help:   compatHelp("Messages ever put to the %RETRY% topic on the broker (sum of queue max offsets)", "rocketmq_topic_messages_put_total"),
			source: "GET_TOPIC_STATS_INFO", replaces: "rocketmq_topic_retry_offset"},
			func(t *snapshot.Topic) (float64, bool) {
				return float64(t.MaxOffset), t.HasOffsets && strings.HasPrefix(t.Name, snapshot.RetryPrefix)
			}),
		&family{
			name: "rocketmq_topic_dlq_offset", typ: gauge, labels: jDLQL, prio: prioCompatGroup, needs: needCompat,
			help:   compatHelp("Messages ever put to the group's %DLQ% topic on the broker (sum of queue max offsets)", "rocketmq_consumer_group_dlq_messages"),
			source: "GET_TOPIC_STATS_INFO", replaces: "rocketmq_topic_dlq_offset",
			emit: func(v *view, s *sink) {
				v.eachTopic(func(b *snapshot.Broker, t *snapshot.Topic) {
					if t.HasOffsets && strings.HasPrefix(t.Name, snapshot.DLQPrefix) {
						s.add(float64(t.MaxOffset), b.Cluster, b.Name, strings.TrimPrefix(t.Name, snapshot.DLQPrefix))
					}
				})
			},
		},
		jPerTopic(def{name: "rocketmq_producer_tps", typ: gauge,
			help:   compatHelp("Messages put to the topic per second over the broker's last minute", "rocketmq_topic_put_messages_per_second"),
			source: "VIEW_BROKER_STATS_DATA TOPIC_PUT_NUMS", replaces: "rocketmq_producer_tps"},
			func(t *snapshot.Topic) (float64, bool) {
				x, ok := windowTPS(t.Put)
				return x, ok && notRetryOrDLQ(t.Name)
			}),
		jPerTopic(def{name: "rocketmq_producer_message_size", typ: gauge,
			help:   compatHelp("Message bytes put to the topic per second over the broker's last minute", "rocketmq_topic_put_bytes_per_second"),
			source: "VIEW_BROKER_STATS_DATA TOPIC_PUT_SIZE", replaces: "rocketmq_producer_message_size"},
			func(t *snapshot.Topic) (float64, bool) {
				x, ok := windowBytes(t.Put)
				return x, ok && notRetryOrDLQ(t.Name)
			}),
		jPerProducerGroup(def{name: "rocketmq_producer_count", typ: gauge,
			help:   compatHelp("Producer clients of the producer group connected to the broker", "rocketmq_producer_group_clients"),
			source: "GET_ALL_PRODUCER_INFO", replaces: "rocketmq_producer_count"},
			func(p *snapshot.ProducerGroup) float64 { return float64(distinctIDs(p.Clients, producerID)) }),
		&family{
			name: "rocketmq_group_diff", typ: gauge, labels: jDiffL, prio: prioCompatGroupTopic, needs: needCompat,
			help: compatHelp("Messages of the topic the CLUSTERING group has not consumed, summed over every broker; "+
				"countOfOnlineConsumers is the group's current online client count, msgModel is always 1 (CLUSTERING)", "rocketmq_consumer_group_lag_messages"),
			source: "GET_BROKER_CONSUME_STATS, GET_CONSUMER_CONNECTION_LIST", replaces: "rocketmq_group_diff",
			emit: func(v *view, s *sink) { groupDiff(v, s, false) },
		},
		&family{
			name: "rocketmq_group_retrydiff", typ: gauge, labels: jDiffL, prio: prioCompatGroupTopic, needs: needCompat,
			help: compatHelp("Messages of the group's %RETRY% topic the CLUSTERING group has not consumed, summed over every broker",
				"rocketmq_consumer_group_retry_lag_messages"),
			source: "GET_BROKER_CONSUME_STATS, GET_CONSUMER_CONNECTION_LIST", replaces: "rocketmq_group_retrydiff",
			emit: func(v *view, s *sink) { groupDiff(v, s, true) },
		},
		&family{
			name: "rocketmq_group_count", typ: gauge, labels: jCountL, prio: prioCompatGroup, needs: needCompat,
			help: compatHelp("Online consumer clients of the group over every broker; one series per group, caddr and localaddr are always empty",
				"rocketmq_consumer_group_online_consumers"),
			source: "GET_CONSUMER_CONNECTION_LIST", replaces: "rocketmq_group_count",
			emit: func(v *view, s *sink) {
				groups, _ := v.aggregates()
				for _, a := range groups {
					s.add(float64(a.online()), "", "", a.name)
				}
			},
		},
		jPerGroupTopic(def{name: "rocketmq_consumer_offset", typ: gauge,
			help:   compatHelp("The group's committed consumer offset on the topic, summed over the broker's queues (not the broker offset, despite the name)", "rocketmq_consumer_group_consumed_messages_total"),
			source: "GET_BROKER_CONSUME_STATS (consumerOffset)", replaces: "rocketmq_consumer_offset"},
			func(_ *snapshot.Group, gt *snapshot.GroupTopic) (float64, bool) {
				return float64(gt.ConsumerOffset), !strings.HasPrefix(gt.Topic, snapshot.DLQPrefix)
			}),
		jPerGroupTopic(def{name: "rocketmq_group_get_latency_by_storetime", typ: gauge,
			help:   compatHelp("Age in ms of the oldest message of the topic on the broker the CLUSTERING group has not consumed; 0 without lag", "rocketmq_consumer_group_lag_seconds"),
			source: "QUERY_CONSUME_TIME_SPAN (0 without lag)", replaces: "rocketmq_group_get_latency_by_storetime"},
			func(g *snapshot.Group, gt *snapshot.GroupTopic) (float64, bool) {
				if isBroadcast(g) || strings.HasPrefix(gt.Topic, snapshot.DLQPrefix) {
					return 0, false
				}
				if gt.HasLagSeconds {
					return gt.LagSeconds * 1000, true
				}
				return 0, gt.Lag == 0
			}),
		jPerGroupTopic(def{name: "rocketmq_consumer_tps", typ: gauge,
			help:   compatHelp("Messages of the topic the group got from the broker per second over the last minute", "rocketmq_consumer_group_get_messages_per_second"),
			source: "GET_BROKER_CONSUME_STATS (consumeTps: the GROUP_GET_NUMS minute tps)", replaces: "rocketmq_consumer_tps"},
			func(_ *snapshot.Group, gt *snapshot.GroupTopic) (float64, bool) {
				x, ok := windowTPS(gt.Get)
				return x, ok && notRetryOrDLQ(gt.Topic)
			}),
		jPerGroupTopic(def{name: "rocketmq_consumer_message_size", typ: gauge,
			help:   compatHelp("Message bytes of the topic the group got from the broker per second over the last minute", "rocketmq_consumer_group_get_bytes_per_second"),
			source: "VIEW_BROKER_STATS_DATA GROUP_GET_SIZE (asked for pairs that consumed lately)", replaces: "rocketmq_consumer_message_size"},
			func(_ *snapshot.Group, gt *snapshot.GroupTopic) (float64, bool) {
				x, ok := windowBytes(gt.Get)
				return x, ok && notRetryOrDLQ(gt.Topic)
			}),
		jPerGroupTopic(def{name: "rocketmq_send_back_nums", typ: gauge,
			help:   compatHelp("Messages of the topic the group sent back for retry in the broker's last minute (a count, not a rate)", "rocketmq_consumer_group_send_back_messages"),
			source: "VIEW_BROKER_STATS_DATA SNDBCK_PUT_NUMS (asked for pairs that consumed lately)", replaces: "rocketmq_send_back_nums"},
			func(_ *snapshot.Group, gt *snapshot.GroupTopic) (float64, bool) {
				x, ok := windowSum(gt.SendBack)
				return x, ok && notRetryOrDLQ(gt.Topic)
			}),
	)
	fs = append(fs,
		jClient("consume_fail_msg_count", "Messages of the topic the client failed to consume in the last hour", "rocketmq_consumer_client_consume_failed_messages",
			func(r *snapshot.ClientRunning) float64 { return float64(r.ConsumeFailedMsgs) }),
		jClient("consume_fail_msg_tps", "Messages of the topic the client failed to consume per second", "rocketmq_consumer_client_consume_failed_messages_per_second",
			func(r *snapshot.ClientRunning) float64 { return r.ConsumeFailedTPS }),
		jClient("consume_ok_msg_tps", "Messages of the topic the client consumed successfully per second", "rocketmq_consumer_client_consume_ok_messages_per_second",
			func(r *snapshot.ClientRunning) float64 { return r.ConsumeOKTPS }),
		jClient("consume_rt", "Average consume time per message of the topic in ms", "rocketmq_consumer_client_consume_latency_seconds",
			func(r *snapshot.ClientRunning) float64 { return r.ConsumeRT }),
		jClient("consumer_pull_rt", "Average pull time of the topic in ms", "rocketmq_consumer_client_pull_latency_seconds",
			func(r *snapshot.ClientRunning) float64 { return r.PullRT }),
		jClient("consumer_pull_tps", "Messages of the topic the client pulled per second", "rocketmq_consumer_client_pull_messages_per_second",
			func(r *snapshot.ClientRunning) float64 { return r.PullTPS }),
	)
	return fs
}

// groupDiff serves rocketmq_group_diff (retry=false) or _retrydiff.
func groupDiff(v *view, s *sink, retry bool) {
	_, gts := v.aggregates()
	for _, x := range gts {
		if x.g.broadcast || strings.HasPrefix(x.topic, snapshot.DLQPrefix) || strings.HasPrefix(x.topic, snapshot.RetryPrefix) != retry {
			continue
		}
		s.add(float64(x.lag), x.g.name, x.topic, x.g.onlineStr, javaMsgModel)
	}
}

// jClient is a Java client family: the client's own figures, first broker
// that reported them wins.
func jClient(suffix, what, prefer string, get func(r *snapshot.ClientRunning) float64) *family {
	return &family{
		name: "rocketmq_client_" + suffix, typ: gauge, labels: jClientL, prio: prioClient, needs: needCompat | needClient,
		help:   compatHelp(what+", as the client reports it", prefer),
		source: "GET_CONSUMER_RUNNING_INFO (statusTable)", replaces: "rocketmq_client_" + suffix,
		emit: func(v *view, s *sink) {
			for i := range v.clientRows() {
				r := &v.clientsRows[i]
				s.add(get(&r.r), r.addr, r.id, r.group, r.topic)
			}
		},
	}
}
