// Package snapshot holds the immutable result of one collection cycle.
// The poller builds a Snapshot, publishes it atomically, and never touches
// it again; the collector and the web pages only read it. Nothing in here
// may be modified after publication.
//
// Every snapshot the poller publishes holds these, and its readers (the
// collector first) rely on them instead of re-deriving them:
//   - Brokers are sorted by Key, each Key once, none nil; Broker.Target
//     indexes Targets.
//   - Role is RoleMaster for broker id 0 and RoleSlave for any other id;
//     a slave has no topics, groups or producers of its own.
//   - Topics, Groups, each group's Topics and Producers are sorted by
//     name, each name once.
//   - Every Topic's Kind is set: ClassifyTopic of its name, or KindSystem
//     for the topics named after its broker or cluster.
//   - A group's Clients, and a producer group's, are sorted by ID; an ID
//     may repeat, once per connection of one client.
//   - A broker is never both Up and Stale.
//
// Tests build snapshots with package snapshot/snapshottest, whose Check
// enforces these; its own tests run Check on the poller's snapshots.
package snapshot

import (
	"strings"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/runtimeinfo"
	"github.com/rocketmq-exporter/rocketmq_exporter/shard"
)

// Snapshot is one complete view of every watched cluster.
type Snapshot struct {
	Seq      uint64
	Started  time.Time
	Finished time.Time
	// Overran is set when the cycle hit its deadline; brokers not finished
	// by then are reported down for this cycle.
	Overran bool
	Targets []*Target
	Brokers []*Broker // every broker of every target, sorted by Key
	// Entities counts what this snapshot tracks, by kind (gc.Kind names).
	Entities map[string]int
	// Removed counts series subjects dropped since the previous snapshot.
	Removed map[string]int
	// RPCs counts this cycle's calls by request name, namesrvs included.
	RPCs map[string]int
	// Self is what the exporter counted of itself since it started, as of
	// this snapshot's end.
	Self Self
	// Shard is this replica's share of the work (--shard.count,
	// --shard.index): Brokers hold only its topics and groups, and only the
	// brokers it owns get their broker-level families served.
	Shard shard.Set
}

// Self holds the exporter's own running totals. They travel in the
// snapshot so that every family is served from one immutable value.
type Self struct {
	// Overruns counts cycles that hit their deadline or ran past the
	// interval; one that ran past the interval shows from the next
	// snapshot on (it is known only once the cycle has ended).
	Overruns int64
	// Removed counts the entities whose series left /metrics, by kind
	// (every kind present, zeros included).
	Removed map[string]int64
	RPC     RPCTotals
}

// RPCTotals are the calls the exporter made to RocketMQ since it started.
type RPCTotals struct {
	Calls     map[string]int64   // by request name
	Errors    map[RPCError]int64 // by request name and error code
	Seconds   map[string]float64 // time waiting for answers, by request name
	BodyBytes int64              // response body bytes received
}

// RPCError names a kind of failed call: the request and the broker's
// response code name, or transport, timeout or decode.
type RPCError struct{ Request, Code string }

// Duration is how long the cycle took.
func (s *Snapshot) Duration() time.Duration { return s.Finished.Sub(s.Started) }

// Target is one namesrv set the exporter was told to watch.
type Target struct {
	// Name is the target's stable name: given as name= in
	// --rocketmq.namesrv-addr, else its namesrvs joined with ';'. With
	// more than one target it is the value of every series' target label.
	Name        string
	Namesrvs    []string
	Up          bool   // cluster info answered this cycle
	Err         string // why not, when !Up
	Namesrv     string // the namesrv that answered
	Clusters    []string
	LastSuccess time.Time
	// NamesrvUp tells, by address of Namesrvs, whether it answered
	// GET_BROKER_CLUSTER_INFO this cycle; nil when not asked.
	NamesrvUp map[string]bool
}

// Role of a broker process in its group.
const (
	RoleMaster = "master"
	RoleSlave  = "slave"
)

