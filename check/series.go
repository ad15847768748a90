package check

import (
	"strconv"
	"strings"

	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
)

// keptFamilies are per-entity families whose series must outlive a cycle
// that did not reach their broker (I2): nothing is removed because a call
// failed or a deadline hit.
var keptFamilies = []string{
	"rocketmq_topic_messages_put_total",
	"rocketmq_consumer_group_online_consumers",
	"rocketmq_consumer_group_lag_messages",
}

func (k *checker) checkSeries(sc *scrape, m *model) {
	k.checkNames(sc, m)
	k.checkUp(sc, m)
	k.checkPresent(sc, m)
	k.checkKept(sc, m)
	k.checkOnline(sc, m)
	k.checkNamesrvs(sc)
}

// checkNamesrvs is I2 for namesrvs: every address of every target has its
// own rocketmq_namesrv_up, 1 while it runs and 0 while it is down, so one
// dead namesrv of several is visible.
func (k *checker) checkNamesrvs(sc *scrape) {
	for c, sim := range k.w.sims {
		for i, addr := range sim.NamesrvAddrs() {
			want := 1.0
			if k.w.nsDown[[2]int{c, i}] {
				want = 0
			}
			ss := sc.find("rocketmq_namesrv_up", map[string]string{"namesrv": addr})
			switch {
			case len(ss) != 1:
				k.fail("I2", "%d rocketmq_namesrv_up series for namesrv %s of %s (want one)", len(ss), addr, k.w.target(c))
				return
			case ss[0].value != want:
				k.fail("I2", "%s, but that namesrv is %s", ss[0], map[bool]string{true: "up", false: "down"}[want == 1])
				return
			}
		}
	}
}

// allowed is what broker r's series may name this cycle: what it lists
// now; while it has not been reached for up to Grace cycles, also what it
// listed since it was last reached (carried data); nil when it may have
// no series at all (unlisted by the namesrvs past the grace period).
func (k *checker) allowed(r ref, m *model) *entities {
	t := k.tracks[r]
	if k.unregistered(r) && t.streak > Grace {
		return nil
	}
	e := newEntities()
	e.add(m.brokers[r])
	if !t.reached && t.streak <= Grace {
		mergeEntities(e, t.allowed)
	}
	return e
}

func mergeEntities(dst, src *entities) {
	for n := range src.topics {
		dst.topics[n] = true
	}
	for n := range src.groups {
		dst.groups[n] = true
	}
	for n := range src.pairs {
		dst.pairs[n] = true
	}
	for n := range src.clients {
		dst.clients[n] = true
	}
}

// checkNames is I1: no served series names a broker, topic, group or
// client its broker does not list, beyond the grace period of a broker
// that was not reached.
func (k *checker) checkNames(sc *scrape, m *model) {
	any := newEntities()
	for _, r := range m.order {
		if e := k.allowed(r, m); e != nil {
			mergeEntities(any, e)
		}
	}
	for _, s := range sc.samples {
		var e *entities
		where := "any broker"
		if _, ok := s.labels["broker"]; ok && s.labels["cluster"] != "" {
			refs := m.match(s.labels)
			if len(refs) == 0 {
				k.fail("I1", "%s names a broker no watched cluster has", s)
				return
			}
			e = newEntities()
			gone := true
			for _, r := range refs {
				if a := k.allowed(r, m); a != nil {
					mergeEntities(e, a)
					gone = false
				}
			}
			if gone {
				k.fail("I1", "%s is served %d cycles after its broker left the namesrv's listing (grace %d)",
					s, k.tracks[refs[0]].streak, Grace)
				return
			}
			where = m.brokers[refs[0]].view.Name
		} else if hasEntity(s) {
			e = any
		} else {
			continue
		}
		if msg := unlisted(s, e); msg != "" && !ownerOfListed(s, e) {
			k.fail("I1", "%s names %s, which %s does not list", s, msg, where)
			return
		}
	}
}

