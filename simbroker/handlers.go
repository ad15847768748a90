package simbroker

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
)

func ok(body []byte) *remoting.Command {
	return &remoting.Command{Code: remoting.CodeSuccess, Body: body}
}

func fail(code int, format string, args ...any) *remoting.Command {
	return &remoting.Command{Code: code, Remark: fmt.Sprintf(format, args...)}
}

func notSupported(req *remoting.Command) *remoting.Command {
	return fail(remoting.CodeRequestCodeNotSupported, " request type %d not supported", req.Code)
}

func (c *Cluster) handleNamesrv(req *remoting.Command) *remoting.Command {
	switch req.Code {
	case remoting.GetBrokerClusterInfo:
		c.mu.RLock()
		defer c.mu.RUnlock()
		return ok(c.clusterInfoBody())
	case remoting.GetAllTopicListFromNameserver:
		c.mu.RLock()
		defer c.mu.RUnlock()
		return ok(c.topicListBody())
	case remoting.GetRouteInfoByTopic:
		c.mu.RLock()
		defer c.mu.RUnlock()
		topic := req.ExtFields["topic"]
		body := c.routeBody(topic, req.ExtFields["acceptStandardJsonOnly"] == "true")
		if body == nil {
			return fail(remoting.CodeTopicNotExist, "No topic route info in name server for the topic: %s\nSee http://rocketmq.apache.org/docs/faq/ for further details.", topic)
		}
		return ok(body)
	case remoting.DeleteTopicInNamesrv:
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, st := range c.bs {
			delete(st.routeOnly, req.ExtFields["topic"])
		}
		return ok(nil)
	}
	return notSupported(req)
}

func (c *Cluster) brokerHandler(i int, slave bool) func(*remoting.Command) *remoting.Command {
	return func(req *remoting.Command) *remoting.Command {
		st := c.bs[i]
		switch req.Code {
		case remoting.UpdateAndCreateTopic, remoting.DeleteTopicInBroker, remoting.UpdateAndCreateSubscriptionGrp, remoting.DeleteSubscriptionGroup:
			if slave {
				return fail(remoting.CodeSystemError, "slave broker does not accept this request")
			}
			c.mu.Lock()
			defer c.mu.Unlock()
			return c.mutate(st, req)
		}
		c.mu.RLock()
		defer c.mu.RUnlock()
		return c.read(st, slave, req)
	}
}

func (c *Cluster) read(st *brokerState, slave bool, req *remoting.Command) *remoting.Command {
	ext := req.ExtFields
	switch req.Code {
	case remoting.GetBrokerRuntimeInfo:
		return ok(c.runtimeBody(st, slave))
	case remoting.GetBrokerConfig:
		return ok(c.configBody(st, slave))
	case remoting.GetAllTopicConfig:
		return ok(c.topicConfigBody(st))
	case remoting.GetAllSubscriptionGroupConfig:
		return ok(c.groupConfigBody(st))
	case remoting.GetTopicStatsInfo:
		t := st.topics[ext["topic"]]
		if t == nil {
			return fail(remoting.CodeTopicNotExist, "topic[%s] not exist", ext["topic"])
		}
		return ok(c.topicStatsBody(st, t))
	case remoting.GetConsumeStats:
		return c.consumeStats(st, ext["consumerGroup"], ext["topic"])
	case remoting.GetBrokerConsumeStats:
		return ok(c.brokerConsumeStatsBody(st, ext["isOrder"] == "true"))
	case remoting.ViewBrokerStatsData:
		return c.viewStats(st, ext["statsName"], ext["statsKey"])
	case remoting.GetConsumerConnectionList:
		g := st.groups[ext["consumerGroup"]]
		if g == nil || len(g.clients) == 0 {
			return fail(remoting.CodeConsumerNotOnline, "the consumer group[%s] not online", ext["consumerGroup"])
		}
		return ok(c.connectionsBody(st, g))
	case remoting.GetAllProducerInfo:
		return ok(c.producersBody(st))
	case remoting.GetConsumerRunningInfo:
		g := st.groups[ext["consumerGroup"]]
		if g != nil {
			for _, cl := range g.clients {
				if cl.id == ext["clientId"] {
					return ok(c.runningInfoBody(st, g, cl))
				}
			}
		}
		return fail(remoting.CodeSystemError, "The Consumer <%s> <%s> not online", ext["consumerGroup"], ext["clientId"])
	case remoting.QueryTopicConsumeByWho:
		return ok(c.consumeByWhoBody(st, ext["topic"]))
	case remoting.QueryConsumeTimeSpan:
		t := st.topics[ext["topic"]]
		if t == nil {
			return fail(remoting.CodeTopicNotExist, "topic[%s] not exist", ext["topic"])
		}
		return ok(c.timeSpanBody(st, t, ext["group"]))
	case remoting.GetAllConsumerOffset:
		body := c.consumerOffsetBody(st)
		if body == nil {
			return fail(remoting.CodeSystemError, "No consumer offset in this broker, client: 127.0.0.1 ")
		}
		return ok(body)
	case remoting.GetAllDelayOffset:
		return ok(c.delayOffsetBody(st))
	case remoting.QueryTopicsByConsumer:
		w := &jw{}
		w.obj()
		w.kstr("brokerAddr", c.Brokers[st.idx].Master.Addr)
		w.karr("topicList")
		if g := st.groups[ext["consumerGroup"]]; g != nil {
			for _, s := range g.subs {
				w.str(s.t.name)
			}
		}
		w.endArr()
		w.endObj()
		return ok(w.b)
	}
	return notSupported(req)
}

