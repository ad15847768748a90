// Package leakcost estimates the heap a broker holds for its leaked stat
// items: the items leak probing found (snapshot.LeakReport) plus the items
// they imply but no probe can reach, priced with what class histograms of
// real brokers measured (docs/leaks.md, "What the leak costs").
//
// What one item holds (RocketMQ's StatsItem, the same class in every set of
// the broker's stats table, GROUP_GET_LATENCY's RTStatsItem adding no
// field): the item, two LongAdder counters, three LinkedLists of
// CallSnapshots (minute, hour, day), its key String and that String's
// byte[], and its ConcurrentHashMap node. The lists grow with the item's
// age: the broker samples every item of a set every 10 s (kept: 7), every
// 10 min (7) and every hour (25), starting with its first sample, so an item
// reaches 39 snapshots after a day. The estimate takes every item to be as
// old as the broker process, the case of a topic that lived through the
// broker's uptime; an item younger than a day holds fewer snapshots, so for
// a topic created and deleted within the last day the estimate runs ahead
// of the heap by up to the missing snapshots, and meets it when the day is
// over.
//
// Inferred items: every queue of a topic is probed, so a per-queue item
// stands for itself (Queues 1; older reports with a queue count still
// price each queue); beside each per-queue GROUP_GET_LATENCY item
// the broker keeps two moment items (GROUP_GET_FALL_SIZE and
// GROUP_GET_FALL_TIME, keyed queueId@topic@group) outside the stats table
// that VIEW_BROKER_STATS_DATA reads, created and deleted together with it.
// Both are counted in the bytes and reported apart, as inferred.
package leakcost

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// Calibration names the measurement the costs come from, for HELP texts
// and reports.
const Calibration = "class histograms (jcmd GC.class_histogram) of RocketMQ 4.9.7, 5.3.3 and 5.4.0 brokers, 2026-11-30"

// Stats names of the moment sets, which VIEW_BROKER_STATS_DATA cannot read.
const (
	FallSize = "GROUP_GET_FALL_SIZE"
	FallTime = "GROUP_GET_FALL_TIME"
	latency  = "GROUP_GET_LATENCY"
)

// layout is what the class histogram of one version measured, in bytes,
// with compressed references (any heap under 32 GiB).
type layout struct {
	// item is one StatsItem without its snapshots and key characters: the
	// item, 2 LongAdders, 3 LinkedLists, the key String and the map node.
	item int
	// moment is one MomentStatsItem the same way: the item, its AtomicLong,
	// the key String and the map node.
	moment int
	// snapshot is one CallSnapshot and its LinkedList node.
	snapshot int
	// sets are the stats names of the broker's stats table that hold items
	// keyed by topic or group (the ones probing can find).
	sets []string
}

var sets4 = []string{"TOPIC_PUT_NUMS", "TOPIC_PUT_SIZE", "QUEUE_PUT_NUMS", "QUEUE_PUT_SIZE", "GROUP_GET_NUMS",
	"GROUP_GET_SIZE", latency, "SNDBCK_PUT_NUMS"}

var sets5 = append(append([]string(nil), sets4...), "GROUP_ACK_NUMS", "GROUP_CK_NUMS", "TOPIC_PUT_LATENCY", "SNDBCK2DLQ_TIMES")

// layouts are the calibrated versions. From the histograms of the
// calibration (TestLeakCost in e2e/leakcost_test.go): shallow sizes
// StatsItem 48 (4.9.7) / 56 (5.x, lastUpdateTimestamp), LongAdder 32,
// LinkedList 32, String 24, ConcurrentHashMap$Node 32, MomentStatsItem 32
// / 40, AtomicLong 24, CallSnapshot 40, LinkedList$Node 24.
var layouts = map[string]layout{
	"4.9.7": {item: 48 + 2*32 + 3*32 + 24 + 32, moment: 32 + 24 + 24 + 32, snapshot: 40 + 24, sets: sets4},
	"5.3.3": {item: 56 + 2*32 + 3*32 + 24 + 32, moment: 40 + 24 + 24 + 32, snapshot: 40 + 24, sets: sets5},
	"5.4.0": {item: 56 + 2*32 + 3*32 + 24 + 32, moment: 40 + 24 + 24 + 32, snapshot: 40 + 24, sets: sets5},
}

// Calibrated picks the calibration for a broker's brokerVersionDesc
// (V5_3_3, or 5.3.3): the version itself when measured, else the nearest
// measured one of the same line (4.x takes 4.9.7; 5.x before 5.4 takes
// 5.3.3, later ones 5.4.0). "" when nothing applies.
func Calibrated(version string) string {
	v := strings.ReplaceAll(strings.TrimPrefix(strings.TrimSpace(version), "V"), "_", ".")
	if _, ok := layouts[v]; ok {
		return v
	}
	parts := strings.SplitN(v, ".", 3)
	major, err := strconv.Atoi(parts[0])
	if err != nil {
		return ""
	}
	minor := 0
	if len(parts) > 1 {
		minor, _ = strconv.Atoi(parts[1])
	}
	switch {
	case major == 4:
		return "4.9.7"
	case major == 5 && minor < 4:
		return "5.3.3"
	case major >= 5:
		return "5.4.0"
	}
	return ""
}