// ownerOfListed: a topic family (rocketmq_topic_dlq_offset) may label a
// listed %RETRY%/%DLQ% topic with the group it was made for, gone or not.
func ownerOfListed(s sample, e *entities) bool {
	g, ok := s.labels["group"]
	if _, t := s.labels["topic"]; t || !ok || !strings.HasPrefix(s.family, "rocketmq_topic_") {
		return false
	}
	return e.topics["%RETRY%"+g] || e.topics["%DLQ%"+g]
}

func hasEntity(s sample) bool {
	_, t := s.labels["topic"]
	_, g := s.labels["group"]
	return t || g
}

// unlisted names the first entity label of s that e does not hold.
func unlisted(s sample, e *entities) string {
	topic, hasT := s.labels["topic"]
	group, hasG := s.labels["group"]
	if hasT && topic != "" && !e.topics[topic] {
		return "topic " + topic
	}
	if hasG && group != "" && !e.groups[group] {
		return "group " + group
	}
	for _, l := range []string{"client_id", "clientId"} {
		if id, ok := s.labels[l]; ok && hasG && !e.clients[group+"\x00"+id] {
			return "client " + id + " of group " + group
		}
	}
	return ""
}

// mine lists the samples of a family with these labels that name r only.
func mine(sc *scrape, m *model, r ref, family string, want map[string]string) []sample {
	var out []sample
	for _, s := range sc.find(family, want) {
		refs := m.match(s.labels)
		if len(refs) == 1 && refs[0] == r {
			out = append(out, s)
		}
	}
	return out
}

func brokerLabels(b *brokerModel, extra ...string) map[string]string {
	l := map[string]string{"cluster": b.view.Cluster, "broker": b.view.Name}
	for i := 0; i+1 < len(extra); i += 2 {
		l[extra[i]] = extra[i+1]
	}
	return l
}

// checkUp is I2 for brokers: every listed broker (and one that left the
// listing, within the grace period) has its own rocketmq_up series, 1 when
// it answered everything; series of different targets never merge.
func (k *checker) checkUp(sc *scrape, m *model) {
	for _, r := range m.order {
		t, b := k.tracks[r], m.brokers[r]
		if k.unregistered(r) && (t.streak > Grace || t.reachedBy != k.builtAt) {
			continue
		}
		ss := sc.find("rocketmq_up", brokerLabels(b, "broker_id", "0"))
		var own []sample
		for _, s := range ss {
			refs := m.match(s.labels)
			if len(refs) > 1 {
				k.fail("I2", "%s stands for %d brokers of different targets (%s): their series merge", s, len(refs), b.view.Name)
				return
			}
			if len(refs) == 1 && refs[0] == r {
				own = append(own, s)
			}
		}
		switch {
		case len(own) == 0:
			k.fail("I2", "no rocketmq_up series for %s of %s (%s)", b.view.Name, b.target, k.state(r))
		case len(own) > 1:
			k.fail("I2", "%d rocketmq_up series for %s of %s", len(own), b.view.Name, b.target)
		case t.reached && own[0].value != 1:
			k.fail("I2", "%s, but the broker answered every call of the cycle", own[0])
		}
	}
}

// state describes what the checker did to a broker, for messages.
func (k *checker) state(r ref) string {
	t := k.tracks[r]
	switch {
	case t.reached:
		return "reached this cycle"
	case k.unregistered(r):
		return "unlisted for " + strconv.Itoa(t.streak) + " cycle(s)"
	}
	return "not reached for " + strconv.Itoa(t.streak) + " cycle(s)"
}

