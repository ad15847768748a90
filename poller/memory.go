package poller

import (
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// activeWindow is how long after its last movement a topic or group is
// still inside the broker's one-minute stats window.
const activeWindow = 70 * time.Second

// brokerMemory is what the poller remembers of one broker between cycles.
// It is rebuilt from the live entity lists every cycle, so nothing about a
// vanished topic or group survives it.
type brokerMemory struct {
	target   int
	last     *snapshot.Broker // last cycle in which the broker was Up
	failures int              // consecutive cycles without an answer
	cycles   int
	config   map[string]string
	topics   map[string]topicMemory
	pairs    map[string]pairMemory // topic@group
	// store is the broker's commit-log end and topic-config version at the
	// last full topic refresh: while neither moves, no topic's offsets can
	// have changed and GET_TOPIC_STATS_INFO need not be asked again.
	store        storeMark
	sinceRefresh int
	// offlineChecked is the cycle in which each offline group's connection
	// list was last answered.
	offlineChecked map[string]int
	// waitTopics and waitGroups are, for each topic and group never
	// answered yet, the cycle since which it waits for its first look-up
	// (spread.go): the first-sight budget goes to those waiting longest.
	waitTopics, waitGroups map[string]int
	// cuts counts the cycles whose deadline stopped calls to the broker.
	cuts int64
	// tally counts this cycle's calls by stage; stages keeps each stage's
	// failure total and whether it is failing, for as long as the broker
	// is remembered.
	tally  *cycleTally
	stages [numStages]stageMemory
}

type storeMark struct {
	commitLogMax float64
	topicVersion int64
	known        bool
}

// fullRefreshEvery bounds how long offsets are reused while the store
// stands still (minimum offsets move when old files are deleted).
const fullRefreshEvery = 20

// rangeRefreshEvery is how many cycles pass between two reads of a
// consumed topic's min offset and last put time (its max offsets come
// with consume stats every cycle): each on its turn, 1/20 of them a
// cycle. The min offset moves only when the broker deletes commit-log
// files (once a day by default, deleteWhen=04), and the last put feeds an
// alert whose threshold is an hour: 5 minutes (at the default interval)
// is fresh enough, and asking them every 4th cycle cost about 11,000
// calls a cycle at 100,000 topics.
const rangeRefreshEvery = 20

type topicMemory struct {
	maxOffset int64
	changed   time.Time // last time maxOffset moved; zero when never seen moving
	seen      time.Time
}

type pairMemory struct {
	consumerOffset int64
	changed        time.Time
	// oldestStore is the store time (ms) of the oldest unconsumed message
	// at consumerOffset; it holds while consumerOffset does not move and
	// retention has not deleted that message.
	oldestStore int64
	// minOffset and earliest are the topic's min offset and the broker's
	// earliest stored message (ms) when oldestStore was read: retention
	// moves them. minOffset is -1 while the topic's was unknown.
	minOffset, earliest int64
	// asked is the cycle of the pair's last age look-up, 0 for never: the
	// per-broker budget goes to the pairs that waited longest.
	asked int
}
