// Package rpcstats counts the exporter's own calls to RocketMQ: totals by
// request and error code for /metrics, and per-address counts per cycle so
// a cycle's cost can be reported and checked.
package rpcstats

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
)

// Recorder implements remoting.Observer. Its label sets are bounded by the
// request codes the exporter uses, so plain vectors are right here.
type Recorder struct {
	calls   *prometheus.CounterVec
	errors  *prometheus.CounterVec
	seconds *prometheus.CounterVec
	bytes   prometheus.Counter

	mu    sync.Mutex
	cycle map[string]map[string]int // addr -> request name -> calls
}

// New creates a Recorder and registers its counters with reg.
func New(reg prometheus.Registerer) *Recorder {
	r := &Recorder{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rocketmq_exporter_rpcs_total",
			Help: "Calls the exporter made to RocketMQ namesrvs and brokers, by request.",
		}, []string{"request"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rocketmq_exporter_rpc_errors_total",
			Help: "Failed calls, by request and error code: the broker's response code name, or transport/timeout/decode.",
		}, []string{"request", "code"}),
		seconds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rocketmq_exporter_rpc_duration_seconds_total",
			Help: "Time spent waiting for answers, by request.",
		}, []string{"request"}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rocketmq_exporter_rpc_received_body_bytes_total",
			Help: "Response body bytes received from RocketMQ.",
		}),
		cycle: map[string]map[string]int{},
	}
	if reg != nil {
		reg.MustRegister(r.calls, r.errors, r.seconds, r.bytes)
	}
	return r
}

// ObserveRPC records one round trip.
func (r *Recorder) ObserveRPC(addr string, code int, d time.Duration, bytesIn int, err error) {
	name := remoting.RequestName(code)
	r.calls.WithLabelValues(name).Inc()
	r.seconds.WithLabelValues(name).Add(d.Seconds())
	r.bytes.Add(float64(bytesIn))
	if err != nil {
		r.errors.WithLabelValues(name, errorCode(err)).Inc()
	}
	r.mu.Lock()
	m := r.cycle[addr]
	if m == nil {
		m = map[string]int{}
		r.cycle[addr] = m
	}
	m[name]++
	r.mu.Unlock()
}

// DecodeFailed records a body that arrived but did not parse (wired to
// admin.Client.OnDecodeError); the round trip itself was already counted
// as a success by ObserveRPC.
func (r *Recorder) DecodeFailed(code int) {
	r.errors.WithLabelValues(remoting.RequestName(code), "decode").Inc()
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

// TakeCycle returns the per-address call counts since the last TakeCycle
// and starts counting afresh.
func (r *Recorder) TakeCycle() map[string]map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.cycle
	r.cycle = map[string]map[string]int{}
	return out
}
