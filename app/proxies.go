package app

import (
	"errors"
	"fmt"
	"strings"
)

// parseProxies reads repeated --rocketmq.proxy-addr values, each the
// remoting addresses of one target's rocketmq-proxies ("host:port;…"),
// prefixed "name=" with the name of its target; with a single target the
// prefix may be left out. It returns the addresses per target, in the
// order of targets (poller.Config.Proxies).
func parseProxies(values []string, targets []Target) ([][]string, error) {
	if len(values) == 0 {
		return nil, nil
	}
	out := make([][]string, len(targets))
	for _, v := range values {
		t, err := parseTarget(v)
		if err != nil {
			return nil, fmt.Errorf("--rocketmq.proxy-addr: %w", err)
		}
		i, err := proxyTarget(t, v, targets)
		if err != nil {
			return nil, err
		}
		out[i] = append(out[i], t.Namesrvs...)
	}
	return out, nil
}

// proxyTarget finds the target a proxy value names; an unnamed value
// belongs to the sole target.
func proxyTarget(t Target, v string, targets []Target) (int, error) {
	if !strings.Contains(v, "=") {
		if len(targets) == 1 {
			return 0, nil
		}
		return 0, errors.New("--rocketmq.proxy-addr: with several targets, name the target: name=host:port;host:port")
	}
	for i, tg := range targets {
		if tg.Name == t.Name {
			return i, nil
		}
	}
	return 0, fmt.Errorf("--rocketmq.proxy-addr %q: no target is named %q", v, t.Name)
}
