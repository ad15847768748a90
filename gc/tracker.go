// Package gc keeps the exporter's series in step with what exists: it
// tracks every entity the series are labelled with (cluster, broker, topic,
// group, client) from the authoritative listings in each snapshot and
// counts the entities that vanished. (What deleted topics and groups leave
// on the broker is package leak's business.)
//
// Removal itself needs no bookkeeping: every snapshot is built from scratch
// and the collector only serves the latest, so a vanished entity's series
// are gone from the first scrape after the cycle that no longer lists it.
// What the tracker adds is the evidence: counts of what went, by kind.
package gc

import (
	"maps"
	"strconv"

	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// Kind is a kind of entity series are labelled with.
type Kind string

// Entity kinds.
const (
	KindCluster Kind = "cluster"
	KindBroker  Kind = "broker"
	KindTopic   Kind = "topic"
	KindGroup   Kind = "group"
	KindClient  Kind = "client"
)

// Kinds lists every kind, in a stable order.
var Kinds = []Kind{KindCluster, KindBroker, KindTopic, KindGroup, KindClient}

// Tracker compares each snapshot's entities with the previous one's. Only
// the poller's cycle goroutine calls it.
type Tracker struct {
	prev   map[Kind]map[string]struct{}
	totals map[string]int64
}

// NewTracker creates a tracker.
func NewTracker() *Tracker {
	t := &Tracker{totals: map[string]int64{}}
	for _, k := range Kinds {
		t.totals[string(k)] = 0 // every kind from the start, zeros included
	}
	return t
}

// Track records s's entities and fills s.Entities, s.Removed (since the
// previous snapshot) and s.Self.Removed (since start). It is part of
// completing s, before s is published.
func (t *Tracker) Track(s *snapshot.Snapshot) {
	cur := Entities(s)
	s.Entities = map[string]int{}
	s.Removed = map[string]int{}
	for _, k := range Kinds {
		s.Entities[string(k)] = len(cur[k])
		n := 0
		for key := range t.prev[k] {
			if _, ok := cur[k][key]; !ok {
				n++
			}
		}
		s.Removed[string(k)] = n
		t.totals[string(k)] += int64(n)
	}
	s.Self.Removed = maps.Clone(t.totals)
	t.prev = cur // the old sets become garbage here: nothing else holds them
}

// Entities lists the entity keys a snapshot serves series for. A topic,
// group or client is keyed by its broker, since each broker's listing is
// the authority for what lives on it.
func Entities(s *snapshot.Snapshot) map[Kind]map[string]struct{} {
	out := map[Kind]map[string]struct{}{}
	for _, k := range Kinds {
		out[k] = map[string]struct{}{}
	}
	add := func(k Kind, key string) { out[k][key] = struct{}{} }
	for _, b := range s.Brokers {
		bk := b.Key()
		add(KindCluster, strconv.Itoa(b.Target)+"|"+b.Cluster) // twin clusters of two targets are two
		add(KindBroker, bk)
		for _, t := range b.Topics {
			add(KindTopic, bk+"|"+t.Name)
		}
		for _, g := range b.Groups {
			add(KindGroup, bk+"|"+g.Name)
			for _, c := range g.Clients {
				add(KindClient, bk+"|"+g.Name+"|"+c.ID)
			}
		}
		for _, pg := range b.Producers {
			for _, c := range pg.Clients {
				add(KindClient, bk+"|producer|"+pg.Name+"|"+c.ID)
			}
		}
	}
	return out
}
