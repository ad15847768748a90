package wirecount

import (
	"context"
	"maps"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/app"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/realbroker"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
)

func portOf(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	if err != nil || n == 0 {
		t.Fatalf("address %q", addr)
	}
	return n
}

// Against a real namesrv and broker, what the wire shows the exporter
// asking in each cycle (requests captured between the end of the previous
// cycle and the end of this one) is what its own counter says, request by
// request: the method cmd/benchreal relies on.
func TestWireEqualsTheExporterCounterOnARealBroker(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real RocketMQ")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c, err := realbroker.Start(ctx, realbroker.Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	capt, _ := startCapture(t, portOf(t, c.NamesrvAddr), portOf(t, c.BrokerAddr))
	defer capt.Stop()

	set := app.Defaults()
	set.Namesrvs = []string{c.NamesrvAddr}
	set.CycleTimeout = time.Minute
	a, err := app.New(set, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var prev time.Time
	var ends []time.Time
	var counted []map[string]int
	for i := 0; i < 3; i++ {
		s := a.Cycle(ctx)
		if len(s.Brokers) != 1 || !s.Brokers[0].Up {
			t.Fatalf("cycle %d: brokers %+v", s.Seq, s.Brokers)
		}
		ends, counted = append(ends, s.Finished), append(counted, s.RPCs)
	}
	if err := capt.Sync(); err != nil {
		t.Fatal(err)
	}
	for i, end := range ends {
		byCode, err := capt.Requests(prev, end)
		if err != nil {
			t.Fatal(err)
		}
		wire := map[string]int{}
		for code, n := range byCode {
			wire[remoting.RequestName(code)] += n
		}
		if !maps.Equal(wire, counted[i]) || len(wire) < 5 {
			t.Errorf("cycle %d: on the wire %v, the exporter's counter %v", i+1, wire, counted[i])
		}
		prev = end
	}
	if after, _ := capt.Requests(prev, time.Time{}); len(after) != 0 {
		t.Errorf("requests after the last cycle: %v", after)
	}
}
