package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/rocketmq-exporter/rocketmq_exporter/app"
)

func TestShardFlagsRefuseWhatCannotBe(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--shard.count=0"}, "--shard.count must be at least 1"},
		{[]string{"--shard.count=4", "--shard.index=4"}, "--shard.index must be in [0, 4)"},
		{[]string{"--shard.index=1"}, "--shard.index must be in [0, 1)"},
	} {
		args := append([]string{"--rocketmq.namesrv-addr=127.0.0.1:9876"}, c.args...)
		code, stderr := runCapture(t, args...)
		if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line with %q", c.args, code, stderr, c.want)
		}
	}
}

func TestShardIndexFromHostname(t *testing.T) {
	host := func(h string, err error) func() (string, error) { return func() (string, error) { return h, err } }
	s := app.Settings{ShardIndex: 7}
	if err := shardFromHostname(false, &s, host("", errors.New("not asked"))); err != nil || s.ShardIndex != 7 {
		t.Errorf("off: index %d, %v", s.ShardIndex, err)
	}
	if err := shardFromHostname(true, &s, host("rocketmq-exporter-2", nil)); err != nil || s.ShardIndex != 2 {
		t.Errorf("rocketmq-exporter-2: index %d, %v", s.ShardIndex, err)
	}
	for _, h := range []string{"laptop", "exporter-a"} {
		if err := shardFromHostname(true, &s, host(h, nil)); err == nil || !strings.Contains(err.Error(), "--shard.index-from-hostname") {
			t.Errorf("%s: %v", h, err)
		}
	}
	if err := shardFromHostname(true, &s, host("", errors.New("uname failed"))); err == nil {
		t.Error("a failing hostname lookup was accepted")
	}
}