// Broker is one broker process and everything collected from it.
type Broker struct {
	Cluster string
	Name    string // broker group name, e.g. broker-a
	ID      int64
	Addr    string
	Role    string
	// Target indexes Snapshot.Targets: the namesrv set that listed the
	// broker (the first one, when two list it).
	Target int

	Up          bool      // every listing call answered this cycle
	Stale       bool      // entity data carried over from LastSuccess
	LastSuccess time.Time // last cycle in which it was Up
	Err         string
	Duration    time.Duration // this cycle's collection time for it
	// Cut is set when the cycle's deadline stopped calls to the broker: a
	// topic, group, pair or client not reached keeps its last values
	// (counted in Carried), or, when the listings were not answered, the
	// broker is down and Stale.
	Cut bool
	// Cuts counts the broker's cut cycles since the exporter started.
	Cuts int64
	// Carried counts, by kind (the Carried* constants), the entities whose
	// values here are those of an earlier cycle because this cycle's call
	// for them was not made before the deadline, failed, or (lag ages) is
	// waiting for its turn in the look-up budget.
	Carried map[string]int
	// LagPending counts lagging (topic, group) pairs whose age of the
	// oldest unconsumed message was not read this cycle and is not cached:
	// over the per-broker look-up budget, cut by the deadline, or failed.
	LagPending int
	// FirstSightPending counts, by kind (PendingKinds), the topics whose
	// GET_TOPIC_STATS_INFO and the groups whose connection list were never
	// answered since the exporter first saw them: over the per-broker
	// first-sight budget (their turn comes), cut by the deadline, or failed.
	FirstSightPending map[string]int

	Version     string // brokerVersionDesc, e.g. V5_3_3
	VersionCode int    // brokerVersion ordinal; 0 where the broker no longer sends it
	BootTime    time.Time
	Runtime     runtimeinfo.Info
	// Config holds the cleanup-relevant broker settings (GET_BROKER_CONFIG).
	Config map[string]string

	Topics []Topic // sorted by name
	Groups []Group // sorted by name
	// Counts are the topics and groups within the filters, by kind, whoever
	// owns them: under --shard.count, Topics and Groups hold only this
	// shard's share, and the broker's counts are still the whole. Nil in a
	// snapshot built without a poller: count Topics and Groups then.
	Counts    *Counts
	Producers []ProducerGroup // sorted by name
	Leaks     *LeakReport     // nil when not probed
	LMQ       *LMQReport      // nil when the broker shows no LMQ
	// Proxies are the rocketmq-proxies of the broker's target that were
	// asked for the consumers of groups the broker sees none of
	// (--rocketmq.proxy-addr); nil when none are configured.
	Proxies []string

	// RPCs counts the calls made to this broker this cycle by request name.
	RPCs map[string]int
	// Stages are the collection stages ever attempted on the broker, sorted
	// by name, with this cycle's calls (none for a stage not asked this
	// cycle, or for a broker carried over without being asked) and each
	// stage's last outcome.
	Stages []Stage
}

// Stage is the outcome of one collection stage of one broker in one
// cycle: the calls of one kind the poller made to it. The names are
// stable (they are label values): runtime_info, broker_config,
// topic_config, subscription_groups, consume_stats, producers
// (GET_ALL_PRODUCER_INFO), topic_stats (GET_TOPIC_STATS_INFO),
// topic_rates (TOPIC_PUT_* windows), connections (consumer connection
// lists, of the broker and of its target's proxies), group_rates
// (GROUP_GET_SIZE and SNDBCK_PUT_NUMS windows, GROUP_ACK_NUMS of POP groups),
// lag_seconds (QUERY_CONSUME_TIME_SPAN), running_info
// (GET_CONSUMER_RUNNING_INFO), consumer_offsets (GET_ALL_CONSUMER_OFFSET)
// and leak_probes (stat items of deleted topics and groups). A stage
// appears from the first cycle that made one of its calls on, also in
// cycles that made none (its series do not come and go): a slave has
// runtime_info and broker_config.
type Stage struct {
	Name string
	// Calls counts the calls made this cycle (those the deadline left
	// unmade are not calls).
	Calls int
	// Failed counts the calls of Calls not answered: an error answer, a
	// broken connection or the per-call timeout. CONSUMER_NOT_ONLINE and
	// a stat item that does not exist are answers.
	Failed int
	// Cut counts the calls of Calls the cycle's deadline ended: counted
	// in the broker's Cut and Carried, not as failures.
	Cut int
	// OK is false while the stage is failing: its last cycle with a call
	// not cut had a failure. A stage not asked this cycle keeps it.
	OK bool
	// LastErr is the error of one failed call of the stage's last failing
	// cycle while it is failing; empty when OK.
	LastErr string
	// FailedTotal counts the stage's failures since the exporter first
	// saw the broker; it restarts when the broker is forgotten.
	FailedTotal int64
}

