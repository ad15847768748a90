// Package exportertest gives a test the two things most exporter tests
// start with: a simulated cluster (package simbroker) and the exporter
// assembled against it (package app), each closed when the test ends.
package exportertest

import (
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/app"
	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
)

// Sim starts a simulated cluster, closed when the test ends.
func Sim(t testing.TB, o simbroker.Options) *simbroker.Cluster {
	t.Helper()
	c, err := simbroker.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// Settings are the exporter's defaults pointed at namesrvs (one target
// each), with a 2 s call timeout instead of 5 s: a simulator answers at
// once, and a test that stops a broker should not wait long to see it.
func Settings(namesrvs ...string) app.Settings {
	s := app.Defaults()
	s.Namesrvs = namesrvs
	s.Timeout = 2 * time.Second
	return s
}

// App assembles the exporter with s (no logging), closed when the test
// ends. Nothing runs until the test calls Cycle or starts the poller.
func App(t testing.TB, s app.Settings) *app.App {
	t.Helper()
	a, err := app.New(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}