func (c *Cluster) mutate(st *brokerState, req *remoting.Command) *remoting.Command {
	ext := req.ExtFields
	switch req.Code {
	case remoting.UpdateAndCreateTopic:
		name := ext["topic"]
		if name == "" {
			return fail(remoting.CodeSystemError, "The specified topic is blank.")
		}
		q, _ := strconv.Atoi(ext["writeQueueNums"])
		if q <= 0 {
			q, _ = strconv.Atoi(ext["readQueueNums"])
		}
		if q <= 0 {
			q = 4
		}
		perm, _ := strconv.Atoi(ext["perm"])
		if perm == 0 {
			perm = 6
		}
		t := st.topics[name]
		if t == nil {
			t = c.addTopic(st, name, q, c.nowMs())
		}
		t.queues, t.perm, t.order = q, perm, ext["order"] == "true"
		return ok(nil)
	case remoting.DeleteTopicInBroker:
		if t := st.topics[ext["topic"]]; t != nil {
			c.deleteTopic(st, t)
		}
		return ok(nil)
	case remoting.UpdateAndCreateSubscriptionGrp:
		var cfg struct {
			GroupName string `json:"groupName"`
		}
		if err := json.Unmarshal(req.Body, &cfg); err != nil || cfg.GroupName == "" {
			return fail(remoting.CodeSystemError, "bad subscription group config")
		}
		c.addGroup(st, cfg.GroupName, c.nowMs())
		return ok(nil)
	case remoting.DeleteSubscriptionGroup:
		// 5.x reads cleanOffset, 4.x removeOffset; each ignores the other.
		clean := ext["cleanOffset"] == "true"
		if c.p.v4 {
			clean = ext["removeOffset"] == "true"
		}
		if g := st.groups[ext["groupName"]]; g != nil {
			c.deleteGroup(st, g, clean, false)
		}
		return ok(nil)
	}
	return notSupported(req)
}

// dataVersion writes {"counter":n,"stateVersion":0,"timestamp":ms}.
func (c *Cluster) dataVersion(w *jw, key string, counter, at int64) {
	w.kobj(key)
	w.kint("counter", counter)
	if !c.p.v4 {
		w.kint("stateVersion", 0)
	}
	w.kint("timestamp", at)
	w.endObj()
}