// Kinds of Broker.Carried: which values of an entity were carried.
const (
	CarriedTopicOffsets      = "topic_offsets"       // GET_TOPIC_STATS_INFO
	CarriedTopicRates        = "topic_rates"         // TOPIC_PUT_NUMS/SIZE windows
	CarriedGroupOnline       = "group_online"        // GET_CONSUMER_CONNECTION_LIST
	CarriedGroupTopicRates   = "group_topic_rates"   // GROUP_GET_SIZE, SNDBCK_PUT_NUMS windows
	CarriedLagSeconds        = "lag_seconds"         // QUERY_CONSUME_TIME_SPAN
	CarriedClientRunningInfo = "client_running_info" // GET_CONSUMER_RUNNING_INFO
)

// CarriedKinds lists every kind of Broker.Carried.
var CarriedKinds = []string{CarriedTopicOffsets, CarriedTopicRates, CarriedGroupOnline, CarriedGroupTopicRates,
	CarriedLagSeconds, CarriedClientRunningInfo}

// PendingKinds lists every kind of Broker.FirstSightPending.
var PendingKinds = []string{CarriedTopicOffsets, CarriedGroupOnline}

// Key orders brokers and names them uniquely.
func (b *Broker) Key() string { return b.Cluster + "/" + b.Name + "/" + b.Addr }

// IsMaster reports whether the broker is its group's master.
func (b *Broker) IsMaster() bool { return b.Role == RoleMaster }

// TopicKind classifies topics by name.
type TopicKind string

// Topic kinds.
const (
	KindNormal TopicKind = "normal"
	KindRetry  TopicKind = "retry"
	KindDLQ    TopicKind = "dlq"
	KindSystem TopicKind = "system"
	KindLMQ    TopicKind = "lmq"
)

// Name prefixes RocketMQ gives its internal topics.
const (
	RetryPrefix = "%RETRY%"
	DLQPrefix   = "%DLQ%"
	LMQPrefix   = "%LMQ%"
)

var systemTopics = map[string]bool{
	"TBW102": true, "SCHEDULE_TOPIC_XXXX": true, "BenchmarkTest": true, "OFFSET_MOVED_EVENT": true,
	"SELF_TEST_TOPIC": true, "RMQ_SYS_TRANS_HALF_TOPIC": true, "RMQ_SYS_TRACE_TOPIC": true,
	"RMQ_SYS_TRANS_OP_HALF_TOPIC": true, "TRANS_CHECK_MAX_TIME_TOPIC": true, "rmq_sys_REVIVE_LOG_": true,
}

// ClassifyTopic tells a topic's kind from its name. Broker- and
// cluster-named topics are system topics too; the caller knows those names.
func ClassifyTopic(name string) TopicKind {
	switch {
	case strings.HasPrefix(name, RetryPrefix):
		return KindRetry
	case strings.HasPrefix(name, DLQPrefix):
		return KindDLQ
	case strings.HasPrefix(name, LMQPrefix):
		return KindLMQ
	case systemTopics[name] || strings.HasPrefix(name, "rmq_sys_") || strings.HasPrefix(name, "RMQ_SYS_"):
		return KindSystem
	}
	return KindNormal
}

// IsPOPRetryOf tells whether topic is one of group's POP retry topics:
// %RETRY%<group>_<topic> (the default) or %RETRY%<group>+<topic>
// (enableRetryTopicV2), where a POP consumer's messages go when they were
// not acknowledged in time. GroupOfTopic reads those names as a group's
// push retry topic of a longer group name.
func IsPOPRetryOf(topic, group string) bool {
	rest, ok := strings.CutPrefix(topic, RetryPrefix+group)
	return ok && len(rest) > 1 && (rest[0] == '_' || rest[0] == '+')
}

// RetryGroups returns every group a %RETRY% topic may belong to: the whole
// name after the prefix (a push retry topic), and each part of it before a
// '_' or '+' (a POP retry topic %RETRY%<group>_<topic>, which cannot be
// told from a push retry topic of a group whose name holds '_'). Nil for
// any other topic.
func RetryGroups(topic string) []string {
	rest, ok := strings.CutPrefix(topic, RetryPrefix)
	if !ok {
		return nil
	}
	out := []string{rest}
	for i := 1; i < len(rest)-1; i++ {
		if rest[i] == '_' || rest[i] == '+' {
			out = append(out, rest[:i])
		}
	}
	return out
}

