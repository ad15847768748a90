package poller

import (
	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

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

// topicSieve keeps the configs of the topics this replica may own
// (mayOwnTopic), and of every other topic its name and queue count
// (admin.SiftedTopicConfig); nil when every topic is served.
func (p *Poller) topicSieve() func(string) bool {
	if !p.cfg.Shard.Sharded() {
		return nil
	}
	return p.mayOwnTopic
}

// groupSieve keeps the configs of the groups this replica serves, and of
// every other group its name; nil when every group is served.
func (p *Poller) groupSieve() func(string) bool {
	if !p.cfg.Shard.Sharded() && p.cfg.Groups == nil {
		return nil
	}
	return p.servesGroup
}

// servesGroup: the group filter and the shard keep group g.
func (p *Poller) servesGroup(g string) bool { return p.cfg.Groups.Keep(g) && p.cfg.Shard.Owns(g) }

// consumeSieve keeps whole the consume stats of the groups this replica
// serves (the group filter and the shard keep them) and, of every other
// group, only what leak planning and the served topics' max offsets need
// (admin.ConsumeSieve): a replica's memory then follows its share, not
// the whole broker's. Nil when every group is served.
func (p *Poller) consumeSieve() *admin.ConsumeSieve {
	if !p.cfg.Shard.Sharded() && p.cfg.Groups == nil {
		return nil
	}
	return &admin.ConsumeSieve{
		Group: p.servesGroup,
		Topic: p.mayOwnTopic,
	}
}

// mayOwnTopic is true for every topic this replica owns (topicShare), and
// for some it does not: a retry topic's owner is one of the groups its
// name may stand for, known only with the group table, which is read at
// the same time as the consume stats.
func (p *Poller) mayOwnTopic(topic string) bool {
	if p.cfg.Shard.Owns(topic) {
		return true
	}
	g, ok := snapshot.GroupOfTopic(topic)
	if !ok {
		return false
	}
	if p.cfg.Shard.Owns(g) {
		return true
	}
	for _, c := range snapshot.RetryGroups(topic) {
		if p.cfg.Shard.Owns(c) {
			return true
		}
	}
	return false
}
