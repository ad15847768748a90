package main

import (
	"io"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestGateKeepsConsumerBehind: however eagerly the consumer side asks, it
// never gets closer than behind messages to the producer, and it follows
// every message sent beyond that.
func TestGateKeepsConsumerBehind(t *testing.T) {
	const behind = 10
	g := newGate(behind)
	var wg sync.WaitGroup
	for range 4 { // like one dispatch goroutine per queue
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				g.admit()
				g.mu.Lock()
				closed, lag := g.closed, g.produced-g.admitted
				g.mu.Unlock()
				if closed {
					return
				}
				if lag < behind {
					t.Errorf("admitted to %d behind, want >= %d", lag, behind)
				}
			}
		}()
	}
	for range 200 {
		g.sent(1)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		p, a := g.counts()
		if p-a == behind {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("produced %d, admitted %d: want exactly %d behind", p, a, behind)
		}
		time.Sleep(time.Millisecond)
	}
	g.close()
	wg.Wait()
}

func TestGateZeroBehindFollowsProducer(t *testing.T) {
	g := newGate(0)
	done := make(chan struct{})
	go func() { g.admit(); close(done) }()
	select {
	case <-done:
		t.Fatal("admitted with nothing sent")
	case <-time.After(50 * time.Millisecond):
	}
	g.sent(1)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("not admitted after a message was sent")
	}
}

func TestBaseURL(t *testing.T) {
	for in, want := range map[string]string{
		":5557":          "http://localhost:5557",
		"0.0.0.0:9000":   "http://localhost:9000",
		"[::]:9000":      "http://localhost:9000",
		"127.0.0.1:5557": "http://127.0.0.1:5557",
		"[::1]:5557":     "http://[::1]:5557",
	} {
		if got := baseURL(in); got != want {
			t.Errorf("baseURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"-listen", "127.0.0.1:6000", "--", "--collect.queue-metrics"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.exporter != "./rocketmq_exporter" || cfg.rate != 5 || cfg.lag != 50 {
		t.Errorf("defaults: %+v", cfg)
	}
	got := exporterArgs(cfg, "127.0.0.1:9876")
	want := []string{"--rocketmq.namesrv-addr=127.0.0.1:9876", "--web.listen-address=127.0.0.1:6000",
		"--collect.interval=5s", "--collect.queue-metrics"}
	if !slices.Equal(got, want) {
		t.Errorf("exporter args = %q, want %q", got, want)
	}
	for _, bad := range [][]string{{"-rate", "0"}, {"-lag", "-1"}, {"-interval", "0s"}, {"-nope"}} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestMissingExporter(t *testing.T) {
	if code := run([]string{"-exporter", t.TempDir() + "/missing"}, io.Discard, io.Discard); code != 2 {
		t.Errorf("exit code %d with a missing exporter binary, want 2", code)
	}
}
