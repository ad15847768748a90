package poller_test

import (
	"testing"

	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
)

// TestBrokerFailureLoggedOncePerRun: a master refuses every
// GET_BROKER_CONSUME_STATS (as a broker does for a user without the
// permission), so its whole collection fails, cycle after cycle. The
// first failing cycle logs "broker collection failed" at Warn, the
// repeats at Debug, the first cycle answered again once at Info; a second
// run of failures is a new first one. The other broker logs nothing.
func TestBrokerFailureLoggedOncePerRun(t *testing.T) {
	c := startSim(t, simbroker.Options{Brokers: 2, Topics: 2, Groups: 1, ActiveEvery: 1})
	var logs logBuffer
	p := newPoller(t, [][]string{{c.Namesrv.Addr}}, debugLogger(&logs), nil)
	bad, good := c.Brokers[1], c.Brokers[0]
	const remark = "simulated: no permission to get consume stats"
	fault := simbroker.Fault{Request: remoting.GetBrokerConsumeStats, Code: remoting.CodeNoPermission, Remark: remark}

	failFor := func(cycles int) {
		t.Helper()
		bad.Master.SetFault(fault)
		for k := 1; k <= cycles; k++ {
			if b := brokerNamed(t, cycle(c, p), bad.Name, 0); b.Up {
				t.Fatalf("failing cycle %d: %s up; the fault did not take its collection down and the test proves nothing", k, bad.Name)
			}
		}
		bad.Master.ClearFault()
		if b := brokerNamed(t, cycle(c, p), bad.Name, 0); !b.Up {
			t.Fatalf("healed: %s still down: %s", bad.Name, b.Err)
		}
	}
	count := func(parts ...string) int { return logs.count(append(parts, "broker="+bad.Name)...) }

	cycle(c, p)
	failFor(3)
	if n := count("level=WARN", "broker collection failed", remark); n != 1 {
		t.Errorf("%d warnings over three failing cycles, want 1:\n%s", n, logs.buf.String())
	}
	if n := count("level=DEBUG", "broker collection still failing", remark); n != 2 {
		t.Errorf("%d debug lines for the two repeats, want 2", n)
	}
	if n := count("level=INFO", "broker collection answers again", "failed_cycles=3"); n != 1 {
		t.Errorf("%d recovery lines, want 1 saying three cycles failed", n)
	}

	failFor(1)
	if n := count("level=WARN", "broker collection failed"); n != 2 {
		t.Errorf("%d warnings after a second run of failures, want 2 (one per run)", n)
	}
	if n := logs.count("broker collection", "broker="+good.Name); n != 0 {
		t.Errorf("the healthy broker logged %d broker collection lines", n)
	}
}
