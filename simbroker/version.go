package simbroker

import "fmt"

// profile is what differs between the broker versions the simulator can
// play, as the fixtures recorded from real brokers show.
type profile struct {
	desc string // brokerVersionDesc
	code int    // MQVersion ordinal: brokerVersion and every header's version
	// v4 is the 4.x shape: no dataVersion.stateVersion, no attributes, no
	// forbiddenTable, no enableActingMaster, no pullOffset, no
	// totalInflightDiff, no topicPutTps, offsets without dataVersion.
	v4 bool
	// versionKey: runtime info carries brokerVersion (gone in 5.4.0).
	versionKey   bool
	systemTopics []sysTopic
	systemGroups []string
	runtimeKeys  []string
}

type sysTopic struct {
	name   string
	queues int
	perm   int
}

// Versions the simulator can play.
var Versions = []string{"5.3.3", "5.4.0", "4.9.7"}

// topics a fresh broker holds; "%c" is the cluster and "%b" the broker.
var (
	topics4 = []sysTopic{{"SCHEDULE_TOPIC_XXXX", 18, 6}, {"SELF_TEST_TOPIC", 1, 6}, {"%c", 16, 7},
		{"%c_REPLY_TOPIC", 1, 6}, {"%b", 1, 7}, {"TBW102", 8, 7}, {"BenchmarkTest", 1024, 6}, {"OFFSET_MOVED_EVENT", 1, 6}}
	topics533 = append(append([]sysTopic(nil), topics4...), sysTopic{"rmq_sys_wheel_timer", 1, 6},
		sysTopic{"rmq_sys_REVIVE_LOG_%c", 8, 6}, sysTopic{"RMQ_SYS_TRANS_HALF_TOPIC", 1, 6},
		sysTopic{"rmq_sys_SYNC_BROKER_MEMBER_%b", 1, 1}, sysTopic{"RMQ_SYS_TRANS_OP_HALF_TOPIC", 1, 6})
	topics540 = append(append([]sysTopic(nil), topics533...), sysTopic{"RMQ_SYS_ROCKSDB_TRANS_HALF_TOPIC", 1, 6},
		sysTopic{"RMQ_SYS_ROCKSDB_TRANS_OP_HALF_TOPIC", 1, 6})

	groups4 = []string{"SELF_TEST_C_GROUP", "CID_ONSAPI_OWNER", "CID_ONSAPI_PERMISSION", "TOOLS_CONSUMER",
		"CID_ONS-HTTP-PROXY", "FILTERSRV_CONSUMER", "CID_ONSAPI_PULL"}
	groups5 = append(append([]string(nil), groups4...), "CID_RMQ_SYS_TRANS")
)

// runtime-info keys: those every version has, then each one's own.
var (
	runtimeCommon = []string{"msgPutTotalTodayNow", "sendThreadPoolQueueHeadWaitTimeMills", "putMessageDistributeTime",
		"queryThreadPoolQueueHeadWaitTimeMills", "remainHowManyDataToFlush", "msgGetTotalTodayNow", "queryThreadPoolQueueSize",
		"bootTimestamp", "msgPutTotalYesterdayMorning", "msgGetTotalYesterdayMorning", "pullThreadPoolQueueSize",
		"commitLogMinOffset", "pullThreadPoolQueueHeadWaitTimeMills", "runtime", "dispatchMaxBuffer", "commitLogDiskRatio_",
		"putTps", "getMissTps", "EndTransactionQueueSize", "getTotalTps", "consumeQueueDiskRatio", "pageCacheLockTimeMills",
		"commitLogDiskRatio", "getFoundTps", "EndTransactionThreadPoolQueueCapacity", "putMessageFailedTimes", "putLatency999",
		"commitLogMaxOffset", "getMessageEntireTimeMax", "msgPutTotalTodayMorning", "putMessageTimesTotal", "putLatency99",
		"msgGetTotalTodayMorning", "brokerVersionDesc", "startAcceptSendRequestTimeStamp", "sendThreadPoolQueueSize",
		"putMessageEntireTimeMax", "earliestMessageTimeStamp", "commitLogDirCapacity", "remainTransientStoreBufferNumbs",
		"queryThreadPoolQueueCapacity", "putMessageAverageSize", "dispatchBehindBytes", "putMessageSizeTotal",
		"sendThreadPoolQueueCapacity", "pullThreadPoolQueueCapacity"}
	runtime5 = []string{"brokerActive", "timerEnqueueTps", "timerOffsetBehind", "getTransferredTps",
		"litePullThreadPoolQueueHeadWaitTimeMills", "litePullThreadPoolQueueSize", "ackThreadPoolQueueSize",
		"ackThreadPoolQueueHeadWaitTimeMills", "timerReadBehind", "timerCongestNum", "ackThreadPoolQueueCapacity",
		"timerDequeueTps", "litePullThreadPoolQueueCapacity"}
)

func keys(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

func profileFor(version string) (profile, error) {
	switch version {
	case "", "5.3.3":
		return profile{desc: "V5_3_3", code: 479, versionKey: true, systemTopics: topics533, systemGroups: groups5,
			runtimeKeys: keys(runtimeCommon, runtime5, []string{"brokerVersion"})}, nil
	case "5.4.0":
		// 5.4.0 no longer sends brokerVersion; its ordinal follows 5.3.3's
		// releases (an assumption: nothing the exporter reads depends on it).
		return profile{desc: "V5_4_0", code: 481, systemTopics: topics540, systemGroups: groups5,
			runtimeKeys: keys(runtimeCommon, runtime5)}, nil
	case "4.9.7":
		return profile{desc: "V4_9_7", code: 407, v4: true, versionKey: true, systemTopics: topics4, systemGroups: groups4,
			runtimeKeys: keys(runtimeCommon, []string{"getTransferedTps", "brokerVersion"})}, nil
	}
	return profile{}, fmt.Errorf("simbroker: cannot play RocketMQ %s (can: %v)", version, Versions)
}