func (c *Cluster) brokerData(w *jw, i int, standard bool) {
	b := c.Brokers[i]
	w.obj()
	w.kobj("brokerAddrs")
	if standard {
		w.kstr("0", b.Master.Addr)
		if b.Slave != nil {
			w.kstr("1", b.Slave.Addr)
		}
	} else {
		w.intKey(0)
		w.str(b.Master.Addr)
		if b.Slave != nil {
			w.intKey(1)
			w.str(b.Slave.Addr)
		}
	}
	w.endObj()
	w.kstr("brokerName", b.Name)
	w.kstr("cluster", c.opts.Cluster)
	if !c.p.v4 {
		w.kbool("enableActingMaster", false)
	}
	w.endObj()
}

func (c *Cluster) clusterInfoBody() []byte {
	w := &jw{}
	w.obj()
	w.kobj("brokerAddrTable")
	up := 0
	for i, b := range c.Brokers {
		if c.bs[i].down {
			continue // a killed broker's registration went with it
		}
		up++
		w.key(b.Name)
		c.brokerData(w, i, false)
	}
	w.endObj()
	w.kobj("clusterAddrTable")
	if up > 0 {
		w.karr(c.opts.Cluster)
		for i, b := range c.Brokers {
			if !c.bs[i].down {
				w.str(b.Name)
			}
		}
		w.endArr()
	}
	w.endObj()
	w.endObj()
	return w.b
}

func (c *Cluster) topicListBody() []byte {
	seen := map[string]bool{}
	w := &jw{}
	w.obj()
	w.karr("topicList")
	for _, st := range c.bs {
		if st.down {
			continue
		}
		for name := range st.topics {
			if !seen[name] {
				seen[name] = true
				w.str(name)
			}
		}
		for name := range st.routeOnly {
			if !seen[name] {
				seen[name] = true
				w.str(name)
			}
		}
	}
	w.endArr()
	w.endObj()
	return w.b
}

func (c *Cluster) routeBody(topic string, standard bool) []byte {
	var on []int
	queues := map[int]int{}
	for i, st := range c.bs {
		if st.down {
			continue
		}
		if t := st.topics[topic]; t != nil {
			on = append(on, i)
			queues[i] = t.queues
		} else if q, ok := st.routeOnly[topic]; ok {
			on = append(on, i)
			queues[i] = q
		}
	}
	if len(on) == 0 {
		return nil
	}
	w := &jw{}
	w.obj()
	w.karr("brokerDatas")
	for _, i := range on {
		c.brokerData(w, i, standard)
	}
	w.endArr()
	w.kobj("filterServerTable")
	w.endObj()
	w.karr("queueDatas")
	for _, i := range on {
		perm := int64(6)
		if t := c.bs[i].topics[topic]; t != nil {
			perm = int64(t.perm)
		}
		w.obj()
		w.kstr("brokerName", c.bs[i].name)
		w.kint("perm", perm)
		w.kint("readQueueNums", int64(queues[i]))
		w.kint("topicSysFlag", 0)
		w.kint("writeQueueNums", int64(queues[i]))
		w.endObj()
	}
	w.endArr()
	w.endObj()
	return w.b
}

func (c *Cluster) topicConfigBody(st *brokerState) []byte {
	w := &jw{b: make([]byte, 0, 200*len(st.topics)+256)}
	w.obj()
	c.dataVersion(w, "dataVersion", st.topicVersion, st.versionAt)
	if !c.p.v4 {
		c.dataVersion(w, "mappingDataVersion", 0, st.boot)
	}
	w.kobj("topicConfigTable")
	for _, t := range st.topics {
		w.key(t.name)
		w.obj()
		if !c.p.v4 {
			w.kobj("attributes")
			w.endObj()
		}
		w.kbool("order", t.order)
		w.kint("perm", int64(t.perm))
		w.kint("readQueueNums", int64(t.queues))
		w.kstr("topicFilterType", "SINGLE_TAG")
		w.kstr("topicName", t.name)
		w.kint("topicSysFlag", 0)
		w.kint("writeQueueNums", int64(t.queues))
		w.endObj()
	}
	w.endObj()
	if !c.p.v4 {
		w.kobj("topicQueueMappingDetailMap")
		w.endObj()
		w.kobj("topicQueueMappingInfoMap")
		w.endObj()
	}
	w.endObj()
	return w.b
}