// checkPresent is I2 for entities: every topic and group within the
// filters has its info series when its broker was reached; one it listed
// the last time it was reached keeps it while within the grace period.
func (k *checker) checkPresent(sc *scrape, m *model) {
	f := k.w.filters
	for _, r := range m.order {
		t, b := k.tracks[r], m.brokers[r]
		base := b
		if !t.reached {
			if t.streak > Grace || t.reachedBy != k.builtAt || t.lastReach == nil {
				continue
			}
			base = t.lastReach
		}
		for name := range base.topics {
			if !b.topics[name] || !b.business(name) || !f.KeepTopic(name) {
				continue
			}
			if len(mine(sc, m, r, "rocketmq_topic_info", brokerLabels(b, "topic", name))) == 0 {
				k.fail("I2", "topic %s on %s has no rocketmq_topic_info (%s, %s)", name, b.view.Name, k.state(r), f)
				return
			}
		}
		for name := range base.groups {
			if !b.groups[name] || !b.business(name) || !f.KeepGroup(name) {
				continue
			}
			if len(mine(sc, m, r, "rocketmq_consumer_group_info", brokerLabels(b, "group", name))) == 0 {
				k.fail("I2", "group %s on %s has no rocketmq_consumer_group_info (%s, %s)", name, b.view.Name, k.state(r), f)
				return
			}
		}
	}
}

// checkKept is I2's "nothing is removed because a call failed": a
// per-entity series of the last scrape whose subject still exists is
// still served, while its broker is within the grace period.
func (k *checker) checkKept(sc *scrape, m *model) {
	if k.prev == nil || k.prevM == nil {
		return // a new exporter: nothing to keep
	}
	for _, fam := range keptFamilies {
		for _, s := range k.prev.byFamily[fam] {
			refs := k.prevM.match(s.labels)
			if len(refs) != 1 {
				continue
			}
			r := refs[0]
			if t := k.tracks[r]; t.streak > Grace || !k.stillThere(r, s, m) {
				continue
			}
			if len(sc.find(fam, s.labels)) == 0 {
				k.fail("I2", "%s vanished though its subject still exists (%s)", s, k.state(r))
				return
			}
		}
	}
}

// stillThere: the entity a series names existed at the last cycle and
// exists now, the same one (not deleted and re-created in between).
func (k *checker) stillThere(r ref, s sample, m *model) bool {
	t, now, was := k.tracks[r], m.brokers[r], k.prevM.brokers[r]
	topic, hasT := s.labels["topic"]
	group, hasG := s.labels["group"]
	if hasT && (t.churned["topic:"+topic] || !now.topics[topic] || !was.topics[topic]) {
		return false
	}
	if hasG && (t.churned["group:"+group] || !now.groups[group] || !was.groups[group]) {
		return false
	}
	if hasT && hasG {
		p := simbroker.Offset{Topic: topic, Group: group}
		return now.pairs[p] && was.pairs[p]
	}
	return true
}

// checkOnline is I2 for values: a reached broker's groups show the
// clients connected now (one that came online within OfflineRefresh cycles
// may still read offline); one not reached keeps its last value.
func (k *checker) checkOnline(sc *scrape, m *model) {
	const fam = "rocketmq_consumer_group_online_consumers"
	f := k.w.filters
	for _, r := range m.order {
		t, b := k.tracks[r], m.brokers[r]
		for name := range b.groups {
			if !b.business(name) || !f.KeepGroup(name) {
				continue
			}
			ss := mine(sc, m, r, fam, brokerLabels(b, "group", name))
			if len(ss) != 1 {
				continue // presence is checkPresent's
			}
			got, want := ss[0].value, float64(len(b.clients[name]))
			if t.reached {
				// Offline groups are asked every OfflineRefresh cycles that
				// reach the broker: one that came online may still read 0.
				if at, ok := t.offlineAt[name]; ok && want > 0 && at >= t.reachedN-OfflineRefresh {
					continue
				}
				if got != want {
					k.fail("I2", "%s after a cycle that reached the broker: it has %g clients connected", ss[0], want)
					return
				}
				continue
			}
			if k.prev == nil || t.streak > Grace || t.churned["group:"+name] {
				continue
			}
			if last := mine(k.prev, k.prevM, r, fam, brokerLabels(b, "group", name)); len(last) == 1 && got != last[0].value && got != want {
				k.fail("I2", "%s in a cycle that did not reach the broker (%s): last served %g, connected %g",
					ss[0], k.state(r), last[0].value, want)
				return
			}
		}
	}
}
