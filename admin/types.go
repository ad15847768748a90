package admin

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MessageQueue identifies one queue of a topic on one broker.
type MessageQueue struct {
	Topic      string `json:"topic"`
	BrokerName string `json:"brokerName"`
	QueueID    int    `json:"queueId"`
}

// parseMessageQueue reads a map key that fastjson (1 and 2 alike, with
// their default features) wrote as a raw object and the normaliser turned
// into that object's JSON text. fastjson2 with BrowserCompatible (what the
// 5.4.0 namesrv uses for routes) writes such a key as the Java toString,
// "MessageQueue [topic=T, brokerName=b, queueId=3]": that form is read too.
//
// The names returned may share key's memory.
func parseMessageQueue(key string) (MessageQueue, error) {
	if mq, ok := parseMessageQueueObject(key); ok {
		return mq, nil
	}
	var mq MessageQueue
	if rest, ok := strings.CutPrefix(key, "MessageQueue ["); ok {
		return parseMessageQueueString(key, rest)
	}
	if err := json.Unmarshal([]byte(key), &mq); err != nil {
		return mq, fmt.Errorf("message-queue key %q: %w", key, err)
	}
	return mq, nil
}

// parseMessageQueueObject reads the one form fastjson writes, fields in its
// alphabetical order, names without escapes, without reflection: there is
// a key per queue of every answer. Anything else (another order, spacing,
// escapes, a queue id that is not a plain int) is not ok, and
// encoding/json decides, as it did for every key before.
func parseMessageQueueObject(key string) (mq MessageQueue, ok bool) {
	mq.BrokerName, mq.Topic, mq.QueueID, ok = messageQueueFields(key)
	return mq, ok
}

// messageQueueFields is parseMessageQueueObject on a string or bytes; the
// offset tables' reader gives it bytes, so a key's names are not copied
// before they are known to differ from the previous key's.
func messageQueueFields[S ~string | ~[]byte](key S) (broker, topic S, id int, ok bool) {
	rest, ok := cutPrefix(key, `{"brokerName":`)
	if !ok {
		return broker, topic, 0, false
	}
	if broker, rest, ok = plainString(rest); !ok {
		return broker, topic, 0, false
	}
	if rest, ok = cutPrefix(rest, `,"queueId":`); !ok {
		return broker, topic, 0, false
	}
	end := 0
	for end < len(rest) && rest[end] != ',' {
		end++
	}
	if end == len(rest) || !plainInt(rest[:end]) {
		return broker, topic, 0, false
	}
	id, err := strconv.Atoi(string(rest[:end]))
	if err != nil {
		return broker, topic, 0, false
	}
	if rest, ok = cutPrefix(rest[end:], `,"topic":`); !ok {
		return broker, topic, 0, false
	}
	if topic, rest, ok = plainString(rest); !ok || string(rest) != "}" {
		return broker, topic, 0, false
	}
	return broker, topic, id, true
}

func cutPrefix[S ~string | ~[]byte](s S, prefix string) (S, bool) {
	if len(s) < len(prefix) || string(s[:len(prefix)]) != prefix {
		return s, false
	}
	return s[len(prefix):], true
}