func (c *Cluster) groupConfigBody(st *brokerState) []byte {
	w := &jw{b: make([]byte, 0, 360*len(st.groups)+256)}
	w.obj()
	c.dataVersion(w, "dataVersion", st.groupVersion, st.versionAt)
	if !c.p.v4 {
		w.kobj("forbiddenTable")
		w.endObj()
	}
	w.kobj("subscriptionGroupTable")
	v5 := !c.p.v4
	for _, g := range st.groups {
		w.key(g.name)
		w.obj()
		if v5 {
			w.kobj("attributes")
			w.endObj()
		}
		w.kint("brokerId", 0)
		w.kbool("consumeBroadcastEnable", true)
		w.kbool("consumeEnable", true)
		w.kbool("consumeFromMinEnable", true)
		if v5 {
			w.kbool("consumeMessageOrderly", false)
			w.kint("consumeTimeoutMinute", 15)
		}
		w.kstr("groupName", g.name)
		if v5 {
			w.kobj("groupRetryPolicy")
			w.kstr("type", "CUSTOMIZED")
			w.endObj()
			w.kint("groupSysFlag", 0)
		}
		w.kbool("notifyConsumerIdsChangedEnable", true)
		w.kint("retryMaxTimes", 16)
		w.kint("retryQueueNums", 1)
		w.kint("whichBrokerWhenConsumeSlowly", 1)
		w.endObj()
	}
	w.endObj()
	w.endObj()
	return w.b
}

func (c *Cluster) topicStatsBody(st *brokerState, t *topic) []byte {
	now := c.nowMs()
	w := &jw{b: make([]byte, 0, 120*t.queues+64)}
	w.obj()
	w.kobj("offsetTable")
	last := t.lastPut
	if last == 0 {
		last = t.baseAt
	}
	if t.maxQ == 0 {
		last = 0
	}
	for q := 0; q < t.queues; q++ {
		w.mqKey(st.name, q, t.name)
		w.obj()
		w.kint("lastUpdateTimestamp", last)
		w.kint("maxOffset", t.maxQ)
		w.kint("minOffset", t.minQ)
		w.endObj()
	}
	w.endObj()
	if !c.p.v4 {
		tps := 0.0
		if t.put != nil {
			_, tps, _ = t.put.window(now, time.Minute)
		}
		w.kdbl("topicPutTps", tps)
	}
	w.endObj()
	return w.b
}

// offsetEntry writes one queue of consume stats.
func (c *Cluster) offsetEntry(w *jw, broker string, q int, s *sub, pull int64) {
	w.mqKey(broker, q, s.t.name)
	w.obj()
	w.kint("brokerOffset", s.t.maxQ)
	w.kint("consumerOffset", s.offset)
	w.kint("lastTimestamp", s.lastConsume)
	if !c.p.v4 {
		w.kint("pullOffset", pull)
	}
	w.endObj()
}

func (c *Cluster) subTps(s *sub, now int64) float64 {
	if s.get == nil {
		return 0
	}
	_, tps, _ := s.get.window(now, time.Minute)
	return tps
}

func (c *Cluster) consumeStats(st *brokerState, group, topic string) *remoting.Command {
	g := st.groups[group]
	if g == nil {
		g = st.gone[group] // the broker answers from the offset table
	}
	if topic != "" && st.topics[topic] == nil {
		return fail(remoting.CodeTopicNotExist, "topic[%s] not exist", topic)
	}
	now := c.nowMs()
	w := &jw{}
	w.obj()
	tps := 0.0
	var subs []*sub
	if g != nil {
		for _, s := range g.subs {
			if topic == "" || s.t.name == topic {
				subs = append(subs, s)
				tps += c.subTps(s, now)
			}
		}
	}
	w.kdbl("consumeTps", tps)
	w.kobj("offsetTable")
	for _, s := range subs {
		for q := 0; q < s.t.queues; q++ {
			c.offsetEntry(w, st.name, q, s, s.offset)
		}
	}
	w.endObj()
	w.endObj()
	return ok(w.b)
}

