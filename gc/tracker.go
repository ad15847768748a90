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
	"slices"
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
	prev   map[Kind][]uint64 // sorted, distinct: see entities
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
	cur := entities(s)
	s.Entities = map[string]int{}
	s.Removed = map[string]int{}
	for _, k := range Kinds {
		s.Entities[string(k)] = len(cur[k])
		n := gone(t.prev[k], cur[k])
		s.Removed[string(k)] = n
		t.totals[string(k)] += int64(n)
	}
	s.Self.Removed = maps.Clone(t.totals)
	t.prev = cur // the old sets become garbage here: nothing else holds them
}

// gone counts the entries of prev missing from cur (both sorted).
func gone(prev, cur []uint64) int {
	n, j := 0, 0
	for _, h := range prev {
		for j < len(cur) && cur[j] < h {
			j++
		}
		if j == len(cur) || cur[j] != h {
			n++
		}
	}
	return n
}

// entities lists, by kind, the entities a snapshot serves series for, as
// sorted distinct 64-bit hashes of their names (FNV-1a): the previous
// cycle's lists are the tracker's only memory, and at 100,000 topics a set
// of name strings held 20 MiB where these hold 1.2 MiB. Two entities of a
// kind would have to share a hash to be counted as one (about one chance
// in 10^9 at 150,000 of them). A topic, group or client is keyed by its
// broker, since each broker's listing is the authority for what lives on
// it; twin clusters of two targets are two.
func entities(s *snapshot.Snapshot) map[Kind][]uint64 {
	out := map[Kind][]uint64{}
	add := func(k Kind, parts ...string) {
		h := uint64(14695981039346656037)
		for _, p := range parts {
			for i := 0; i < len(p); i++ {
				h ^= uint64(p[i])
				h *= 1099511628211
			}
			h ^= '|' // the separator: no two part lists hash the same bytes
			h *= 1099511628211
		}
		out[k] = append(out[k], h)
	}
	for _, b := range s.Brokers {
		add(KindCluster, strconv.Itoa(b.Target), b.Cluster)
		add(KindBroker, b.Cluster, b.Name, b.Addr)
		for _, t := range b.Topics {
			add(KindTopic, b.Cluster, b.Name, b.Addr, t.Name)
		}
		for _, g := range b.Groups {
			add(KindGroup, b.Cluster, b.Name, b.Addr, g.Name)
			for _, c := range g.Clients {
				add(KindClient, b.Cluster, b.Name, b.Addr, g.Name, c.ID)
			}
		}
		for _, pg := range b.Producers {
			for _, c := range pg.Clients {
				add(KindClient, b.Cluster, b.Name, b.Addr, "producer", pg.Name, c.ID)
			}
		}
	}
	for k, hs := range out {
		slices.Sort(hs)
		out[k] = slices.Compact(hs)
	}
	return out
}
