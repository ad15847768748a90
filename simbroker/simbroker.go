// Package simbroker is a simulated RocketMQ cluster: one or more namesrvs
// and N broker groups on loopback ports, speaking the real remoting protocol and
// answering every call the exporter makes with bodies in the shapes a
// 5.3.3 broker writes (fastjson: bare numeric map keys, raw MessageQueue
// object keys, bean fields in alphabetical order).
//
// The numbers hang together: every Tick puts messages on the active
// topics, online groups consume them, offline groups fall behind, and the
// stat items the broker would keep (TOPIC_PUT_NUMS, GROUP_GET_NUMS, …)
// carry the same deltas in their minute, hour and day windows. Churn
// deletes and creates topics and groups; SetFault makes one server slow,
// silent, rude or wrong. It is for benchmarks, fault tests and the model
// checker (package check): nothing in it is a broker.
//
// For a model check, every operation is also there one at a time, by
// name and broker (ops.go: CreateTopic, DeleteTopic and DeleteGroup by the
// API or as mqadmin does, Subscribe, Produce, CatchUp, SetClients,
// SendBack, ConsumeLMQ), with the broker's life (Kill, Restart, which
// frees every stat item, KillNamesrv, RestartNamesrv). Each version's
// stat-item cleanup is played as docs/leaks.md measured it (stats.go), and
// Oracle reports what every broker holds and leaks, from the simulator's
// own state.
//
//	c, err := simbroker.Start(simbroker.Options{Brokers: 3, Topics: 1000, Groups: 500, Latency: time.Millisecond})
//	...
//	defer c.Close()
//	// point the exporter at c.Namesrv.Addr; between its cycles:
//	c.Tick()                                                 // traffic
//	c.Churn(0.01)                                            // 1 % of topics and groups replaced
//	c.Brokers[1].Master.SetFault(simbroker.Fault{Hold: true}) // one broker goes silent
//	truth := c.Truth(70 * time.Second)                       // what each broker holds
package simbroker

import (
	"fmt"
	"math/rand"
	"sync"
	"time"
)

// Options describe the simulated cluster.
type Options struct {
	Cluster string // cluster name; default "SimCluster"
	Brokers int    // broker groups (masters); default 1
	Slaves  bool   // give every master one slave (broker id 1)

	// Topics business topics, slot i on broker i%Brokers; Groups consumer
	// groups, slot j subscribing topic slot j%Topics on that topic's broker.
	// Every broker also holds the 13 system topics and 8 system groups of
	// a fresh 5.3.3 broker.
	Topics int
	Groups int
	Queues int // queues per topic; default 4

	// OnlineEvery: one group slot in OnlineEvery has clients, picked by a
	// hash of the slot (default 10; 1: every group; negative: none). Online
	// groups keep up with their topic; offline groups stay where they were.
	OnlineEvery int
	// Clients spread round-robin over the online groups; default one each.
	Clients int
	// Producers are producer clients, registered on every broker; default 2.
	Producers int
	// ActiveEvery: one topic slot in ActiveEvery, picked by another hash,
	// receives PutsPerTick messages per queue on every Tick (default 10;
	// 1: every topic; negative: none).
	ActiveEvery int
	PutsPerTick int64 // default 1
	MessageSize int64 // bytes; default 1024
	// InitialMessages per queue at start (default 100); offline groups
	// start OfflineLag (default 3) messages per queue behind.
	InitialMessages int64
	OfflineLag      int64

	// Version is the RocketMQ version whose answers the simulator writes:
	// one of Versions; default 5.3.3.
	Version string

	// AutoDeleteUnusedStats is the broker setting: deleting a topic or
	// group deletes its stat items. nil: the version's default (true on
	// 5.x, false on 4.x, which keeps answering for deleted subjects).
	AutoDeleteUnusedStats *bool

	// Namesrvs is how many namesrvs answer for the cluster (default 1):
	// each answers alike, so a client can fail over between them.
	Namesrvs int
	// LmqStats is the broker's enableLmqStats: a consumer pulling a light
	// message queue keeps a GROUP_GET_* item per LMQ, never removed.
	LmqStats bool

	Latency       time.Duration    // added to every answer of every server
	BinaryHeaders bool             // answer with ROCKETMQ binary headers, not JSON
	Seed          int64            // for Churn's choice
	Now           func() time.Time `json:"-"`
}

