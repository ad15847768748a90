package check

import (
	"fmt"
	"math/rand"
	"sort"

	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
)

// Config is a run's fixed shape, drawn from its seed.
type Config struct {
	Seed       int64
	Version    string // RocketMQ version the simulator plays
	AutoDelete *bool  // autoDeleteUnusedStats; nil: the version's default
	Twins      bool   // two clusters with equal cluster and broker names
	Brokers    int    // per cluster
	Namesrvs   int    // per cluster
	Cycles     int    // exporter cycles in the generated log
}

func (c Config) String() string {
	auto := "default"
	if c.AutoDelete != nil {
		auto = fmt.Sprint(*c.AutoDelete)
	}
	return fmt.Sprintf("seed %d: RocketMQ %s, autoDeleteUnusedStats %s, %d cluster(s) of %d broker(s) and %d namesrv(s), %d cycles",
		c.Seed, c.Version, auto, c.clusters(), c.Brokers, c.Namesrvs, c.Cycles)
}

func (c Config) clusters() int {
	if c.Twins {
		return 2
	}
	return 1
}

// ConfigFor draws a run's shape from its seed. Two runs in three play a
// broker that leaks (4.9.7's default, or autoDeleteUnusedStats=false);
// the others a 5.x default (only SNDBCK2DLQ_TIMES leaks) or 4.9.7 with
// cleanup on (nothing leaks).
func ConfigFor(seed int64, cycles int) Config {
	r := rand.New(rand.NewSource(seed))
	c := Config{Seed: seed, Cycles: cycles, Brokers: 1 + r.Intn(2), Namesrvs: 1 + r.Intn(2), Twins: r.Intn(4) == 0}
	on, off := true, false
	switch r.Intn(6) {
	case 0, 1:
		c.Version = "4.9.7"
	case 2, 3:
		c.Version, c.AutoDelete = []string{"5.3.3", "5.4.0"}[r.Intn(2)], &off
	case 4:
		c.Version = []string{"5.3.3", "5.4.0"}[r.Intn(2)]
	default:
		c.Version, c.AutoDelete = "4.9.7", &on
	}
	return c
}

// Name pools: small, so deletions and re-creations meet the same names.
var (
	topicNames = []string{"tp0", "tp1", "tp2", "tp3", "tp4", "tp5", "tp6", "tp7", "tp8", "tp9"}
	// cg1_x: a group whose retry topic looks like a POP retry topic of cg1.
	groupNames = []string{"cg0", "cg1", "cg2", "cg3", "cg4", "cg5", "cg6", "cg1_x"}
)

// genBroker is the generator's guess of one broker's state, so that most
// operations it draws apply; replays never rely on it.
type genBroker struct {
	topics, groups map[string]bool
	subs           map[string][]string // group -> topics
	clients        map[string]int
	down, paused   bool
	slow           int
}

type generator struct {
	r       *rand.Rand
	cfg     Config
	brokers map[[2]int]*genBroker
	nsDown  map[[2]int]bool
	ops     []Op
}

// Generate draws a run's operation log: a setup, then Cycles cycles with
// up to four operations before each, and churn phases (a group, and now
// and then a topic, replaced every cycle) that load the leak probing.
func Generate(cfg Config) []Op {
	g := &generator{r: rand.New(rand.NewSource(cfg.Seed*7919 + 1)), cfg: cfg,
		brokers: map[[2]int]*genBroker{}, nsDown: map[[2]int]bool{}}
	for c := 0; c < cfg.clusters(); c++ {
		for b := 0; b < cfg.Brokers; b++ {
			g.brokers[[2]int{c, b}] = &genBroker{topics: map[string]bool{}, groups: map[string]bool{},
				subs: map[string][]string{}, clients: map[string]int{}}
			g.setup(c, b)
		}
	}
	g.add(Op{Kind: OpCycle})
	// Every run has at least one churn phase, one exporter restart and one
	// filter change, at cycles drawn here; the rest is random.
	churnAt, restartAt, filterAt := g.r.Intn(cfg.Cycles), g.r.Intn(cfg.Cycles), g.r.Intn(cfg.Cycles)
	for cycles := 1; cycles < cfg.Cycles; {
		if cycles >= restartAt && restartAt >= 0 {
			restartAt = -1
			g.add(Op{Kind: OpRestartExporter})
		}
		if cycles >= filterAt && filterAt >= 0 {
			filterAt = -1
			o, _ := g.exporter(true)
			g.add(o)
		}
		if cycles >= churnAt && churnAt >= 0 || g.r.Intn(10) == 0 {
			churnAt = -1
			cycles += g.churn(min(4+g.r.Intn(4), cfg.Cycles-cycles))
			continue
		}
		for n := g.r.Intn(5); n > 0; n-- {
			g.step()
		}
		g.heal()
		g.add(Op{Kind: OpCycle})
		cycles++
	}
	return g.ops
}