func (c *Cluster) brokerConsumeStatsBody(st *brokerState, isOrder bool) []byte {
	now := c.nowMs()
	w := &jw{b: make([]byte, 0, 160*len(st.groups)*c.opts.Queues+256)}
	w.obj()
	w.kstr("brokerAddr", c.Brokers[st.idx].Master.Addr)
	w.karr("consumeStatsList")
	var diff, inflight int64
	for _, g := range st.groups {
		if isOrder {
			continue // no orderly groups here
		}
		w.obj()
		w.karr(g.name)
		for _, s := range g.subs {
			w.obj()
			w.kdbl("consumeTps", c.subTps(s, now))
			w.kobj("offsetTable")
			for q := 0; q < s.t.queues; q++ {
				// The broker-wide call leaves pullOffset at 0, as 5.3.3 does.
				c.offsetEntry(w, st.name, q, s, 0)
				diff += s.lag()
				inflight -= s.offset
			}
			w.endObj()
			w.endObj()
		}
		w.endArr()
		w.endObj()
	}
	w.endArr()
	w.kint("totalDiff", diff)
	if !c.p.v4 {
		w.kint("totalInflightDiff", inflight)
	}
	w.endObj()
	return w.b
}

func statsData(w *jw, item *statItem, now int64) {
	w.obj()
	for _, win := range []struct {
		key  string
		span time.Duration
	}{{"statsDay", 24 * time.Hour}, {"statsHour", time.Hour}, {"statsMinute", time.Minute}} {
		sum, tps, avgpt := item.window(now, win.span)
		w.kobj(win.key)
		w.kdbl("avgpt", avgpt)
		w.kint("sum", sum)
		w.kdbl("tps", tps)
		w.endObj()
	}
	w.endObj()
}

func (c *Cluster) viewStats(st *brokerState, name, key string) *remoting.Command {
	var item *statItem
	switch name {
	case "BROKER_PUT_NUMS":
		if key == c.opts.Cluster {
			item = &st.put
		}
	case "BROKER_GET_NUMS":
		if key == c.opts.Cluster {
			item = &st.get
		}
	default:
		if e := st.stats[name+"@"+key]; e != nil {
			item = e.item
		} else {
			item = liveItem(st, name, key)
		}
	}
	if item == nil {
		return fail(remoting.CodeSystemError, "The stats <%s> <%s> not exist", name, key)
	}
	w := &jw{}
	statsData(w, item, c.nowMs())
	return ok(w.b)
}

// liveItem finds an item a caller kept on a live topic or pair without
// the broker's table (Consume in retention.go does).
func liveItem(st *brokerState, name, key string) *statItem {
	switch name {
	case statTopicPutNums, statTopicPutSize:
		if t := st.topics[key]; t != nil && t.put != nil {
			if name == statTopicPutSize {
				return t.size
			}
			return t.put
		}
	case statGroupGetNums, statGroupGetSize:
		topic, group, _ := strings.Cut(key, "@")
		if g := st.groups[group]; g != nil {
			for _, s := range g.subs {
				if s.t.name == topic && s.get != nil {
					if name == statGroupGetSize {
						return s.size
					}
					return s.get
				}
			}
		}
	}
	return nil
}

func (c *Cluster) connectionsBody(st *brokerState, g *group) []byte {
	w := &jw{}
	w.obj()
	w.karr("connectionSet")
	for _, cl := range g.clients {
		w.obj()
		w.kstr("clientAddr", cl.addr)
		w.kstr("clientId", cl.id)
		w.kstr("language", "JAVA")
		w.kint("version", int64(c.p.code))
		w.endObj()
	}
	w.endArr()
	w.kstr("consumeFromWhere", "CONSUME_FROM_LAST_OFFSET")
	w.kstr("consumeType", "CONSUME_PASSIVELY")
	w.kstr("messageModel", "CLUSTERING")
	w.kobj("subscriptionTable")
	topics := make([]string, 0, len(g.subs)+1)
	for _, s := range g.subs {
		topics = append(topics, s.t.name)
	}
	if g.retry != nil {
		topics = append(topics, g.retry.name)
	}
	for _, t := range topics {
		w.key(t)
		w.obj()
		w.kbool("classFilterMode", false)
		w.karr("codeSet")
		w.endArr()
		w.kstr("expressionType", "TAG")
		w.kstr("subString", "*")
		w.kint("subVersion", g.created*1000000)
		w.karr("tagsSet")
		w.endArr()
		w.kstr("topic", t)
		w.endObj()
	}
	w.endObj()
	w.endObj()
	return w.b
}

