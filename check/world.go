package check

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/app"
	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// The exporter's settings in a run: short deadlines so that a slowed
// broker cuts cycles, a small probe budget so that churn loads it.
const (
	// Grace is Settings.Grace: cycles a broker that does not answer keeps
	// its last data.
	Grace = 2
	// LeakProbes is Settings.LeakProbes: stat keys asked per broker per cycle.
	LeakProbes = 16
	// OfflineRefresh is Settings.OfflineRefresh: a group coming online may
	// read offline for this many cycles.
	OfflineRefresh = 2
	// CallConc is Settings.CallConc: few calls in flight per broker, so a
	// slowed broker's per-entity calls come in waves the deadline can cut.
	CallConc = 4
	// cycleTimeout cuts a cycle over a broker slowed by 150-400 ms a call
	// in its per-topic or per-group calls, but not a healthy one (tens of
	// ms, under -race too).
	cycleTimeout = time.Second
	// callTimeout is longer than the cycle: a call stalled by a loaded
	// machine (or a paused broker) ends the cycle at its deadline, which
	// the checks allow for, rather than failing on its own in a cycle that
	// looks whole.
	callTimeout = 1500 * time.Millisecond
)

// ref names a broker of a run: cluster index, broker index.
type ref struct{ C, B int }

// fault is what the checker did to a broker's master.
type fault struct {
	hold bool
	slow int // ms
}

// world is the simulated clusters and the exporter watching them.
type world struct {
	cfg     Config
	dir     string
	sims    []*simbroker.Cluster
	app     *app.App
	filters Filters
	faults  map[ref]fault
	nsDown  map[[2]int]bool
	targets []string // Settings.Namesrvs of the running exporter
}

