// Package shard splits the exporter's work between several replicas: every
// topic, group and broker belongs to exactly one of Count shards, by a
// stable hash of its name, so that the union of the replicas' /metrics is
// one unsharded exporter's, and no series is served twice.
//
// What a name belongs to:
//   - a topic: its own name, except a group's %RETRY%/%DLQ% topic, which
//     goes with its group (the caller passes the group's name);
//   - a group, and everything about it (its topics' progress, clients,
//     producer group of the same name): the group's name;
//   - a broker's own families (runtime, stages, leaks, counts): the broker
//     name within its cluster, so a master and its slaves stay together.
//
// The hash is FNV-1a (32 bit) of the name: stable across versions,
// platforms and restarts, so a series does not move between replicas.
package shard

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Set is one replica's share: Index of Count. The zero Set (and Count 1)
// owns everything.
type Set struct {
	Count int
	Index int
}

// New checks a share: at least one shard, the index within them.
func New(count, index int) (Set, error) {
	switch {
	case count < 1:
		return Set{}, fmt.Errorf("--shard.count must be at least 1, got %d", count)
	case index < 0 || index >= count:
		return Set{}, fmt.Errorf("--shard.index must be in [0, %d) for --shard.count=%d, got %d", count, count, index)
	}
	return Set{Count: count, Index: index}, nil
}

// Sharded tells whether the work is split at all.
func (s Set) Sharded() bool { return s.Count > 1 }

// Of is the shard name belongs to among count.
func Of(name string, count int) int {
	if count <= 1 {
		return 0
	}
	return int(Hash(name) % uint32(count))
}

// Hash is FNV-1a (32 bit) of name, computed without allocating: what Of
// splits names by, and what the poller staggers its per-entity re-checks
// by (poller/spread.go).
func Hash(name string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(name); i++ {
		h ^= uint32(name[i])
		h *= 16777619
	}
	return h
}

// Owns tells whether name (a topic or a group, see the package comment)
// is this shard's.
func (s Set) Owns(name string) bool {
	return !s.Sharded() || Of(name, s.Count) == s.Index
}

// OwnsBroker tells whether the broker-level families of the broker name
// in cluster are this shard's.
func (s Set) OwnsBroker(cluster, name string) bool {
	return s.Owns(BrokerKey(cluster, name))
}

// BrokerKey is what a broker's share is hashed from. The NUL cannot occur
// in either name, so two pairs never make one key.
func BrokerKey(cluster, name string) string { return cluster + "\x00" + name }

// IndexFromHostname reads a StatefulSet pod's ordinal from its host name
// (<statefulset>-<ordinal>), the way a replica learns its index without a
// flag of its own.
func IndexFromHostname(host string) (int, error) {
	i := strings.LastIndexByte(host, '-')
	if i < 0 || i == len(host)-1 {
		return 0, fmt.Errorf("host name %q does not end in -<ordinal> (a StatefulSet pod's name)", host)
	}
	digits := host[i+1:]
	n, err := strconv.Atoi(digits)
	if err != nil || strings.TrimLeft(digits, "0123456789") != "" {
		return 0, errors.Join(fmt.Errorf("host name %q does not end in -<ordinal> (a StatefulSet pod's name)", host), err)
	}
	return n, nil
}

// String names the share for logs and the status page: "2/4".
func (s Set) String() string {
	if !s.Sharded() {
		return "1/1"
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}