func (c *Cluster) producersBody(st *brokerState) []byte {
	now := c.nowMs()
	w := &jw{}
	w.obj()
	w.kobj("data")
	for _, p := range st.producers {
		w.karr(p.group)
		w.obj()
		w.kstr("clientId", p.id)
		w.kstr("language", "JAVA")
		w.kint("lastUpdateTimestamp", now-now%30000)
		w.kstr("remoteIP", fmt.Sprintf("/127.0.0.1:%d", p.port))
		w.kint("version", int64(c.p.code))
		w.endObj()
		w.endArr()
	}
	w.endObj()
	w.endObj()
	return w.b
}

// goNum prints a number as a Go client's encoding/json does.
func goNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// runningInfoBody is what a client answers GET_CONSUMER_RUNNING_INFO with,
// forwarded by the broker: the rocketmq-client-go shape of the fixture
// (its own field order, MessageQueue keys topic-first).
func (c *Cluster) runningInfoBody(st *brokerState, g *group, cl client) []byte {
	now := c.nowMs()
	var b strings.Builder
	b.WriteString(`{"properties":{"PROP_CLIENT_VERSION":"v2.1.1","PROP_CONSUMEORDERLY":"false","PROP_CONSUMER_START_TIMESTAMP":"`)
	b.WriteString(strconv.FormatInt(g.created, 10))
	b.WriteString(`","PROP_CONSUME_TYPE":"CONSUME_PASSIVELY","PROP_NAMESERVER_ADDR":"`)
	b.WriteString(c.namesrvList())
	b.WriteString(`;","PROP_THREADPOOL_CORE_SIZE":"-1"},"statusTable":{`)
	topics := []*sub{}
	for _, s := range g.subs {
		topics = append(topics, s)
	}
	names := []string{}
	for _, s := range topics {
		names = append(names, s.t.name)
	}
	if g.retry != nil {
		names = append(names, g.retry.name)
	}
	for i, name := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		tps := 0.0
		if i < len(topics) {
			tps = c.subTps(topics[i], now) / float64(max(1, len(g.clients)))
		}
		b.Write(appendQuoted(nil, name))
		fmt.Fprintf(&b, `:{"pullRT":%s,"pullTPS":%s,"consumeRT":%s,"consumeOKTPS":%s,"consumeFailedTPS":0,"consumeFailedMsgs":0}`,
			goNum(1), goNum(tps), goNum(2), goNum(tps))
	}
	b.WriteString(`},"subscriptionSet":[`)
	for i, name := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"classFilterMode":false,"topic":`)
		b.Write(appendQuoted(nil, name))
		fmt.Fprintf(&b, `,"subString":"*","tagsSet":[],"codeSet":[],"subVersion":%d,"expressionType":"TAG"}`, g.created*1000000)
	}
	b.WriteString(`],"mqTable":{`)
	first := true
	for _, s := range topics {
		for q := 0; q < s.t.queues; q++ {
			if !first {
				b.WriteByte(',')
			}
			first = false
			b.WriteString(`{"topic":`)
			b.Write(appendQuoted(nil, s.t.name))
			b.WriteString(`,"brokerName":`)
			b.Write(appendQuoted(nil, st.name))
			fmt.Fprintf(&b, `,"queueId":%d}:{"commitOffset":%d,"cachedMsgMinOffset":0,"cachedMsgMaxOffset":0,"cachedMsgCount":0,"cachedMsgSizeInMiB":0,"transactionMsgMinOffset":0,"transactionMsgMaxOffset":0,"transactionMsgCount":0,"locked":false,"tryUnlockTimes":0,"lastLockTimestamp":%d,"dropped":false,"lastPullTimestamp":%d,"lastConsumeTimestamp":%d}`,
				q, s.offset, g.created, now, s.lastConsume)
		}
	}
	b.WriteString(`}, "jstack":"" }`)
	return []byte(b.String())
}

func (c *Cluster) consumeByWhoBody(st *brokerState, topic string) []byte {
	set := map[string]bool{}
	if t := st.topics[topic]; t != nil {
		for _, s := range t.subs {
			set[s.g.name] = true
		}
	}
	for _, g := range st.groups {
		if g.retry != nil && g.retry.name == topic && len(g.clients) > 0 {
			set[g.name] = true
		}
	}

	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	w := &jw{}
	w.obj()
	w.karr("groupList")
	for _, n := range names {
		w.str(n)
	}
	w.endArr()
	w.endObj()
	return w.b
}

func (c *Cluster) timeSpanBody(st *brokerState, t *topic, group string) []byte {
	now := c.nowMs()
	var offset int64
	if g := st.groups[group]; g != nil {
		for _, s := range g.subs {
			if s.t == t {
				offset = s.offset
			}
		}
	}
	w := &jw{}
	w.obj()
	w.karr("consumeTimeSpanSet")
	for q := 0; q < t.queues; q++ {
		minTime := t.storeTime(t.minQ)
		maxTime := t.storeTime(max(0, t.maxQ-1))
		if t.maxQ == 0 {
			minTime, maxTime = -1, -1
		}
		consumeTime := minTime
		if offset > 0 {
			consumeTime = t.storedTime(offset - 1)
		}
		var delay int64
		if offset < t.maxQ {
			delay = now - t.storedTime(offset) // now+1 for a deleted message, as a broker answers
		}
		w.obj()
		w.kint("consumeTimeStamp", consumeTime)
		w.kstr("consumeTimeStampStr", timeStr(consumeTime))
		w.kint("delayTime", delay)
		w.kint("maxTimeStamp", maxTime)
		w.kstr("maxTimeStampStr", timeStr(maxTime))
		w.kobj("messageQueue")
		w.kstr("brokerName", st.name)
		w.kint("queueId", int64(q))
		w.kstr("topic", t.name)
		w.endObj()
		w.kint("minTimeStamp", minTime)
		w.kstr("minTimeStampStr", timeStr(minTime))
		w.endObj()
	}
	w.endArr()
	w.endObj()
	return w.b
}

func (c *Cluster) consumerOffsetBody(st *brokerState) []byte {
	w := &jw{}
	w.obj()
	groups := st.offsetGroups()
	n := 0
	for _, g := range groups {
		n += len(g.subs)
	}
	if n == 0 {
		return nil
	}
	if !c.p.v4 {
		c.dataVersion(w, "dataVersion", st.offsetVersion, st.versionAt)
		w.kobj("groupTopicMap")
		for _, g := range groups {
			if len(g.subs) == 0 {
				continue
			}
			w.karr(g.name)
			for _, s := range g.subs {
				w.str(s.t.name)
			}
			w.endArr()
		}
		w.endObj()
	}
	w.kobj("offsetTable")
	for _, g := range groups {
		for _, s := range g.subs {
			w.kobj(s.t.name + "@" + g.name)
			for q := 0; q < s.t.queues; q++ {
				w.intKey(int64(q))
				w.int(s.offset)
			}
			w.endObj()
		}
	}
	w.endObj()
	w.endObj()
	return w.b
}

func (c *Cluster) delayOffsetBody(st *brokerState) []byte {
	w := &jw{}
	w.obj()
	if !c.p.v4 {
		c.dataVersion(w, "dataVersion", 0, st.boot)
	}
	w.kobj("offsetTable")
	w.endObj()
	w.endObj()
	return w.b
}