func (g *generator) add(o Op) { g.ops = append(g.ops, o) }

func (g *generator) pick(names []string) string { return names[g.r.Intn(len(names))] }

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		if v {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// setup gives a broker a few topics and groups with offsets, clients and
// traffic.
func (g *generator) setup(c, b int) {
	for _, t := range topicNames[:3] {
		g.apply(Op{Kind: OpCreateTopic, C: c, B: b, Topic: t})
		g.apply(Op{Kind: OpProduce, C: c, B: b, Topic: t, N: 5})
	}
	for i, grp := range groupNames[:2] {
		g.apply(Op{Kind: OpCreateGroup, C: c, B: b, Group: grp})
		g.apply(Op{Kind: OpSubscribe, C: c, B: b, Group: grp, Topic: topicNames[i]})
		g.apply(Op{Kind: OpClients, C: c, B: b, Group: grp, N: 1 + i})
	}
	g.apply(Op{Kind: OpProduce, C: c, B: b, Topic: topicNames[0], N: 3})
	g.apply(Op{Kind: OpCatchUp, C: c, B: b, Group: groupNames[0]})
}

// apply records an operation and updates the guess.
func (g *generator) apply(o Op) {
	g.add(o)
	gb := g.brokers[[2]int{o.C, o.B}]
	switch o.Kind {
	case OpCreateTopic:
		gb.topics[o.Topic] = true
	case OpDeleteTopic:
		targets := []*genBroker{gb}
		if o.How == simbroker.ByMQAdmin {
			targets = g.cluster(o.C)
		}
		for _, x := range targets {
			delete(x.topics, o.Topic)
			for grp, ts := range x.subs {
				x.subs[grp] = without(ts, o.Topic)
			}
		}
	case OpCreateGroup:
		gb.groups[o.Group] = true
	case OpDeleteGroup:
		delete(gb.groups, o.Group)
		delete(gb.clients, o.Group)
		if o.Flag || o.How == simbroker.ByMQAdmin {
			delete(gb.subs, o.Group)
		}
		if o.How == simbroker.ByMQAdmin {
			delete(gb.topics, "%RETRY%"+o.Group)
			delete(gb.topics, "%DLQ%"+o.Group)
		}
	case OpSubscribe:
		gb.subs[o.Group] = append(gb.subs[o.Group], o.Topic)
	case OpClients:
		gb.clients[o.Group] = o.N
		if o.N > 0 {
			gb.topics["%RETRY%"+o.Group] = true
		}
	case OpSendBack:
		if o.Flag {
			gb.topics["%DLQ%"+o.Group] = true
		}
	case OpPause:
		gb.paused = true
	case OpResume:
		gb.paused = false
	case OpSlow:
		gb.slow = o.N
	case OpKill:
		gb.down = true
	case OpRestart:
		gb.down, gb.paused, gb.slow = false, false, 0
	case OpNamesrvDown:
		g.nsDown[[2]int{o.C, o.N}] = true
	case OpNamesrvUp:
		delete(g.nsDown, [2]int{o.C, o.N})
	}
}

func without(list []string, s string) []string {
	out := list[:0:0]
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

func (g *generator) cluster(c int) []*genBroker {
	var out []*genBroker
	for b := 0; b < g.cfg.Brokers; b++ {
		out = append(out, g.brokers[[2]int{c, b}])
	}
	return out
}

// step draws one operation on a random broker, weighted so that the
// interesting ones (deletions, traffic, faults) come often enough.
func (g *generator) step() {
	c, b := g.r.Intn(g.cfg.clusters()), g.r.Intn(g.cfg.Brokers)
	gb := g.brokers[[2]int{c, b}]
	at := Op{C: c, B: b}
	type choice struct {
		w  int
		fn func() (Op, bool)
	}
	choices := []choice{
		{8, func() (Op, bool) { return g.createTopic(at, gb) }},
		{5, func() (Op, bool) { return g.deleteTopic(at, gb) }},
		{7, func() (Op, bool) { return g.createGroup(at, gb) }},
		{5, func() (Op, bool) { return g.deleteGroup(at, gb) }},
		{8, func() (Op, bool) { return g.subscribe(at, gb) }},
		{10, func() (Op, bool) { return g.traffic(at, gb) }},
		{6, func() (Op, bool) { return g.clients(at, gb) }},
		{4, func() (Op, bool) { return g.sendBack(at, gb) }},
		{1, func() (Op, bool) { return g.lmq(at, gb) }},
		{4, func() (Op, bool) { return g.fault(at, gb) }},
		{2, func() (Op, bool) { return g.exporter(false) }},
	}
	total := 0
	for _, ch := range choices {
		total += ch.w
	}
	for tries := 0; tries < 8; tries++ {
		n := g.r.Intn(total)
		for _, ch := range choices {
			if n -= ch.w; n < 0 {
				if o, ok := ch.fn(); ok {
					g.apply(o)
					return
				}
				break
			}
		}
	}
}

func (g *generator) createTopic(at Op, gb *genBroker) (Op, bool) {
	at.Kind, at.Topic = OpCreateTopic, g.pick(topicNames)
	return at, !gb.topics[at.Topic]
}

func (g *generator) deleteTopic(at Op, gb *genBroker) (Op, bool) {
	ts := keys(gb.topics)
	if len(ts) == 0 {
		return at, false
	}
	at.Kind, at.Topic, at.How = OpDeleteTopic, g.pick(ts), simbroker.Deletion(g.r.Intn(2))
	return at, true
}

func (g *generator) createGroup(at Op, gb *genBroker) (Op, bool) {
	at.Kind, at.Group = OpCreateGroup, g.pick(groupNames)
	return at, !gb.groups[at.Group]
}

func (g *generator) deleteGroup(at Op, gb *genBroker) (Op, bool) {
	gs := keys(gb.groups)
	if len(gs) == 0 {
		return at, false
	}
	at.Kind, at.Group, at.How, at.Flag = OpDeleteGroup, g.pick(gs), simbroker.Deletion(g.r.Intn(2)), g.r.Intn(3) > 0
	return at, true
}

func (g *generator) subscribe(at Op, gb *genBroker) (Op, bool) {
	gs, ts := keys(gb.groups), businessTopics(gb)
	if len(gs) == 0 || len(ts) == 0 {
		return at, false
	}
	at.Kind, at.Group, at.Topic = OpSubscribe, g.pick(gs), g.pick(ts)
	return at, !in(gb.subs[at.Group], at.Topic)
}

func businessTopics(gb *genBroker) []string {
	var out []string
	for _, t := range keys(gb.topics) {
		if in(topicNames, t) {
			out = append(out, t)
		}
	}
	return out
}

func (g *generator) traffic(at Op, gb *genBroker) (Op, bool) {
	if gs := keys(gb.groups); len(gs) > 0 && g.r.Intn(2) == 0 {
		at.Kind, at.Group = OpCatchUp, g.pick(gs)
		return at, true
	}
	ts := businessTopics(gb)
	if len(ts) == 0 {
		return at, false
	}
	at.Kind, at.Topic, at.N = OpProduce, g.pick(ts), 1+g.r.Intn(5)
	return at, true
}

func (g *generator) clients(at Op, gb *genBroker) (Op, bool) {
	gs := keys(gb.groups)
	if len(gs) == 0 {
		return at, false
	}
	at.Kind, at.Group, at.N = OpClients, g.pick(gs), g.r.Intn(4)
	return at, at.N != gb.clients[at.Group]
}

func (g *generator) sendBack(at Op, gb *genBroker) (Op, bool) {
	var pairs [][2]string
	for _, grp := range keys(gb.groups) {
		for _, t := range gb.subs[grp] {
			pairs = append(pairs, [2]string{grp, t})
		}
	}
	if len(pairs) == 0 {
		return at, false
	}
	p := pairs[g.r.Intn(len(pairs))]
	at.Kind, at.Group, at.Topic, at.N, at.Flag = OpSendBack, p[0], p[1], 1+g.r.Intn(3), g.r.Intn(2) == 0
	return at, true
}

func (g *generator) lmq(at Op, gb *genBroker) (Op, bool) {
	gs := keys(gb.groups)
	if len(gs) == 0 {
		return at, false
	}
	at.Kind, at.Group, at.N = OpLMQ, g.pick(gs), 1+g.r.Intn(3)
	at.Topic = fmt.Sprintf("%%LMQ%%room%d/client%d", g.r.Intn(2), g.r.Intn(4))
	return at, true
}

// fault breaks one thing: a broker paused, slowed or killed, or one of
// its cluster's namesrvs down. heal mends it a few cycles later.
func (g *generator) fault(at Op, gb *genBroker) (Op, bool) {
	switch n := g.r.Intn(10); {
	case n < 3 && !gb.paused && !gb.down:
		at.Kind = OpPause
	case n < 6 && !gb.down:
		at.Kind, at.N = OpSlow, []int{150, 250, 400}[g.r.Intn(3)]
	case n < 8 && !gb.down:
		at.Kind = OpKill
	case g.cfg.Namesrvs > 1:
		at.Kind, at.N = OpNamesrvDown, g.r.Intn(g.cfg.Namesrvs)
		if g.r.Intn(4) == 0 {
			at.N = -1 // every namesrv of the cluster
		}
	default:
		return at, false
	}
	if at.Kind == OpNamesrvDown && at.N < 0 {
		for i := 0; i < g.cfg.Namesrvs-1; i++ {
			g.apply(Op{Kind: OpNamesrvDown, C: at.C, N: i})
		}
		at.N = g.cfg.Namesrvs - 1
	}
	return at, true
}

// exporter restarts the exporter or rebuilds it with other filters (some
// filter, with filtered).
func (g *generator) exporter(filtered bool) (Op, bool) {
	if !filtered && g.r.Intn(3) == 0 {
		return Op{Kind: OpRestartExporter}, true
	}
	var f Filters
	pickSome := func(pool []string) []string {
		var out []string
		for _, n := range pool {
			if g.r.Intn(2) == 0 {
				out = append(out, n)
			}
		}
		if len(out) == 0 {
			out = []string{g.pick(pool)}
		}
		return out
	}
	n := g.r.Intn(5)
	if filtered {
		n = 1 + g.r.Intn(4)
	}
	switch n {
	case 1:
		f.TopicInclude = pickSome(topicNames)
	case 2:
		f.TopicExclude = pickSome(topicNames)
	case 3:
		f.GroupInclude = pickSome(groupNames)
	case 4:
		f.GroupExclude = pickSome(groupNames)
	}
	return Op{Kind: OpFilters, Filters: f}, true
}

// heal ends faults now and then, so that most last one to three cycles.
func (g *generator) heal() {
	for c := 0; c < g.cfg.clusters(); c++ {
		for b := 0; b < g.cfg.Brokers; b++ {
			gb := g.brokers[[2]int{c, b}]
			at := Op{C: c, B: b}
			switch {
			case gb.down && g.r.Intn(2) == 0:
				at.Kind = OpRestart
			case gb.paused && g.r.Intn(5) < 2:
				at.Kind = OpResume
			case gb.slow > 0 && g.r.Intn(5) < 2:
				at.Kind = OpSlow
			default:
				continue
			}
			g.apply(at)
		}
		for i := 0; i < g.cfg.Namesrvs; i++ {
			if g.nsDown[[2]int{c, i}] && g.r.Intn(2) == 0 {
				g.apply(Op{Kind: OpNamesrvUp, C: c, N: i})
			}
		}
	}
}

// churn replaces a group (with offsets and clients) on one broker every
// cycle, and a topic every other cycle: deletions arrive faster than a
// small probe budget clears them within the cycle.
func (g *generator) churn(cycles int) int {
	c, b := g.r.Intn(g.cfg.clusters()), g.r.Intn(g.cfg.Brokers)
	gb := g.brokers[[2]int{c, b}]
	at := Op{C: c, B: b}
	for i := 0; i < cycles; i++ {
		if gs := keys(gb.groups); len(gs) > 0 {
			o := at
			o.Kind, o.Group, o.How, o.Flag = OpDeleteGroup, g.pick(gs), simbroker.ByAPI, true
			g.apply(o)
		}
		ts := businessTopics(gb)
		if len(ts) > 1 && i%2 == 1 {
			o := at
			o.Kind, o.Topic, o.How = OpDeleteTopic, g.pick(ts), simbroker.ByAPI
			g.apply(o)
		}
		if o, ok := g.createTopic(at, gb); ok {
			g.apply(o)
			g.apply(Op{Kind: OpProduce, C: c, B: b, Topic: o.Topic, N: 2})
		}
		if o, ok := g.createGroup(at, gb); ok {
			g.apply(o)
			for _, t := range businessTopics(gb) {
				if g.r.Intn(2) == 0 {
					g.apply(Op{Kind: OpSubscribe, C: c, B: b, Group: o.Group, Topic: t})
					g.apply(Op{Kind: OpProduce, C: c, B: b, Topic: t, N: 1})
				}
			}
			g.apply(Op{Kind: OpCatchUp, C: c, B: b, Group: o.Group})
		}
		g.add(Op{Kind: OpCycle})
	}
	return cycles
}
