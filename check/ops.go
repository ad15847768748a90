package check

import (
	"fmt"
	"strings"

	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
)

// Kind is what an operation does.
type Kind int

// The operations. Each names the cluster (C) and broker (B) it acts on
// where that matters; one that does not apply when it runs (its topic is
// gone, its broker killed) does nothing, so any sub-list of a log replays.
const (
	OpCycle           Kind = iota // the exporter runs one cycle; the invariants are checked
	OpCreateTopic                 // Topic
	OpDeleteTopic                 // Topic, How
	OpCreateGroup                 // Group
	OpDeleteGroup                 // Group, How, Flag: offsets cleaned (by the API)
	OpSubscribe                   // Group gets offsets on Topic
	OpProduce                     // N messages per queue to Topic
	OpCatchUp                     // Group consumes everything it is subscribed to
	OpClients                     // Group has N online clients (0: offline)
	OpSendBack                    // Group sends N messages of Topic back; Flag: to its DLQ
	OpLMQ                         // Group consumes N messages of light message queue Topic
	OpPause                       // the broker holds every answer
	OpResume                      // it answers again (and what it held)
	OpSlow                        // N ms more per answer (0: fast again)
	OpKill                        // the broker dies and leaves the namesrvs
	OpRestart                     // it starts again: new boot time, stat items gone
	OpNamesrvDown                 // namesrv N of cluster C stops
	OpNamesrvUp                   // it starts again
	OpRestartExporter             // the exporter is closed and built again
	OpFilters                     // the exporter is rebuilt with Filters
)

// Op is one step of a model run.
type Op struct {
	Kind    Kind
	C, B    int
	Topic   string
	Group   string
	N       int
	How     simbroker.Deletion
	Flag    bool
	Filters Filters
}

// Filters are the exporter's topic and group filters, as name sets: the
// checker writes them as anchored alternations and judges with the sets,
// never with the exporter's filter code.
type Filters struct {
	TopicInclude, TopicExclude []string
	GroupInclude, GroupExclude []string
}

func alternation(names []string) string { return strings.Join(names, "|") }

func in(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

func (f Filters) keep(include, exclude []string, name string) bool {
	return (len(include) == 0 || in(include, name)) && !in(exclude, name)
}

// KeepTopic is what the documented filters promise: a group's %RETRY% and
// %DLQ% topics follow the group filter, every other topic the topic filter.
func (f Filters) KeepTopic(name string) bool {
	for _, p := range []string{"%RETRY%", "%DLQ%"} {
		if g, ok := strings.CutPrefix(name, p); ok {
			return f.KeepGroup(g)
		}
	}
	return f.keep(f.TopicInclude, f.TopicExclude, name)
}

// KeepGroup applies the group filter.
func (f Filters) KeepGroup(name string) bool { return f.keep(f.GroupInclude, f.GroupExclude, name) }

// None reports whether no filter is set.
func (f Filters) None() bool {
	return len(f.TopicInclude)+len(f.TopicExclude)+len(f.GroupInclude)+len(f.GroupExclude) == 0
}

func (f Filters) String() string {
	if f.None() {
		return "no filters"
	}
	var parts []string
	for _, p := range []struct {
		flag  string
		names []string
	}{{"topic.include", f.TopicInclude}, {"topic.exclude", f.TopicExclude},
		{"group.include", f.GroupInclude}, {"group.exclude", f.GroupExclude}} {
		if len(p.names) > 0 {
			parts = append(parts, fmt.Sprintf("--%s='%s'", p.flag, alternation(p.names)))
		}
	}
	return strings.Join(parts, " ")
}

func (o Op) String() string {
	at := fmt.Sprintf("c%d/broker-%d: ", o.C, o.B)
	switch o.Kind {
	case OpCycle:
		return "-- exporter cycle --"
	case OpCreateTopic:
		return at + "create topic " + o.Topic
	case OpDeleteTopic:
		return at + "delete topic " + o.Topic + " (" + o.How.String() + ")"
	case OpCreateGroup:
		return at + "create group " + o.Group
	case OpDeleteGroup:
		how := o.How.String()
		if o.How == simbroker.ByAPI && !o.Flag {
			how += ", offsets kept"
		} else if o.How == simbroker.ByAPI {
			how += ", offsets cleaned"
		}
		return at + "delete group " + o.Group + " (" + how + ")"
	case OpSubscribe:
		return at + o.Group + " subscribes to " + o.Topic
	case OpProduce:
		return fmt.Sprintf("%sproduce %d per queue to %s", at, o.N, o.Topic)
	case OpCatchUp:
		return at + o.Group + " catches up"
	case OpClients:
		return fmt.Sprintf("%s%s has %d online clients", at, o.Group, o.N)
	case OpSendBack:
		to := "retry"
		if o.Flag {
			to = "DLQ"
		}
		return fmt.Sprintf("%s%s sends %d of %s back to its %s topic", at, o.Group, o.N, o.Topic, to)
	case OpLMQ:
		return fmt.Sprintf("%s%s consumes %d on %s", at, o.Group, o.N, o.Topic)
	case OpPause:
		return at + "pauses (holds every answer)"
	case OpResume:
		return at + "resumes"
	case OpSlow:
		if o.N == 0 {
			return at + "answers at full speed again"
		}
		return fmt.Sprintf("%sslow: +%d ms per answer", at, o.N)
	case OpKill:
		return at + "killed"
	case OpRestart:
		return at + "restarted"
	case OpNamesrvDown:
		return fmt.Sprintf("c%d: namesrv %d down", o.C, o.N)
	case OpNamesrvUp:
		return fmt.Sprintf("c%d: namesrv %d up", o.C, o.N)
	case OpRestartExporter:
		return "exporter restarted"
	case OpFilters:
		return "exporter rebuilt with " + o.Filters.String()
	}
	return fmt.Sprintf("op %d", o.Kind)
}

// FormatLog prints a log one operation a line, numbered.
func FormatLog(ops []Op) string {
	var b strings.Builder
	for i, o := range ops {
		fmt.Fprintf(&b, "%4d  %s\n", i+1, o)
	}
	return b.String()
}