func (o *Options) autoDelete() bool {
	if o.AutoDeleteUnusedStats != nil {
		return *o.AutoDeleteUnusedStats
	}
	return o.Version != "4.9.7"
}

func (o *Options) defaults() {
	if o.Cluster == "" {
		o.Cluster = "SimCluster"
	}
	if o.Brokers <= 0 {
		o.Brokers = 1
	}
	if o.Namesrvs <= 0 {
		o.Namesrvs = 1
	}
	if o.Queues <= 0 {
		o.Queues = 4
	}
	if o.OnlineEvery == 0 {
		o.OnlineEvery = 10
	}
	if o.ActiveEvery == 0 {
		o.ActiveEvery = 10
	}
	if o.Producers == 0 {
		o.Producers = 2
	}
	if o.PutsPerTick <= 0 {
		o.PutsPerTick = 1
	}
	if o.MessageSize <= 0 {
		o.MessageSize = 1024
	}
	if o.InitialMessages <= 0 {
		o.InitialMessages = 100
	}
	if o.OfflineLag <= 0 {
		o.OfflineLag = 3
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Broker is one broker group: its master and, with Options.Slaves, its slave.
type Broker struct {
	Name   string
	Master *Server
	Slave  *Server // nil without Options.Slaves
	st     *brokerState
}

// Addr is the master's address.
func (b *Broker) Addr() string { return b.Master.Addr }

// Cluster is a running simulated cluster.
type Cluster struct {
	Namesrv  *Server   // the first of Namesrvs
	Namesrvs []*Server // Options.Namesrvs of them; see KillNamesrv
	Brokers  []*Broker

	opts Options
	p    profile
	mu   sync.RWMutex // guards everything below and every brokerState
	boot int64
	rng  *rand.Rand
	seq  int
	bs   []*brokerState // built once; the slice never changes
	// slots keep the configured shape through churn: a replaced topic or
	// group takes its predecessor's slot (broker, activity, subscriptions).
	topicSlots []*topic
	groupSlots []*group

	recv ledger // every request received, by server and code (received.go)
}

// Start builds the cluster and starts listening.
func Start(opts Options) (*Cluster, error) {
	opts.defaults()
	p, err := profileFor(opts.Version)
	if err != nil {
		return nil, err
	}
	c := &Cluster{opts: opts, p: p, rng: rand.New(rand.NewSource(opts.Seed)), boot: opts.Now().UnixMilli()}
	c.build()
	for i := 0; i < opts.Namesrvs; i++ {
		ns, err := c.newServer(namesrvName(i), anyPort, c.handleNamesrv)
		if err != nil {
			c.Close()
			return nil, err
		}
		c.Namesrvs = append(c.Namesrvs, ns)
	}
	c.Namesrv = c.Namesrvs[0]
	for i, st := range c.bs {
		b := &Broker{Name: st.name, st: st}
		c.Brokers = append(c.Brokers, b)
		if b.Master, err = c.newServer(st.name, anyPort, c.brokerHandler(i, false)); err != nil {
			c.Close()
			return nil, err
		}
		if opts.Slaves {
			if b.Slave, err = c.newServer(st.name+"-slave", anyPort, c.brokerHandler(i, true)); err != nil {
				c.Close()
				return nil, err
			}
		}
	}
	return c, nil
}

// Close stops every server and waits for their goroutines.
func (c *Cluster) Close() {
	for _, s := range c.Servers() {
		if s != nil {
			s.close()
		}
	}
}

// Servers lists the namesrvs, then every master and slave (those of a
// killed broker too: closing them again does nothing).
func (c *Cluster) Servers() []*Server {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := append([]*Server(nil), c.Namesrvs...)
	for _, b := range c.Brokers {
		if b.Master != nil {
			out = append(out, b.Master)
		}
		if b.Slave != nil {
			out = append(out, b.Slave)
		}
	}
	return out
}

// Options returns the options the cluster runs with, defaults filled in.
func (c *Cluster) Options() Options { return c.opts }

func (c *Cluster) nowMs() int64 { return c.opts.Now().UnixMilli() }

func (c *Cluster) nextName(prefix string) string {
	c.seq++
	return fmt.Sprintf("%s%07d", prefix, c.seq)
}