func newWorld(cfg Config, dir string) (*world, error) {
	w := &world{cfg: cfg, dir: dir, faults: map[ref]fault{}, nsDown: map[[2]int]bool{}}
	for c := 0; c < cfg.clusters(); c++ {
		// Twins: equal cluster and broker names (the defaults), other ports.
		sim, err := simbroker.Start(simbroker.Options{Brokers: cfg.Brokers, Namesrvs: cfg.Namesrvs, Version: cfg.Version,
			AutoDeleteUnusedStats: cfg.AutoDelete, Queues: 2, Seed: cfg.Seed})
		if err != nil {
			w.close()
			return nil, err
		}
		w.sims = append(w.sims, sim)
	}
	if err := w.build(); err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

// target is the namesrv list of cluster c as the exporter was given it,
// and the name its series carry in the target label with two targets.
func (w *world) target(c int) string {
	if c < len(w.targets) {
		return w.targets[c]
	}
	return strings.Join(w.sims[c].NamesrvAddrs(), ";")
}

func (w *world) settings() app.Settings {
	s := app.Defaults()
	for c := range w.sims {
		s.Namesrvs = append(s.Namesrvs, strings.Join(w.sims[c].NamesrvAddrs(), ";"))
	}
	s.Interval, s.Timeout, s.CycleTimeout = 2*time.Second, callTimeout, cycleTimeout
	s.Grace, s.LeakProbes, s.OfflineRefresh = Grace, LeakProbes, OfflineRefresh
	s.CallConc = CallConc
	s.TopicInclude, s.TopicExclude = alternation(w.filters.TopicInclude), alternation(w.filters.TopicExclude)
	s.GroupInclude, s.GroupExclude = alternation(w.filters.GroupInclude), alternation(w.filters.GroupExclude)
	// A state file keeps deleted subjects across exporter restarts, where
	// the exporter has one (set by name: older exporters have no such field).
	setStateFile(&s, filepath.Join(w.dir, "exporter-state"))
	return s
}

// setStateFile sets Settings.StateFile by name: exporters from before it
// existed have no such field, and then nothing survives a restart.
func setStateFile(s *app.Settings, path string) {
	if f := reflect.ValueOf(s).Elem().FieldByName("StateFile"); f.IsValid() && f.Kind() == reflect.String {
		f.SetString(path)
	}
}

// HasStateFile reports whether the exporter under test can keep state.
func HasStateFile() bool {
	_, ok := reflect.TypeOf(app.Settings{}).FieldByName("StateFile")
	return ok
}

func (w *world) build() error {
	if w.app != nil {
		w.app.Close()
		w.app = nil
	}
	s := w.settings()
	a, err := app.New(s, nil)
	if err != nil {
		return err
	}
	w.app, w.targets = a, s.Namesrvs
	return nil
}

func (w *world) close() {
	if w.app != nil {
		w.app.Close()
	}
	for _, s := range w.sims {
		s.Close()
	}
}

// cycle runs one exporter cycle.
func (w *world) cycle() *snapshot.Snapshot {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return w.app.Cycle(ctx)
}

var errNoCluster = errors.New("no such cluster")

// apply runs one operation against the simulators or the exporter.
func (w *world) apply(o Op) error {
	if o.C < 0 || o.C >= len(w.sims) {
		if o.Kind == OpRestartExporter || o.Kind == OpFilters || o.Kind == OpCycle {
			o.C = 0
		} else {
			return errNoCluster
		}
	}
	sim := w.sims[o.C]
	r := ref{o.C, o.B}
	var err error
	switch o.Kind {
	case OpCreateTopic:
		_, err = sim.CreateTopic(o.B, o.Topic, 0)
	case OpDeleteTopic:
		_, err = sim.DeleteTopic(o.B, o.Topic, o.How)
	case OpCreateGroup:
		_, err = sim.CreateGroup(o.B, o.Group)
	case OpDeleteGroup:
		_, err = sim.DeleteGroup(o.B, o.Group, o.How, o.Flag)
	case OpSubscribe:
		_, err = sim.Subscribe(o.B, o.Group, o.Topic)
	case OpProduce:
		_, err = sim.Produce(o.B, o.Topic, int64(o.N))
	case OpCatchUp:
		_, err = sim.CatchUp(o.B, o.Group)
	case OpClients:
		_, err = sim.SetClients(o.B, o.Group, o.N)
	case OpSendBack:
		_, err = sim.SendBack(o.B, o.Group, o.Topic, int64(o.N), o.Flag)
	case OpLMQ:
		_, err = sim.ConsumeLMQ(o.B, o.Group, o.Topic, int64(o.N))
	case OpPause, OpResume, OpSlow:
		err = w.setFault(r, o)
	case OpKill:
		err = sim.Kill(o.B)
	case OpRestart:
		if err = sim.Restart(o.B); err == nil {
			delete(w.faults, r) // a new process has none of the old one's faults
		}
	case OpNamesrvDown:
		if o.N >= 0 && o.N < w.cfg.Namesrvs {
			w.nsDown[[2]int{o.C, o.N}] = true
			err = sim.KillNamesrv(o.N)
		}
	case OpNamesrvUp:
		if w.nsDown[[2]int{o.C, o.N}] {
			delete(w.nsDown, [2]int{o.C, o.N})
			err = sim.RestartNamesrv(o.N)
		}
	case OpRestartExporter:
		err = w.build()
	case OpFilters:
		w.filters = o.Filters
		err = w.build()
	}
	return err
}

func (w *world) setFault(r ref, o Op) error {
	if r.B < 0 || r.B >= len(w.sims[r.C].Brokers) || !w.sims[r.C].Up(r.B) {
		return nil
	}
	f := w.faults[r]
	switch o.Kind {
	case OpPause:
		f.hold = true
	case OpResume:
		f.hold = false
	case OpSlow:
		f.slow = o.N
	}
	w.faults[r] = f
	w.sims[r.C].Brokers[r.B].Master.SetFault(simbroker.Fault{Hold: f.hold, Latency: time.Duration(f.slow) * time.Millisecond})
	return nil
}

// healOps are the operations that end every fault: brokers answer at
// full speed, killed ones and downed namesrvs start again.
func (w *world) healOps() []Op {
	var out []Op
	for c, sim := range w.sims {
		for b := range sim.Brokers {
			if !sim.Up(b) {
				out = append(out, Op{Kind: OpRestart, C: c, B: b})
			} else if f := w.faults[ref{c, b}]; f.hold || f.slow > 0 {
				out = append(out, Op{Kind: OpResume, C: c, B: b}, Op{Kind: OpSlow, C: c, B: b})
			}
		}
		for i := 0; i < w.cfg.Namesrvs; i++ {
			if w.nsDown[[2]int{c, i}] {
				out = append(out, Op{Kind: OpNamesrvUp, C: c, N: i})
			}
		}
	}
	return out
}

// disturbed tells whether the checker kept broker r from answering in
// full this cycle: killed, paused, slowed, or its namesrvs all down.
func (w *world) disturbed(r ref) bool {
	if !w.sims[r.C].Up(r.B) {
		return true
	}
	if f := w.faults[r]; f.hold || f.slow > 0 {
		return true
	}
	return w.namesrvsDown(r.C)
}

func (w *world) namesrvsDown(c int) bool {
	for i := 0; i < w.cfg.Namesrvs; i++ {
		if !w.nsDown[[2]int{c, i}] {
			return false
		}
	}
	return true
}
