package shard

import (
	"fmt"
	"testing"
)

func TestEveryNameHasExactlyOneOwner(t *testing.T) {
	for _, count := range []int{1, 2, 3, 4, 7} {
		sets := make([]Set, count)
		for i := range sets {
			s, err := New(count, i)
			if err != nil {
				t.Fatal(err)
			}
			sets[i] = s
		}
		per := make([]int, count)
		for n := 0; n < 20000; n++ {
			name := fmt.Sprintf("topic-%d", n)
			owners := 0
			for i, s := range sets {
				if s.Owns(name) {
					owners++
					per[i]++
				}
			}
			if owners != 1 {
				t.Fatalf("count %d: %q has %d owners", count, name, owners)
			}
		}
		// An even split within a few percent: a hash that piles names on
		// one shard would defeat the point.
		for i, n := range per {
			if want := 20000 / count; n < want*9/10 || n > want*11/10 {
				t.Errorf("count %d: shard %d owns %d of 20000 names", count, i, n)
			}
		}
	}
}

// The hash is part of the contract: a series must not move between
// replicas when the exporter is upgraded. These values are FNV-1a's.
func TestHashIsStable(t *testing.T) {
	for name, want := range map[string]int{"": 0x811c9dc5 % 4, "a": 0xe40c292c % 4, "foobar": 0xbf9cf968 % 7} {
		count := 4
		if name == "foobar" {
			count = 7
		}
		if got := Of(name, count); got != want {
			t.Errorf("Of(%q, 4) = %d, want %d", name, got, want)
		}
	}
	if Of("x", 1) != 0 || Of("x", 0) != 0 {
		t.Error("one shard (or none) must own every name")
	}
}

func TestNewRefuses(t *testing.T) {
	for _, c := range []struct{ count, index int }{{0, 0}, {-1, 0}, {2, 2}, {2, -1}, {1, 1}} {
		if _, err := New(c.count, c.index); err == nil {
			t.Errorf("New(%d, %d) accepted", c.count, c.index)
		}
	}
	if s, err := New(1, 0); err != nil || s.Sharded() || !s.Owns("anything") {
		t.Errorf("New(1, 0) = %v, %v", s, err)
	}
	var zero Set
	if zero.Sharded() || !zero.Owns("x") || !zero.OwnsBroker("c", "b") {
		t.Error("the zero Set must own everything")
	}
}

func TestIndexFromHostname(t *testing.T) {
	for host, want := range map[string]int{"rocketmq-exporter-0": 0, "rmq-exp-12": 12, "a-3": 3} {
		if got, err := IndexFromHostname(host); err != nil || got != want {
			t.Errorf("%q: %d, %v; want %d", host, got, err, want)
		}
	}
	for _, host := range []string{"", "exporter", "exporter-", "exporter-x", "exporter-+1"} {
		if _, err := IndexFromHostname(host); err == nil {
			t.Errorf("%q accepted", host)
		}
	}
}

func TestBrokerKeyKeepsPairsApart(t *testing.T) {
	if BrokerKey("a", "bc") == BrokerKey("ab", "c") {
		t.Error("two (cluster, broker) pairs make one key")
	}
}
