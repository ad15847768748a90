package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/internal/promserver"
)

// startPrometheus starts a real Prometheus that scrapes the exporter and
// evaluates the alert rules, when the prometheus binary is on PATH (or
// $PROMETHEUS_BIN); without it the demo says how to install it and goes
// on. A nil server and nil error mean it was skipped.
func startPrometheus(ctx context.Context, cfg config, target string, logger *log.Logger) (*promserver.Server, error) {
	bin, err := promserver.Binary()
	if err != nil {
		logger.Printf("no prometheus binary on PATH: the demo runs without one (Debian/Ubuntu: apt-get install prometheus; or set PROMETHEUS_BIN)")
		return nil, nil
	}
	rules, err := os.ReadFile(cfg.rules)
	if err != nil {
		return nil, fmt.Errorf("alert rules: %w (run the demo from the repository root, or pass -rules)", err)
	}
	logger.Printf("starting Prometheus (%s) with the alert rules of %s", bin, cfg.rules)
	// Scrape at the exporter's interval: a faster scrape only repeats a cycle.
	return promserver.Start(ctx, bin, promserver.Config{Job: "rocketmq", Targets: []string{target},
		Interval: max(cfg.interval, time.Second), Rules: rules})
}