// GroupOfTopic returns the group a %RETRY%/%DLQ% topic belongs to.
func GroupOfTopic(topic string) (string, bool) {
	for _, prefix := range []string{RetryPrefix, DLQPrefix} {
		if g, ok := strings.CutPrefix(topic, prefix); ok {
			return g, true
		}
	}
	return "", false
}

// Counts are a broker's topics and groups by kind.
type Counts struct {
	Topics map[TopicKind]int
	Groups map[GroupKind]int
}

// GroupKind tells the consumer groups RocketMQ keeps for itself from the
// applications'.
type GroupKind string

// Group kinds.
const (
	GroupBusiness GroupKind = "business"
	GroupSystem   GroupKind = "system"
)

// systemGroups are the consumer group names RocketMQ reserves (MixAll's
// *_CONSUMER_GROUP and CID_* constants, the same in 4.9.7, 5.3.3 and
// 5.4.0); a broker creates those it uses in its subscription config at
// start. No application consumes under them.
var systemGroups = map[string]bool{
	"DEFAULT_CONSUMER": true, "TOOLS_CONSUMER": true, "SCHEDULE_CONSUMER": true, "FILTERSRV_CONSUMER": true,
	"__MONITOR_CONSUMER": true, "SELF_TEST_C_GROUP": true, "CID_ONS-HTTP-PROXY": true, "CID_ONSAPI_PERMISSION": true,
	"CID_ONSAPI_OWNER": true, "CID_ONSAPI_PULL": true,
	// Each 5.x proxy in cluster mode creates and consumes this one to share
	// its clients' heartbeats with the other proxies (seen on 5.3.3).
	"CID_DefaultHeartBeatSyncerTopic": true,
}

// SystemGroupPrefix starts the broker's internal groups: CID_RMQ_SYS_TRANS
// (transaction check), CID_RMQ_SYS_REVIVE_GROUP (POP revive), …
const SystemGroupPrefix = "CID_RMQ_SYS_"

// ClassifyGroup tells a consumer group's kind from its name.
func ClassifyGroup(name string) GroupKind {
	if systemGroups[name] || strings.HasPrefix(name, SystemGroupPrefix) {
		return GroupSystem
	}
	return GroupBusiness
}

// Topic is one topic on one broker.
type Topic struct {
	Name        string
	Kind        TopicKind
	ReadQueues  int
	WriteQueues int
	Perm        int
	Order       bool

	HasOffsets bool  // offsets known this cycle
	MaxOffset  int64 // sum over queues: messages ever put
	MinOffset  int64 // sum over queues: first message still stored
	// LastPut is the store time of the newest message (ms), 0 if unknown.
	LastPut int64
	// RangePending: MinOffset and LastPut are unknown, because the topic's
	// GET_TOPIC_STATS_INFO was never answered (its max offset can come
	// from consume stats before that).
	RangePending bool
	Queues       []QueueOffsets // per queue, when per-queue collection is on

	// Put is the broker's minute window for the topic, nil when not read.
	Put *Window
}

// QueueOffsets is one queue's offset range.
type QueueOffsets struct {
	QueueID   int
	MinOffset int64
	MaxOffset int64
}

// Window is a broker stat item's minute window: messages and bytes per
// second, and the message count inside the window.
type Window struct {
	TPS         float64
	BytesPerSec float64
	Sum         int64
}

// Group is one consumer group on one broker.
type Group struct {
	Name          string
	HasConfig     bool // listed in the subscription-group config
	ConsumeEnable bool
	Broadcast     bool // consumeBroadcastEnable in its config
	RetryMaxTimes int

	Online bool // a connection list answered
	// OnlinePending: the group's connection list was never answered, so
	// Online, the model and Clients are unknown, not offline.
	OnlinePending bool
	MessageModel  string // CLUSTERING or BROADCASTING, "" when unknown
	ConsumeType   string
	Clients       []Client // sorted by ID
	ConsumeTPS    float64  // broker's figure for the group over its topics

	Topics []GroupTopic // sorted by topic
}

