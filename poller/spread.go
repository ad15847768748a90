package poller

import (
	"sort"

	"github.com/rocketmq-exporter/rocketmq_exporter/shard"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// The poller spreads its per-entity calls over cycles by two rules, so
// that no cycle carries a peak the others do not:
//
//   - Re-checks (a still topic's stats, an offline group's connections, a
//     consumed topic's min offset and last put) come every N cycles per
//     entity, in the cycles where (hash(name)>>16 + cycle) % N == 0: each
//     cycle carries about 1/N of them and the total is what asking all of
//     them every Nth cycle costs.
//   - First sight (an entity never answered: every one after a start, or
//     a burst of new topics or groups) is asked at most firstSightCap per
//     broker per cycle, those waiting longest first, then by name hash; the
//     cap is at least 1/N of the broker's entities, so a start's backlog is
//     gone within N cycles.

// firstSightFloor is the least first-sight budget per broker per cycle:
// below it (every estate up to 2,000 topics and groups per broker, times N)
// everything is asked in the first cycle, as before the cap.
const firstSightFloor = 2000

// nameHash is FNV-1a (32 bit) of name, shard.Hash: stable across
// processes and versions, so an entity keeps its turn over restarts.
func nameHash(name string) uint32 { return shard.Hash(name) }

// inTurn reports whether cycle is one of name's re-check cycles, one in
// every; every ≤ 1 means every cycle. The turn is taken from the hash's
// upper half: a shard's names share the hash modulo --shard.count (its
// lower bits when the count is a power of two), and would otherwise all
// fall on the same cycle.
func inTurn(name string, cycle, every int) bool {
	if every <= 1 {
		return true
	}
	return (uint64(nameHash(name)>>16)+uint64(cycle))%uint64(every) == 0
}

// firstSightCap is how many first-sight calls of one kind a broker holding
// entities of that kind gets per cycle: at least firstSightFloor and at
// least a 1/every share; every ≤ 1 means no cap.
func firstSightCap(entities, every int) int {
	if every <= 1 {
		return entities
	}
	return max(firstSightFloor, (entities+every-1)/every)
}

// firstSight picks the entities (indexes into names) to ask this cycle
// among cands, those never answered: at most limit, those waiting since
// the earliest cycle first (waiting[name], this cycle for a new one), then
// by name hash. It returns the picks in cands order and the waiting map of
// the cycle, which holds every candidate (a pick stays until answered).
func firstSight(names []string, cands []int, waiting map[string]int, cycle, limit int) (pick []int, next map[string]int) {
	next = make(map[string]int, len(cands))
	type cand struct {
		i, since int
		h        uint32
	}
	cs := make([]cand, len(cands))
	for k, i := range cands {
		since, ok := waiting[names[i]]
		if !ok {
			since = cycle
		}
		next[names[i]] = since
		cs[k] = cand{i: i, since: since, h: nameHash(names[i])}
	}
	if len(cs) <= limit {
		return cands, next
	}
	sort.Slice(cs, func(a, b int) bool {
		if cs[a].since != cs[b].since {
			return cs[a].since < cs[b].since
		}
		if cs[a].h != cs[b].h {
			return cs[a].h < cs[b].h
		}
		return names[cs[a].i] < names[cs[b].i]
	})
	pick = make([]int, 0, limit)
	for _, c := range cs[:limit] {
		pick = append(pick, c.i)
	}
	sort.Ints(pick)
	return pick, next
}

// pend records how many entities of kind still wait for their first
// answer on b.
func pend(b *snapshot.Broker, kind string, n int) {
	if b.FirstSightPending == nil {
		b.FirstSightPending = make(map[string]int, len(snapshot.PendingKinds))
	}
	b.FirstSightPending[kind] = n
}
