package check

import (
	"strings"

	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
)

// brokerModel is one broker's truth at one instant, read from the
// simulator's oracle, indexed for the checks.
type brokerModel struct {
	ref       ref
	view      simbroker.BrokerView
	target    string
	topics    map[string]bool
	groups    map[string]bool
	pairs     map[simbroker.Offset]bool // LMQ pairs folded to their parent
	clients   map[string]map[string]bool
	producers map[string]map[string]bool
	leaked    map[itemKey]simbroker.LeakedItem
}

// itemKey names a stat item: its stats name and key, per queue where the
// item is per queue, as the broker keeps it.
type itemKey struct{ stats, key string }

// lmqFamily is the name the exporter folds a light message queue into:
// its prefix and parent (up to the first '/' or '%').
func lmqFamily(name string) string {
	rest := strings.TrimPrefix(name, "%LMQ%")
	if i := strings.IndexAny(rest, "%/"); i >= 0 {
		rest = rest[:i]
	}
	return "%LMQ%" + rest
}

func newBrokerModel(r ref, v simbroker.BrokerView, target string) *brokerModel {
	m := &brokerModel{ref: r, view: v, target: target, topics: set(v.Topics), groups: set(v.Groups),
		pairs: map[simbroker.Offset]bool{}, clients: map[string]map[string]bool{}, producers: map[string]map[string]bool{},
		leaked: map[itemKey]simbroker.LeakedItem{}}
	for _, o := range v.Offsets {
		if strings.HasPrefix(o.Topic, "%LMQ%") {
			o.Topic = lmqFamily(o.Topic)
		}
		m.pairs[o] = true
	}
	for g, ids := range v.Clients {
		m.clients[g] = set(ids)
	}
	for g, ids := range v.Producers {
		m.producers[g] = set(ids)
	}
	for _, it := range v.Leaked {
		m.leaked[itemKey{it.Stats, it.Key}] = it
	}
	return m
}

func set(names []string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// business tells a topic or group the checker made from a system one.
func (m *brokerModel) business(name string) bool { return !m.view.System[name] }

// model is every broker's truth at one instant.
type model struct {
	order   []ref
	brokers map[ref]*brokerModel
}

func (w *world) model() *model {
	m := &model{brokers: map[ref]*brokerModel{}}
	for c, sim := range w.sims {
		target := w.target(c)
		for b, v := range sim.Oracle() {
			r := ref{c, b}
			m.order = append(m.order, r)
			m.brokers[r] = newBrokerModel(r, v, target)
		}
	}
	return m
}

// match lists the brokers a series' labels name: equal cluster and broker
// names, and equal target where the series has a target label.
func (m *model) match(labels map[string]string) []ref {
	var out []ref
	for _, r := range m.order {
		b := m.brokers[r]
		if labels["cluster"] != b.view.Cluster || labels["broker"] != b.view.Name {
			continue
		}
		if t, ok := labels["target"]; ok && t != b.target {
			continue
		}
		out = append(out, r)
	}
	return out
}

// entities is what a broker listed: the names series may carry.
type entities struct {
	topics, groups map[string]bool
	pairs          map[simbroker.Offset]bool
	clients        map[string]bool // group + "\x00" + client id, producers too
}

func newEntities() *entities {
	return &entities{topics: map[string]bool{}, groups: map[string]bool{}, pairs: map[simbroker.Offset]bool{},
		clients: map[string]bool{}}
}

// add merges what m lists (LMQ families count as topics).
func (e *entities) add(m *brokerModel) {
	for t := range m.topics {
		e.topics[t] = true
	}
	for p := range m.pairs {
		e.pairs[p] = true
		if strings.HasPrefix(p.Topic, "%LMQ%") {
			e.topics[p.Topic] = true
		}
	}
	for g := range m.groups {
		e.groups[g] = true
	}
	for g, ids := range m.clients {
		for id := range ids {
			e.clients[g+"\x00"+id] = true
		}
	}
	for g, ids := range m.producers {
		e.groups[g] = true
		for id := range ids {
			e.clients[g+"\x00"+id] = true
		}
	}
}
