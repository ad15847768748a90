package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// buildExporter builds cmd/exporter into dir, so that the exporter runs as
// a process of its own and its RSS is its own.
func buildExporter(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "rocketmq_exporter")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/exporter")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/exporter (run from the repository root): %v\n%s", err, out)
	}
	return bin, nil
}

// exporter is a running exporter process.
type exporter struct {
	cmd  *exec.Cmd
	url  string
	log  string
	done chan struct{}
}

// startExporter runs bin with cmd/exporter's defaults except the interval
// and a cycle deadline long enough that cycles are measured, not cut.
func startExporter(bin, namesrv string, every time.Duration, dir string) (*exporter, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	logPath := filepath.Join(dir, "exporter.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(bin, "--rocketmq.namesrv-addr="+namesrv, "--collect.interval="+every.String(),
		"--collect.timeout=1m", "--web.listen-address="+addr, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("exporter: %w", err)
	}
	e := &exporter{cmd: cmd, url: "http://" + addr + "/metrics", log: logPath, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(e.done) }()
	return e, nil
}

// stop ends the exporter (SIGTERM, SIGKILL after 10 s).
func (e *exporter) stop() {
	_ = e.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-e.done:
	case <-time.After(10 * time.Second):
		_ = e.cmd.Process.Kill()
		<-e.done
	}
}

func (e *exporter) exited() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

func (e *exporter) logTail() string {
	b, _ := os.ReadFile(e.log)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// observation is one served snapshot as /metrics shows it, with the
// process's memory when it was read.
type observation struct {
	seq      int
	finished time.Time      // rocketmq_exporter_last_cycle_timestamp_seconds
	took     time.Duration  // rocketmq_exporter_last_cycle_duration_seconds
	rpcs     map[string]int // rocketmq_exporter_rpcs_total: since start, by request
	errors   int            // rocketmq_exporter_rpc_errors_total, summed
	down     []string       // rocketmq_up samples at 0
	series   int            // sample lines
	rss, hwm int64          // bytes: VmRSS and VmHWM of /proc/<pid>/status
}

var client = &http.Client{Timeout: 10 * time.Second}

// scrape reads /metrics (uncompressed: the exporter's gzip is not what is
// measured) and the process's memory.
func (e *exporter) scrape(ctx context.Context) (*observation, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", e.url, resp.Status)
	}
	o, err := parseMetrics(resp.Body)
	if err != nil {
		return nil, err
	}
	o.rss, o.hwm, err = memory(e.cmd.Process.Pid)
	return o, err
}

// parseMetrics reads the few self-metrics the bench needs and counts the
// sample lines.
func parseMetrics(r io.Reader) (*observation, error) {
	o := &observation{rpcs: map[string]int{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		o.series++
		i := strings.LastIndexByte(line, ' ')
		name, labels, _ := strings.Cut(line[:max(i, 0)], "{")
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if i < 0 || err != nil {
			return nil, fmt.Errorf("/metrics line %q", line)
		}
		switch name {
		case "rocketmq_exporter_cycles_total":
			o.seq = int(v)
		case "rocketmq_exporter_last_cycle_timestamp_seconds":
			o.finished = time.UnixMilli(int64(math.Round(v * 1000))) // written in whole milliseconds
		case "rocketmq_exporter_last_cycle_duration_seconds":
			o.took = time.Duration(v * 1e9)
		case "rocketmq_exporter_rpcs_total":
			o.rpcs[label(labels, "request")] = int(v)
		case "rocketmq_exporter_rpc_errors_total":
			o.errors += int(v)
		case "rocketmq_up":
			if v == 0 {
				o.down = append(o.down, labels)
			}
		}
	}
	return o, sc.Err()
}

// label returns one label's value from `a="x",b="y"}` (values here have no
// escapes: request names and broker names).
func label(labels, name string) string {
	_, rest, ok := strings.Cut(labels, name+`="`)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, `"`)
	return v
}

// memory reads the resident set and its peak from /proc/<pid>/status.
func memory(pid int) (rss, hwm int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ":")
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			rss = kb << 10
		case "VmHWM":
			hwm = kb << 10
		}
	}
	return rss, hwm, nil
}
