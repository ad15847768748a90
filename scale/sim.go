// Package scale measures the exporter against the simulated cluster of
// package simbroker: cycle cost (time, RPCs by request, bytes, allocations),
// scrape cost, memory, and behaviour under broker faults. The benchmarks and
// fault tests live here; cmd/bench prints the table of BENCHMARKS.md.
package scale

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
)

// Sim is a simulated cluster the measurements drive, in this process or in
// a child process (so the exporter's memory and allocations are its own).
type Sim interface {
	Namesrv() string
	Tick() error
	Churn(frac float64) error
	Truth(window time.Duration) ([]simbroker.BrokerTruth, error)
	// BytesOut is every byte the simulated servers have written.
	BytesOut() (int64, error)
	// Received is every request the simulated servers have received, by
	// server and request code: the receiving side's count of RPCs.
	Received() (simbroker.Received, error)
	Close() error
}

// Local wraps a cluster running in this process.
func Local(c *simbroker.Cluster) Sim { return local{c} }

type local struct{ c *simbroker.Cluster }

func (l local) Namesrv() string { return l.c.Namesrv.Addr }
func (l local) Tick() error     { l.c.Tick(); return nil }
func (l local) Churn(f float64) error {
	l.c.Churn(f)
	return nil
}
func (l local) Truth(w time.Duration) ([]simbroker.BrokerTruth, error) { return l.c.Truth(w), nil }
func (l local) BytesOut() (int64, error) {
	var n int64
	for _, s := range l.c.Servers() {
		n += s.BytesOut()
	}
	return n, nil
}
func (l local) Received() (simbroker.Received, error) { return l.c.Received(), nil }
func (l local) Close() error                          { l.c.Close(); return nil }

// request and reply are the child's line protocol: one JSON object a line.
type request struct {
	Op     string        `json:"op"` // tick, churn, truth, bytes, received, quit
	Frac   float64       `json:"frac,omitempty"`
	Window time.Duration `json:"window,omitempty"`
}

type reply struct {
	Err      string                  `json:"err,omitempty"`
	Namesrv  string                  `json:"namesrv,omitempty"`
	Truth    []simbroker.BrokerTruth `json:"truth,omitempty"`
	Bytes    int64                   `json:"bytes,omitempty"`
	Received simbroker.Received      `json:"received,omitempty"`
}

// ServeChild runs a cluster with the options read from the first line of
// in, then answers requests from in on out until "quit" or end of input.
func ServeChild(in io.Reader, out io.Writer) error {
	br := bufio.NewReaderSize(in, 64<<10)
	enc := json.NewEncoder(out)
	line, err := br.ReadBytes('\n')
	if err != nil {
		return err
	}
	var opts simbroker.Options
	if err := json.Unmarshal(line, &opts); err != nil {
		return err
	}
	c, err := simbroker.Start(opts)
	if err != nil {
		enc.Encode(reply{Err: err.Error()})
		return err
	}
	defer c.Close()
	sim := Local(c)
	if err := enc.Encode(reply{Namesrv: sim.Namesrv()}); err != nil {
		return err
	}
	for {
		line, err := br.ReadBytes('\n')
		if err != nil {
			return nil
		}
		var req request
		var rep reply
		if err := json.Unmarshal(line, &req); err != nil {
			rep.Err = err.Error()
		} else {
			switch req.Op {
			case "tick":
				sim.Tick()
			case "churn":
				sim.Churn(req.Frac)
			case "truth":
				rep.Truth, _ = sim.Truth(req.Window)
			case "bytes":
				rep.Bytes, _ = sim.BytesOut()
			case "received":
				rep.Received, _ = sim.Received()
			case "quit":
				enc.Encode(rep)
				return nil
			default:
				rep.Err = "unknown op " + req.Op
			}
		}
		if err := enc.Encode(rep); err != nil {
			return err
		}
	}
}

// Remote is a cluster in a child process started by Spawn.
type Remote struct {
	cmd     *exec.Cmd
	in      io.WriteCloser
	out     *bufio.Reader
	mu      sync.Mutex
	namesrv string
}

// Spawn runs exe with args (which must make it call ServeChild) and starts
// a cluster with opts in it.
func Spawn(exe string, args []string, opts simbroker.Options) (*Remote, error) {
	cmd := exec.Command(exe, args...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r := &Remote{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 64<<10)}
	b, err := json.Marshal(opts)
	if err != nil {
		r.kill()
		return nil, err
	}
	if _, err := in.Write(append(b, '\n')); err != nil {
		r.kill()
		return nil, err
	}
	rep, err := r.read()
	if err != nil {
		r.kill()
		return nil, fmt.Errorf("simulator child: %w", err)
	}
	r.namesrv = rep.Namesrv
	return r, nil
}

func (r *Remote) kill() {
	r.cmd.Process.Kill()
	r.cmd.Wait()
}

func (r *Remote) read() (reply, error) {
	var rep reply
	line, err := r.out.ReadBytes('\n')
	if err != nil {
		return rep, err
	}
	if err := json.Unmarshal(line, &rep); err != nil {
		return rep, err
	}
	if rep.Err != "" {
		return rep, errors.New(rep.Err)
	}
	return rep, nil
}

func (r *Remote) do(req request) (reply, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, _ := json.Marshal(req)
	if _, err := r.in.Write(append(b, '\n')); err != nil {
		return reply{}, err
	}
	return r.read()
}

// Namesrv is the child's namesrv address.
func (r *Remote) Namesrv() string { return r.namesrv }

// Pid is the child's process id.
func (r *Remote) Pid() int { return r.cmd.Process.Pid }

// Tick applies one tick of traffic in the child.
func (r *Remote) Tick() error { _, err := r.do(request{Op: "tick"}); return err }

// Churn replaces frac of the topics and groups in the child.
func (r *Remote) Churn(frac float64) error {
	_, err := r.do(request{Op: "churn", Frac: frac})
	return err
}

// Truth asks the child what its brokers hold.
func (r *Remote) Truth(w time.Duration) ([]simbroker.BrokerTruth, error) {
	rep, err := r.do(request{Op: "truth", Window: w})
	return rep.Truth, err
}

// BytesOut asks the child how many bytes its servers wrote.
func (r *Remote) BytesOut() (int64, error) {
	rep, err := r.do(request{Op: "bytes"})
	return rep.Bytes, err
}

// Received asks the child which requests its servers received.
func (r *Remote) Received() (simbroker.Received, error) {
	rep, err := r.do(request{Op: "received"})
	return rep.Received, err
}

// Close stops the child.
func (r *Remote) Close() error {
	r.do(request{Op: "quit"})
	r.in.Close()
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		r.cmd.Process.Kill()
		return <-done
	}
}
