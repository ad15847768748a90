package poller

import "github.com/rocketmq-exporter/rocketmq_exporter/snapshot"

// Sharding (--shard.count): every replica makes the broker-wide listings,
// which are a few calls per broker, and only the per-entity calls and
// entries of the topics and groups it owns (package shard). A group's
// %RETRY%/%DLQ% topics, its progress on every topic and its producer group
// of the same name go with the group, so a (topic, group) pair is never
// split between two replicas.

// topicKind is how a topic is counted and served: every broker keeps
// topics named after itself and its cluster, which are the system's.
func topicKind(b *snapshot.Broker, name string) snapshot.TopicKind {
	if name == b.Name || name == b.Cluster {
		return snapshot.KindSystem
	}
	return snapshot.ClassifyTopic(name)
}

// newCounts are a master's counts, filled while its listings are read.
func newCounts() *snapshot.Counts {
	return &snapshot.Counts{Topics: map[snapshot.TopicKind]int{}, Groups: map[snapshot.GroupKind]int{}}
}