// plainString reads a JSON string at the start of s that decodes to its
// own bytes: no escapes, no control characters, valid UTF-8.
func plainString[S ~string | ~[]byte](s S) (str, rest S, ok bool) {
	if len(s) == 0 || s[0] != '"' {
		return str, s, false
	}
	end := 1
	for end < len(s) && s[end] != '"' {
		end++
	}
	if end == len(s) {
		return str, s, false
	}
	str = s[1:end]
	ascii := true
	for i := 0; i < len(str); i++ {
		switch c := str[i]; {
		case c == '\\' || c < 0x20:
			return str, s, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	if !ascii && !utf8.ValidString(string(str)) {
		return str, s, false // encoding/json would substitute U+FFFD
	}
	return str, s[end+1:], true
}

// plainInt reports whether s is a JSON integer: an optional minus, then 0
// or digits not starting with 0.
func plainInt[S ~string | ~[]byte](s S) bool {
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	if len(s) == 0 || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseMessageQueueString reads "topic=T, brokerName=b, queueId=3]". Topic
// and broker names cannot hold ", brokerName=" or ", queueId=", so the last
// occurrences split the fields.
func parseMessageQueueString(key, rest string) (MessageQueue, error) {
	var mq MessageQueue
	bad := func(why string) (MessageQueue, error) {
		return MessageQueue{}, fmt.Errorf("message-queue key %q: %s", key, why)
	}
	rest, ok := strings.CutSuffix(rest, "]")
	if !ok {
		return bad("no closing ]")
	}
	i := strings.LastIndex(rest, ", queueId=")
	if i < 0 {
		return bad("no queueId")
	}
	id, err := strconv.Atoi(rest[i+len(", queueId="):])
	if err != nil {
		return bad("queueId is not a number")
	}
	rest = rest[:i]
	j := strings.LastIndex(rest, ", brokerName=")
	if j < 0 {
		return bad("no brokerName")
	}
	mq.BrokerName = rest[j+len(", brokerName="):]
	if mq.Topic, ok = strings.CutPrefix(rest[:j], "topic="); !ok {
		return bad("no topic")
	}
	mq.QueueID = id
	return mq, nil
}

// DataVersion is the broker's metadata version stamp.
type DataVersion struct {
	Counter   int64 `json:"counter"`
	Timestamp int64 `json:"timestamp"`
}

// BrokerData is one broker group (a master and its slaves) in cluster info
// and routes. BrokerAddrs is keyed by broker id: 0 is the master.
type BrokerData struct {
	Cluster     string            `json:"cluster"`
	BrokerName  string            `json:"brokerName"`
	BrokerAddrs map[string]string `json:"brokerAddrs"`
	ZoneName    string            `json:"zoneName,omitempty"`
}

// ClusterInfo answers GET_BROKER_CLUSTER_INFO.
type ClusterInfo struct {
	BrokerAddrTable  map[string]BrokerData `json:"brokerAddrTable"`
	ClusterAddrTable map[string][]string   `json:"clusterAddrTable"`
}

// BrokerInstance is one process of a broker group.
type BrokerInstance struct {
	Cluster    string
	BrokerName string
	BrokerID   int64
	Addr       string
}

// IsMaster reports whether this is the group's master (id 0).
func (b BrokerInstance) IsMaster() bool { return b.BrokerID == 0 }

// Instances lists every broker process, sorted by cluster, name and id.
// A broker listed in brokerAddrTable without a cluster takes the cluster
// whose clusterAddrTable names it.
func (ci *ClusterInfo) Instances() []BrokerInstance {
	clusterOf := map[string]string{}
	for cluster, names := range ci.ClusterAddrTable {
		for _, n := range names {
			clusterOf[n] = cluster
		}
	}
	var out []BrokerInstance
	for name, bd := range ci.BrokerAddrTable {
		cluster := bd.Cluster
		if cluster == "" {
			cluster = clusterOf[name]
		}
		for idStr, addr := range bd.BrokerAddrs {
			id, err := strconv.ParseInt(idStr, 10, 64)
			if err != nil || addr == "" {
				continue
			}
			out = append(out, BrokerInstance{Cluster: cluster, BrokerName: name, BrokerID: id, Addr: addr})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Cluster != b.Cluster {
			return a.Cluster < b.Cluster
		}
		if a.BrokerName != b.BrokerName {
			return a.BrokerName < b.BrokerName
		}
		return a.BrokerID < b.BrokerID
	})
	return out
}

// TopicConfig is one topic's broker-side configuration.
type TopicConfig struct {
	TopicName       string `json:"topicName"`
	ReadQueueNums   int    `json:"readQueueNums"`
	WriteQueueNums  int    `json:"writeQueueNums"`
	Perm            int    `json:"perm"`
	TopicFilterType string `json:"topicFilterType"`
	TopicSysFlag    int    `json:"topicSysFlag"`
	Order           bool   `json:"order"`
	// 5.x's attributes (an empty object for almost every topic) are not
	// kept: nothing reads them, and a map per topic was a tenth of a
	// listing's decoded size.
}

// TopicConfigTable answers GET_ALL_TOPIC_CONFIG.
type TopicConfigTable struct {
	DataVersion      DataVersion            `json:"dataVersion"`
	TopicConfigTable map[string]TopicConfig `json:"topicConfigTable"`
	// Others are the topics a sieve did not keep whole (SiftedTopicConfig):
	// name and queue count. Has, Len and Queues cover both maps.
	Others map[string]int32 `json:"-"`
	keep   func(topic string) bool
}

// SubscriptionGroupConfig is one consumer group's broker-side configuration.
type SubscriptionGroupConfig struct {
	GroupName                      string `json:"groupName"`
	ConsumeEnable                  bool   `json:"consumeEnable"`
	ConsumeFromMinEnable           bool   `json:"consumeFromMinEnable"`
	ConsumeBroadcastEnable         bool   `json:"consumeBroadcastEnable"`
	ConsumeMessageOrderly          bool   `json:"consumeMessageOrderly"`
	RetryQueueNums                 int    `json:"retryQueueNums"`
	RetryMaxTimes                  int    `json:"retryMaxTimes"`
	BrokerID                       int64  `json:"brokerId"`
	WhichBrokerWhenConsumeSlowly   int64  `json:"whichBrokerWhenConsumeSlowly"`
	NotifyConsumerIdsChangedEnable bool   `json:"notifyConsumerIdsChangedEnable"`
	GroupSysFlag                   int    `json:"groupSysFlag"`
	ConsumeTimeoutMinute           int    `json:"consumeTimeoutMinute"`
}

// SubscriptionGroupTable answers GET_ALL_SUBSCRIPTIONGROUP_CONFIG.
type SubscriptionGroupTable struct {
	DataVersion            DataVersion                        `json:"dataVersion"`
	SubscriptionGroupTable map[string]SubscriptionGroupConfig `json:"subscriptionGroupTable"`
	// Others are the groups a sieve did not keep whole
	// (SiftedSubscriptionGroups). Has, Len and Names cover both.
	Others map[string]struct{} `json:"-"`
	keep   func(group string) bool
}

// QueueOffsets is one queue's range in GET_TOPIC_STATS_INFO.
type QueueOffsets struct {
	MessageQueue
	MinOffset           int64 `json:"minOffset"`
	MaxOffset           int64 `json:"maxOffset"`
	LastUpdateTimestamp int64 `json:"lastUpdateTimestamp"`
}

// TopicStats answers GET_TOPIC_STATS_INFO, queues sorted by id.
type TopicStats struct {
	Queues []QueueOffsets
	// TopicPutTps is the broker's TOPIC_PUT_NUMS minute rate, sent by 5.x
	// brokers only; HasTopicPutTps tells a real 0 from a 4.x broker that
	// does not send it.
	TopicPutTps    float64
	HasTopicPutTps bool
}

type topicStatsWire struct {
	OffsetTable queueTable[QueueOffsets, *QueueOffsets] `json:"offsetTable"`
	TopicPutTps *float64                                `json:"topicPutTps"`
	tps         float64                                 // what TopicPutTps points at when read by hand
}

// stats turns the decoded wire form into queues sorted by id.
func (w *topicStatsWire) stats() (*TopicStats, error) {
	queues, err := w.OffsetTable.queues(func(o QueueOffsets) MessageQueue { return o.MessageQueue })
	if err != nil {
		return nil, err
	}
	ts := &TopicStats{Queues: queues}
	if w.TopicPutTps != nil {
		ts.TopicPutTps, ts.HasTopicPutTps = *w.TopicPutTps, true
	}
	return ts, nil
}

// queueNames gives the queues of one answer one copy of their topic and
// broker names (they repeat from queue to queue), so what the poller keeps
// of a queue holds neither its map key nor a copy per queue.
type queueNames struct{ topic, broker string }

func (n *queueNames) share(mq MessageQueue) MessageQueue {
	if mq.Topic != n.topic {
		n.topic = strings.Clone(mq.Topic)
	}
	if mq.BrokerName != n.broker {
		n.broker = strings.Clone(mq.BrokerName)
	}
	mq.Topic, mq.BrokerName = n.topic, n.broker
	return mq
}

// ConsumeOffsets is one queue's progress in consume stats.
type ConsumeOffsets struct {
	MessageQueue
	BrokerOffset   int64 `json:"brokerOffset"`
	ConsumerOffset int64 `json:"consumerOffset"`
	PullOffset     int64 `json:"pullOffset"`
	LastTimestamp  int64 `json:"lastTimestamp"`
}

// Lag is the messages not yet consumed on this queue, never negative.
func (o ConsumeOffsets) Lag() int64 { return max(0, o.BrokerOffset-o.ConsumerOffset) }

// ConsumeStats is one group's progress on one topic, queues sorted: an
// element of GET_BROKER_CONSUME_STATS, and the whole GET_CONSUME_STATS
// answer (which only tests ask).
type ConsumeStats struct {
	ConsumeTps float64
	Queues     []ConsumeOffsets
}

type consumeStatsWire struct {
	ConsumeTps  float64                                     `json:"consumeTps"`
	OffsetTable queueTable[ConsumeOffsets, *ConsumeOffsets] `json:"offsetTable"`
}

// UnmarshalJSON reads the normalised wire form, whose queues are keyed by
// MessageQueue (see parseMessageQueue). It lets both requests that answer
// this shape decode it the same way.
func (cs *ConsumeStats) UnmarshalJSON(b []byte) error {
	var w consumeStatsWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	queues, err := w.OffsetTable.queues(func(o ConsumeOffsets) MessageQueue { return o.MessageQueue })
	if err != nil {
		return err
	}
	*cs = ConsumeStats{ConsumeTps: w.ConsumeTps, Queues: queues}
	return nil
}

// sortQueues sorts by topic, broker and queue id, stably: lastOfEach
// relies on entries for one queue staying in the answer's order.
func sortQueues[T any](s []T, mq func(T) MessageQueue) {
	slices.SortStableFunc(s, func(x, y T) int {
		a, b := mq(x), mq(y)
		if c := strings.Compare(a.Topic, b.Topic); c != 0 {
			return c
		}
		if c := strings.Compare(a.BrokerName, b.BrokerName); c != 0 {
			return c
		}
		return cmp.Compare(a.QueueID, b.QueueID)
	})
}

// GroupConsumeStats is one group's stats in a broker-wide answer.
type GroupConsumeStats struct {
	Group string
	Stats []ConsumeStats // one per topic the group has offsets on
	// Sifted: a ConsumeSieve left the group out. Stats then holds only
	// the queues of the sieve's topics, with their broker offsets and
	// nothing else, and Topics names every topic the group has offsets
	// on, in the answer's order.
	Sifted bool
	Topics []string
}

// BrokerConsumeStats answers GET_BROKER_CONSUME_STATS: every group with
// offsets on the broker, in one call.
type BrokerConsumeStats struct {
	BrokerAddr string
	TotalDiff  int64
	Groups     []GroupConsumeStats // sorted by group
}

type brokerConsumeStatsWire struct {
	BrokerAddr       string                      `json:"brokerAddr"`
	TotalDiff        int64                       `json:"totalDiff"`
	ConsumeStatsList []map[string][]ConsumeStats `json:"consumeStatsList"`
	read             []groupList                 // the list as read by hand, sifted
	sieve            *ConsumeSieve
}

// groupList is one group's entry in consumeStatsList.
type groupList struct {
	group  string
	list   []ConsumeStats
	sifted bool     // by the sieve: list holds what it keeps
	topics []string // when sifted, every topic the group had offsets on
}

// stats merges the list of one-group maps (or the pairs read by hand)
// into groups sorted by name, each group's lists in the answer's order.
func (w *brokerConsumeStatsWire) stats() *BrokerConsumeStats {
	out := &BrokerConsumeStats{BrokerAddr: w.BrokerAddr, TotalDiff: w.TotalDiff}
	pairs := w.read
	for _, m := range w.ConsumeStatsList {
		for group, list := range m {
			pairs = append(pairs, w.sieve.sift(groupList{group: group, list: list}))
		}
	}
	if len(pairs) == 0 {
		return out
	}
	slices.SortStableFunc(pairs, func(a, b groupList) int { return strings.Compare(a.group, b.group) })
	out.Groups = make([]GroupConsumeStats, 0, len(pairs))
	for i := 0; i < len(pairs); {
		j := i + 1
		for j < len(pairs) && pairs[j].group == pairs[i].group {
			j++
		}
		g := GroupConsumeStats{Group: pairs[i].group, Sifted: pairs[i].sifted}
		if j == i+1 && len(pairs[i].list) > 0 {
			g.Stats = pairs[i].list // the usual case: one list, not copied
		} else {
			for _, p := range pairs[i:j] {
				g.Stats = append(g.Stats, p.list...) // nil when all are empty
			}
		}
		if j == i+1 {
			g.Topics = pairs[i].topics
		} else {
			for _, p := range pairs[i:j] {
				g.Topics = append(g.Topics, p.topics...)
			}
		}
		out.Groups = append(out.Groups, g)
		i = j
	}
	return out
}

// StatsSnapshot is one window of a broker stat item.
type StatsSnapshot struct {
	Sum   int64   `json:"sum"`
	Tps   float64 `json:"tps"`
	Avgpt float64 `json:"avgpt"`
}

// BrokerStatsData answers VIEW_BROKER_STATS_DATA: the minute, hour and day
// windows of one stat item. Sums are deltas inside the window.
type BrokerStatsData struct {
	StatsMinute StatsSnapshot `json:"statsMinute"`
	StatsHour   StatsSnapshot `json:"statsHour"`
	StatsDay    StatsSnapshot `json:"statsDay"`
}

// Connection is one client connection of a group.
type Connection struct {
	ClientID   string `json:"clientId"`
	ClientAddr string `json:"clientAddr"`
	Language   string `json:"language"`
	Version    int    `json:"version"`
}

// SubscriptionData is one topic subscription of an online consumer group.
type SubscriptionData struct {
	Topic          string `json:"topic"`
	SubString      string `json:"subString"`
	ExpressionType string `json:"expressionType"`
}

// ConsumerConnection answers GET_CONSUMER_CONNECTION_LIST.
type ConsumerConnection struct {
	ConnectionSet     []Connection                `json:"connectionSet"`
	ConsumeType       string                      `json:"consumeType"`
	MessageModel      string                      `json:"messageModel"`
	ConsumeFromWhere  string                      `json:"consumeFromWhere"`
	SubscriptionTable map[string]SubscriptionData `json:"subscriptionTable"`
}

// ProducerInfo is one producer client in GET_ALL_PRODUCER_INFO.
type ProducerInfo struct {
	ClientID            string `json:"clientId"`
	RemoteIP            string `json:"remoteIP"`
	Language            string `json:"language"`
	Version             int    `json:"version"`
	LastUpdateTimestamp int64  `json:"lastUpdateTimestamp"`
}

// ProducerTable answers GET_ALL_PRODUCER_INFO, keyed by producer group.
type ProducerTable struct {
	Data map[string][]ProducerInfo `json:"data"`
}

// ConsumeStatus is a client's own consumption figures for one topic.
type ConsumeStatus struct {
	PullRT            float64 `json:"pullRT"`
	PullTPS           float64 `json:"pullTPS"`
	ConsumeRT         float64 `json:"consumeRT"`
	ConsumeOKTPS      float64 `json:"consumeOKTPS"`
	ConsumeFailedTPS  float64 `json:"consumeFailedTPS"`
	ConsumeFailedMsgs int64   `json:"consumeFailedMsgs"`
}

// ConsumerRunningInfo answers GET_CONSUMER_RUNNING_INFO, as the client
// itself reported it (the broker forwards the call to the client).
type ConsumerRunningInfo struct {
	Properties  map[string]string
	StatusTable map[string]ConsumeStatus
}

type consumerRunningInfoWire struct {
	Properties  map[string]json.RawMessage `json:"properties"`
	StatusTable map[string]ConsumeStatus   `json:"statusTable"`
}

// QueueTimeSpan is one queue's answer to QUERY_CONSUME_TIME_SPAN. DelayTime
// is now minus the store time of the oldest unconsumed message, in ms, and
// 0 when the group is caught up.
type QueueTimeSpan struct {
	MessageQueue     MessageQueue `json:"messageQueue"`
	MinTimeStamp     int64        `json:"minTimeStamp"`
	MaxTimeStamp     int64        `json:"maxTimeStamp"`
	ConsumeTimeStamp int64        `json:"consumeTimeStamp"`
	DelayTime        int64        `json:"delayTime"`
}

// ConsumerOffsets answers GET_ALL_CONSUMER_OFFSET: committed offsets by
// topic and group, queue id to offset.
type ConsumerOffsets struct {
	Entries []ConsumerOffsetEntry // sorted by topic, then group
}

// ConsumerOffsetEntry is one topic@group offset row.
type ConsumerOffsetEntry struct {
	Topic   string
	Group   string
	Offsets map[int]int64
}

type consumerOffsetWire struct {
	OffsetTable map[string]map[string]int64 `json:"offsetTable"`
}

// splitTopicGroup splits a "topic@group" offset key. Topic and group names
// cannot contain '@', so the first '@' separates them.
func splitTopicGroup(key string) (topic, group string, ok bool) {
	topic, group, ok = strings.Cut(key, "@")
	return topic, group, ok && topic != "" && group != ""
}
