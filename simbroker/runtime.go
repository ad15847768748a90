package simbroker

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

func (c *Cluster) storeDir(st *brokerState, slave bool) string {
	if slave {
		return "/tmp/simbroker/" + st.name + "-s/store"
	}
	return "/tmp/simbroker/" + st.name + "/store"
}

// tpsTriple is "10s 60s 600s" as the broker prints it ("%.2f"-free:
// Double.toString); an empty window prints as nothing, as right after boot.
func tpsTriple(item *statItem, now int64) string {
	parts := make([]string, 3)
	for i, span := range []time.Duration{10 * time.Second, time.Minute, 10 * time.Minute} {
		if now-item.created < span.Milliseconds() && item.cum == 0 {
			continue // the window has no samples yet
		}
		_, tps, _ := item.window(now, span)
		parts[i] = string(appendJavaDouble(nil, tps))
	}
	return strings.Join(parts, " ")
}

func (c *Cluster) runtimeBody(st *brokerState, slave bool) []byte {
	now := c.nowMs()
	up := time.Duration(now-st.boot) * time.Millisecond
	v := map[string]string{}
	for _, k := range c.p.runtimeKeys {
		v[k] = "0"
	}
	putMin, _, _ := st.put.window(now, time.Minute)
	getTotal := st.get.cum
	dist := "null"
	if putMin > 0 {
		// every simulated put is fast: all of them in the first bucket
		dist = fmt.Sprintf("[<=0ms]:%d [0~10ms]:0 [10~50ms]:0 [50~100ms]:0 [100~200ms]:0 [200~500ms]:0 [500ms~1s]:0 [1~2s]:0 [2~3s]:0 [3~4s]:0 [4~5s]:0 [5~10s]:0 [10s~]:0 ", putMin)
	}
	avg := 0.0
	if st.putTimes > 0 {
		avg = float64(st.putBytes) / float64(st.putTimes)
	}
	earliest := int64(-1)
	if st.putTimes > 0 {
		earliest = c.earliestStored(st)
	}
	set := func(k, val string) {
		if _, ok := v[k]; ok {
			v[k] = val
		}
	}
	set("msgPutTotalTodayNow", strconv.FormatInt(st.put.cum, 10))
	set("msgGetTotalTodayNow", strconv.FormatInt(getTotal, 10))
	set("brokerActive", "true")
	set("putMessageDistributeTime", dist)
	set("remainHowManyDataToFlush", "0 B")
	set("timerEnqueueTps", "0.0")
	set("timerDequeueTps", "0.0")
	set("bootTimestamp", strconv.FormatInt(st.boot, 10))
	set("commitLogMinOffset", "0")
	if st.putBytes == 0 {
		set("commitLogMinOffset", "-1")
	}
	set("runtime", fmt.Sprintf("[ %d days, %d hours, %d minutes, %d seconds ]", int(up.Hours())/24, int(up.Hours())%24,
		int(up.Minutes())%60, int(up.Seconds())%60))
	set("brokerVersion", strconv.Itoa(c.p.code))
	set("brokerVersionDesc", c.p.desc)
	set("putTps", tpsTriple(&st.put, now))
	set("getTransferredTps", tpsTriple(&st.get, now))
	set("getTransferedTps", tpsTriple(&st.get, now)) // 4.x spelling
	set("getFoundTps", tpsTriple(&st.get, now))
	set("getTotalTps", tpsTriple(&st.get, now))
	set("getMissTps", "0.0 0.0 0.0")
	set("consumeQueueDiskRatio", "0.14")
	set("commitLogDiskRatio", "0.14")
	set("EndTransactionThreadPoolQueueCapacity", "100000")
	set("putLatency99", "0.00")
	set("putLatency999", "0.00")
	set("commitLogMaxOffset", strconv.FormatInt(st.putBytes, 10))
	set("getMessageEntireTimeMax", "1")
	set("putMessageTimesTotal", strconv.FormatInt(st.putTimes, 10))
	set("putMessageEntireTimeMax", "1")
	set("earliestMessageTimeStamp", strconv.FormatInt(earliest, 10))
	set("commitLogDirCapacity", "Total : 252.0 GiB, Free : 239.6 GiB.")
	set("remainTransientStoreBufferNumbs", "2147483647")
	set("ackThreadPoolQueueCapacity", "100000")
	set("queryThreadPoolQueueCapacity", "20000")
	set("putMessageAverageSize", string(appendJavaDouble(nil, avg)))
	set("putMessageSizeTotal", strconv.FormatInt(st.putBytes, 10))
	set("sendThreadPoolQueueCapacity", "10000")
	set("pullThreadPoolQueueCapacity", "100000")
	set("litePullThreadPoolQueueCapacity", "100000")
	w := &jw{b: make([]byte, 0, 2400)}
	w.obj()
	w.kobj("table")
	for _, k := range c.p.runtimeKeys {
		if k == "commitLogDiskRatio_" {
			w.kstr(k+c.storeDir(st, slave)+"/commitlog", "0.14")
			continue
		}
		w.kstr(k, v[k])
	}
	w.endObj()
	w.endObj()
	return w.b
}

// configBody is GET_BROKER_CONFIG: Java properties text, one key=value a
// line, sorted, as the broker writes MixAll.properties2String.
func (c *Cluster) configBody(st *brokerState, slave bool) []byte {
	id, role := "0", "ASYNC_MASTER"
	addr := c.Brokers[st.idx].Master.Addr
	if slave {
		id, role = "1", "SLAVE"
		addr = c.Brokers[st.idx].Slave.Addr
	}
	_, port, _ := strings.Cut(addr, ":")
	cfg := map[string]string{
		"autoCreateSubscriptionGroup": "true", "autoCreateTopicEnable": "true", "autoDeleteUnusedStats": strconv.FormatBool(c.opts.autoDelete()),
		"brokerClusterName": c.opts.Cluster, "brokerId": id, "brokerIP1": "127.0.0.1", "brokerName": st.name,
		"brokerPermission": "6", "brokerRole": role, "clusterTopicEnable": "true", "deleteWhen": "04",
		"enableDetailStat": "true", "enableLmq": "false", "enableLmqStats": "false", "enableMultiDispatch": "false",
		"fileReservedTime": "72", "flushDiskType": "ASYNC_FLUSH", "listenPort": port, "mappedFileSizeCommitLog": "1073741824",
		"maxMessageSize": "4194304", "namesrvAddr": c.namesrvList(), "rocketmqHome": "/tmp/simbroker",
		"storePathCommitLog": c.storeDir(st, slave) + "/commitlog", "storePathRootDir": c.storeDir(st, slave),
		"traceTopicEnable": "false", "useTLS": "false",
	}
	if c.p.v4 {
		delete(cfg, "enableLmqStats") // came with 5.x
	}
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + cfg[k] + "\n")
	}
	return []byte(b.String())
}