// Snapshots is how many CallSnapshots one stat item holds once it is age
// old: each of its three lists gets a seed and a sample at its first tick,
// then a sample per tick up to its cap.
func Snapshots(age time.Duration) int {
	n := 0
	for _, l := range []struct {
		every time.Duration
		keep  int
	}{{10 * time.Second, 7}, {10 * time.Minute, 7}, {time.Hour, 25}} {
		if ticks := int(age / l.every); ticks > 0 {
			n += min(l.keep, ticks+1)
		}
	}
	return n
}

// Age is how old the estimate takes a broker's items to be: its uptime at
// the time of the answers, or a day (every list full) when the boot time
// or that time is unknown.
func Age(boot, at time.Time) time.Duration {
	if boot.IsZero() || at.IsZero() || at.Before(boot) {
		return 24 * time.Hour
	}
	return at.Sub(boot)
}

// keyBytes is the byte[] of a key: topic and group names are Latin-1, one
// byte a character, after a 16-byte header, in 8-byte steps.
func keyBytes(n int) int { return (16 + n + 7) &^ 7 }

// Cost is what one stat item holds in a version's broker.
type Cost struct {
	Version, Stats string
	// Fixed is the bytes of the item without its key's byte[] and its
	// snapshots; PerSnapshot the bytes of each snapshot it holds (0 for a
	// moment item).
	Fixed, PerSnapshot int
}

// Bytes is what the item holds with a key of keyLen characters at age.
func (c Cost) Bytes(keyLen int, age time.Duration) int {
	return c.Fixed + keyBytes(keyLen) + c.PerSnapshot*Snapshots(age)
}

// Costs is the table: every stats name probing can find, and the two moment
// sets, for every calibrated version.
func Costs() []Cost {
	var out []Cost
	for v, l := range layouts {
		for _, s := range l.sets {
			out = append(out, Cost{v, s, l.item, l.snapshot})
		}
		out = append(out, Cost{v, FallSize, l.moment, 0}, Cost{v, FallTime, l.moment, 0})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Version != out[j].Version {
			return out[i].Version < out[j].Version
		}
		return out[i].Stats < out[j].Stats
	})
	return out
}

// Estimate is what the leaked stat items of one broker hold.
type Estimate struct {
	// Bytes is the heap estimate, probed and inferred items together.
	Bytes int64
	// Probed counts the items the broker answered for; Inferred the items
	// they imply that no probe reached, by stats name.
	Probed   int
	Inferred map[string]int
	// Calibration is the version whose costs were used; "" when the
	// broker's version matches none (Bytes is then 0).
	Calibration string
}

// Of estimates what the items of a leak report hold on a broker of version
// (brokerVersionDesc) that has been up for uptime. A nil report is no leak.
func Of(r *snapshot.LeakReport, version string, uptime time.Duration) Estimate {
	e := Estimate{Inferred: map[string]int{}, Calibration: Calibrated(version)}
	if r == nil {
		return e
	}
	l, ok := layouts[e.Calibration]
	if !ok {
		return e
	}
	item := Cost{Fixed: l.item, PerSnapshot: l.snapshot}
	moment := Cost{Fixed: l.moment}
	for _, it := range r.Items {
		e.Probed++
		queues := max(1, it.Queues)
		e.Bytes += perQueueBytes(item, it.Key, queues, uptime)
		if it.Queues == 0 {
			continue // not a per-queue item: it stands for itself
		}
		e.Inferred[it.Stats] += queues - 1
		if it.Stats == latency {
			// Its moment items share its key, queueId@topic@group.
			e.Inferred[FallSize] += queues
			e.Inferred[FallTime] += queues
			e.Bytes += 2 * perQueueBytes(moment, it.Key, queues, uptime)
		}
	}
	for s, n := range e.Inferred {
		if n == 0 {
			delete(e.Inferred, s)
		}
	}
	return e
}

// perQueueBytes prices an item for queues 0..queues-1 of its topic, given
// its queue-0 key: queue ids of more digits make longer keys.
func perQueueBytes(c Cost, key0 string, queues int, age time.Duration) int64 {
	var total int64
	lo := 0
	for digits := 1; lo < queues; digits++ {
		hi := min(queues, pow10(digits)) // queue ids lo..hi-1 have this many digits
		total += int64(hi-lo) * int64(c.Bytes(len(key0)+digits-1, age))
		lo = hi
	}
	return total
}

func pow10(n int) int {
	p := 1
	for ; n > 0; n-- {
		p *= 10
	}
	return p
}
