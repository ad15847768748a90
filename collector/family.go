package collector

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Priorities decide which families --collect.max-series drops first: the lowest
// goes first. prioNever families (rocketmq_up, broker process, self) are
// never dropped.
const (
	prioClient           = 10 // per client
	prioQueue            = 20 // per queue
	prioCompatGroupTopic = 30 // Java families per topic@group
	prioGroupTopic       = 40 // our families per topic@group
	prioCompatTopic      = 50 // Java families per topic
	prioTopic            = 60 // our families per topic
	prioCompatGroup      = 70 // Java families per group
	prioGroup            = 80 // our families per group
	prioNever            = 100
)

// prioName names a priority for the docs.
func prioName(p int) string {
	switch p {
	case prioClient:
		return "client"
	case prioQueue:
		return "queue"
	case prioCompatGroupTopic:
		return "compat-group-topic"
	case prioGroupTopic:
		return "group-topic"
	case prioCompatTopic:
		return "compat-topic"
	case prioTopic:
		return "topic"
	case prioCompatGroup:
		return "compat-group"
	case prioGroup:
		return "group"
	}
	return "never dropped"
}

// gate is what a family needs switched on.
type gate uint8

const (
	needCompat gate = 1 << iota
	needQueue
	needClient
	needTopic // served unless Options.NoTopicMetrics
	needGroup // served unless Options.NoGroupMetrics
	needRates
)

// family is one metric family: its definition, its documentation and how
// to read it from a snapshot.
type family struct {
	name   string
	help   string
	typ    prometheus.ValueType
	labels []string
	prio   int
	needs  gate
	// meta families describe the other families' series; they are emitted
	// last and are outside the --collect.max-series budget.
	meta bool
	// live families depend on the scrape's clock, not only the snapshot:
	// a Cache serves them per scrape, not from its encoding.
	live bool
	// replica families describe this exporter's own calls to each broker
	// (their outcome, duration, what they left pending): under
	// --shard.count every replica serves them for every broker, since each
	// makes its own calls, while every other broker family comes from the
	// broker's owner alone.
	replica bool
	// source names the RPC (and key) the value comes from, for the docs.
	source string
	// replaces names the Java exporter families this one supersedes.
	replaces string
	emit     func(v *view, s *sink)

	desc *prometheus.Desc
}

func (f *family) enabled(o Options) bool {
	if (o.part == partCached && f.live) || (o.part == partLive && !f.live) {
		return false
	}
	return (f.needs&needCompat == 0 || o.Compat) &&
		(f.needs&needQueue == 0 || o.QueueMetrics) &&
		(f.needs&needClient == 0 || o.ClientMetrics) &&
		(f.needs&needTopic == 0 || !o.NoTopicMetrics) &&
		(f.needs&needGroup == 0 || !o.NoGroupMetrics) &&
		(f.needs&needRates == 0 || o.MessageRates)
}

// allFamilies lists every family in emission order. The meta families come
// last because they report on the others.
func allFamilies() []*family {
	var fs []*family
	fs = append(fs, brokerFamilies()...)
	fs = append(fs, stageFamilies()...)
	fs = append(fs, runtimeFamilies()...)
	fs = append(fs, topicFamilies()...)
	fs = append(fs, groupFamilies()...)
	fs = append(fs, clientFamilies()...)
	fs = append(fs, leakFamilies()...)
	fs = append(fs, compatFamilies()...)
	fs = append(fs, selfFamilies()...)
	return inSets(fs)
}

var (
	gauge   = prometheus.GaugeValue
	counter = prometheus.CounterValue
	untyped = prometheus.UntypedValue
)

// def is what a family's table entry says for itself. A scope constructor
// (perBroker, perTopic, perGroupTopic, …) adds the labels, the priority and
// the walk over the snapshot, so that a scope's label names and the values
// that fill them are written once, side by side, and no family can put
// them in another order.
type def struct {
	name, help       string
	typ              prometheus.ValueType
	source, replaces string
}

// family makes d a family over labels.
func (d def) family(labels []string, prio int, needs gate, emit func(v *view, s *sink)) *family {
	return &family{name: d.name, help: d.help, typ: d.typ, labels: labels, prio: prio, needs: needs,
		source: d.source, replaces: d.replaces, emit: emit}
}

// with returns labels followed by more.
func with(labels []string, more ...string) []string {
	out := make([]string, 0, len(labels)+len(more))
	return append(append(out, labels...), more...)
}

// PerReplica tells whether the family named is about this exporter's own
// calls to the brokers (family.replica): under --shard.count each replica
// serves it for every broker, so the replicas' series of it are not one
// unsharded exporter's.
func PerReplica(name string) bool {
	perReplicaOnce.Do(func() {
		perReplica = map[string]bool{}
		for _, f := range allFamilies() {
			if f.replica {
				perReplica[f.name] = true
			}
		}
	})
	return perReplica[name]
}

var (
	perReplicaOnce sync.Once
	perReplica     map[string]bool
)