// Client is one online consumer connection.
type Client struct {
	ID       string
	Addr     string
	Language string
	Version  int
	// Running is what the client itself reported per topic, when asked.
	Running map[string]ClientRunning
	// Proxy is the rocketmq-proxy (remoting address) that listed the
	// client, a 5.x gRPC client the broker does not know; empty when the
	// broker listed it.
	Proxy string
}

// ClientRunning is a client's own consumption figures for one topic.
type ClientRunning struct {
	PullRT, PullTPS, ConsumeRT, ConsumeOKTPS, ConsumeFailedTPS float64
	ConsumeFailedMsgs                                          int64
}

// GroupTopic is a group's progress on one topic on one broker.
type GroupTopic struct {
	Topic          string
	BrokerOffset   int64 // sum over queues
	ConsumerOffset int64 // sum over queues
	Lag            int64 // sum of per-queue max(0, broker - consumer)
	// LagSeconds is the age of the oldest unconsumed message; valid when
	// HasLagSeconds.
	LagSeconds    float64
	HasLagSeconds bool
	LastConsume   int64 // store time (ms) of the last consumed message
	Queues        []QueueProgress

	Get *Window // GROUP_GET_NUMS/SIZE minute window, nil when not read
	// SendBack is SNDBCK_PUT_NUMS's minute sum, nil when not read.
	SendBack *Window
	// Ack is GROUP_ACK_NUMS's minute window: what a POP consumer
	// acknowledged (ACK_MESSAGE) or put back (CHANGE_INVISIBLETIME); nil
	// when not read, which it is only for consuming pairs of POP groups.
	Ack *Window
}

// QueueProgress is one queue's progress for a group.
type QueueProgress struct {
	QueueID        int
	BrokerOffset   int64
	ConsumerOffset int64
}

// ProducerGroup is one producer group's online clients.
type ProducerGroup struct {
	Name    string
	Clients []ProducerClient
}

// ProducerClient is one producer connection.
type ProducerClient struct {
	ID       string
	Addr     string
	Language string
	Version  int
}

// LeakReport is what probing found on a broker: stat items, offsets and
// topics that outlived the topic or group they belong to.
type LeakReport struct {
	// StatItems counts stat items the broker still answers for deleted
	// topics and groups, by stats name.
	StatItems map[string]int
	// ProbedKeys counts the keys asked this cycle, by stats name.
	ProbedKeys map[string]int
	Items      []LeakedItem
	// OrphanedOffsets are consumer-offset entries whose topic or group is gone.
	OrphanedOffsets []OrphanedOffset
	// LeftoverTopics are %RETRY%/%DLQ% topics whose group is gone.
	LeftoverTopics []string
	Tombstones     map[string]int // held, by kind
	// Backlog counts stat keys waiting for their first probe.
	Backlog int
	// TombstonesDropped counts tombstones the per-broker cap pushed out
	// since the exporter started (their leaks are no longer followed).
	TombstonesDropped int64
}

// LeakedItem is one stat item answered for a deleted subject.
type LeakedItem struct {
	Stats   string
	Key     string
	Subject string // the deleted topic or group
	Kind    string // "topic" or "group"
	// Queues is 1 for a per-queue item (every queue of a topic is probed,
	// each answer is one queue's item) and 0 for any other.
	Queues int `json:",omitempty"`
}

// OrphanedOffset is a committed offset whose topic or group is gone.
type OrphanedOffset struct {
	Topic, Group string
	Missing      string // "topic", "group" or "both"
}

// LMQReport is what the broker shows of its light message queues.
type LMQReport struct {
	// Queues counts LMQs seen in consumer offsets, by parent (the part of
	// the name before the first '/' or '%' after the prefix).
	Queues map[string]int
	// Groups counts groups with offsets on LMQs.
	Groups int
	// StatItems counts per-LMQ stat items (GROUP_GET_NUMS %LMQ%…@group)
	// the broker answered for among ProbedKeys asked; they exist only with
	// enableLmqStats and are never cleaned.
	StatItems  int
	ProbedKeys int
}

// LMQParent names the family an LMQ belongs to: the part of its name after
// the %LMQ% prefix up to the first '%' or '/' (rocketmq-mqtt encodes the
// MQTT topic's levels after its first-level topic).
func LMQParent(name string) string {
	rest := strings.TrimPrefix(name, LMQPrefix)
	if i := strings.IndexAny(rest, "%/"); i >= 0 {
		rest = rest[:i]
	}
	return rest
}
