// Package rpcstats counts the exporter's own calls to RocketMQ: totals by
// request and error code, and per-address counts per cycle so a cycle's
// cost can be reported and checked. The poller copies both into each
// snapshot; the collector serves them from there like every other family.
package rpcstats

import (
	"context"
	"errors"
	"maps"
	"sync"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// Recorder implements remoting.Observer. Its keys are bounded by the
// request codes the exporter uses and the error codes brokers answer.
type Recorder struct {
	mu     sync.Mutex
	totals snapshot.RPCTotals
	cycle  map[string]map[string]int // addr -> request name -> calls
}

// New creates a Recorder.
func New() *Recorder {
	return &Recorder{cycle: map[string]map[string]int{}, totals: snapshot.RPCTotals{
		Calls: map[string]int64{}, Errors: map[snapshot.RPCError]int64{}, Seconds: map[string]float64{}}}
}

// ObserveRPC records one round trip.
func (r *Recorder) ObserveRPC(addr string, code int, d time.Duration, bytesIn int, err error) {
	name := remoting.RequestName(code)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.totals.Calls[name]++
	r.totals.Seconds[name] += d.Seconds()
	r.totals.BodyBytes += int64(bytesIn)
	if err != nil {
		r.totals.Errors[snapshot.RPCError{Request: name, Code: errorCode(err)}]++
	}
	m := r.cycle[addr]
	if m == nil {
		m = map[string]int{}
		r.cycle[addr] = m
	}
	m[name]++
}

// DecodeFailed records a body that arrived but did not parse (wired to
// admin.Client.OnDecodeError); the round trip itself was already counted
// as a success by ObserveRPC.
func (r *Recorder) DecodeFailed(code int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.totals.Errors[snapshot.RPCError{Request: remoting.RequestName(code), Code: "decode"}]++
}

func errorCode(err error) string {
	if c := remoting.ResponseCode(err); c >= 0 {
		return remoting.CodeName(c)
	}
	if isTimeout(err) {
		return "timeout"
	}
	return "transport"
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &t) && t.Timeout())
}

// Totals returns a copy of the totals so far.
func (r *Recorder) Totals() snapshot.RPCTotals {
	r.mu.Lock()
	defer r.mu.Unlock()
	return snapshot.RPCTotals{Calls: maps.Clone(r.totals.Calls), Errors: maps.Clone(r.totals.Errors),
		Seconds: maps.Clone(r.totals.Seconds), BodyBytes: r.totals.BodyBytes}
}

// TakeCycle returns the per-address call counts since the last TakeCycle
// and starts counting afresh.
func (r *Recorder) TakeCycle() map[string]map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.cycle
	r.cycle = map[string]map[string]int{}
	return out
}
