package poller_test

import (
	"log/slog"
	"net"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rocketmq-exporter/rocketmq_exporter/collector"
	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
)

// closedAddr is a loopback address nobody listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// served gathers what a scrape of p's snapshot serves of one family, by
// label value of label.
func served(t *testing.T, src collector.Source, family, label string) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(collector.New(src, collector.Options{}))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != family {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label {
					out[l.GetValue()] = m.GetGauge().GetValue()
				}
			}
		}
	}
	return out
}

// TestNamesrvUpPerAddress: one target with a live namesrv and a closed
// port, in both orders. The brokers come from the live one, and each
// address has its own rocketmq_namesrv_up.
func TestNamesrvUpPerAddress(t *testing.T) {
	c := startSim(t, simbroker.Options{Topics: 2, Groups: 1})
	live, dead := c.Namesrv.Addr, closedAddr(t)
	for _, order := range [][]string{{live, dead}, {dead, live}} {
		p := newPoller(t, [][]string{order}, nil, nil)
		s, b := master(t, p)
		if tg := s.Targets[0]; !tg.Up || tg.Namesrv != live || !tg.NamesrvUp[live] || tg.NamesrvUp[dead] {
			t.Errorf("%v: target up %v via %q, per address %v", order, tg.Up, tg.Namesrv, tg.NamesrvUp)
		}
		if b.Name != c.Brokers[0].Name {
			t.Errorf("%v: collected %s, the cluster's broker is %s", order, b.Name, c.Brokers[0].Name)
		}
		got := served(t, p, "rocketmq_namesrv_up", "namesrv")
		if len(got) != 2 || got[live] != 1 || got[dead] != 0 {
			t.Errorf("%v: rocketmq_namesrv_up %v; want %s 1 and %s 0", order, got, live, dead)
		}
	}
}

// TestNamesrvLogsOncePerChange: a namesrv that stops answering for three
// cycles is logged once, and once again when it is back.
func TestNamesrvLogsOncePerChange(t *testing.T) {
	a := startSim(t, simbroker.Options{Topics: 2, Groups: 1})
	b := startSim(t, simbroker.Options{Topics: 2, Groups: 1})
	var logs logBuffer
	p := newPoller(t, [][]string{{a.Namesrv.Addr, b.Namesrv.Addr}}, slog.New(slog.NewTextHandler(&logs, nil)), nil)
	master(t, p)
	b.Namesrv.SetFault(simbroker.Fault{Close: true})
	for range 3 {
		s, _ := master(t, p)
		if s.Targets[0].NamesrvUp[b.Namesrv.Addr] {
			t.Fatal("a namesrv that closes every connection counts as up")
		}
	}
	b.Namesrv.ClearFault()
	for range 2 {
		if s, _ := master(t, p); !s.Targets[0].NamesrvUp[b.Namesrv.Addr] {
			t.Fatal("the namesrv is healed, and still down")
		}
	}
	if n := logs.count("namesrv stopped answering"); n != 1 {
		t.Errorf("%d warnings that the namesrv stopped answering, want 1:\n%s", n, logs.buf.String())
	}
	if n := logs.count("namesrv answers again"); n != 1 {
		t.Errorf("%d notes that the namesrv answers again, want 1:\n%s", n, logs.buf.String())
	}
}
