package e2e

import "github.com/rocketmq-exporter/rocketmq_exporter/internal/promserver"

// The end-to-end tests' names for internal/promserver, which the demo
// shares.
type (
	PrometheusConfig = promserver.Config
	Prometheus       = promserver.Server
	Sample           = promserver.Sample
	Alert            = promserver.Alert
	RuleHealth       = promserver.RuleHealth
	lockedBuffer     = promserver.LogBuffer // a log sink safe for the poller's goroutines
)

var (
	PrometheusBinary = promserver.Binary
	StartPrometheus  = promserver.Start
	tailText         = promserver.Tail
	freePort         = promserver.FreePort
)
