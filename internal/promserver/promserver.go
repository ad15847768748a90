// Package promserver runs a real Prometheus server (the `prometheus`
// binary) on a free loopback port with its own data directory, and asks
// its HTTP API: the end-to-end tests check dashboards and alerts through
// it, and the demo starts one beside the exporter.
package promserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Config is what a Prometheus scrapes and evaluates.
type Config struct {
	Job      string        // job_name of the scrape config
	Targets  []string      // host:port of the exporters
	Interval time.Duration // scrape and evaluation interval (default 1s)
	Rules    []byte        // a rule file, or nil
	// Scrape is YAML added to the job's scrape config at its indentation
	// (4 spaces): scheme, basic_auth, tls_config; "" for none.
	Scrape string
}

// Server is a real Prometheus server (the `prometheus` binary) on a free
// loopback port, with its own data directory.
type Server struct {
	URL string // http://127.0.0.1:port

	cmd    *exec.Cmd
	dir    string
	out    *LogBuffer
	done   chan struct{}
	client *http.Client
	once   sync.Once
}

// Binary finds the prometheus binary: $PROMETHEUS_BIN, else PATH.
func Binary() (string, error) {
	if p := os.Getenv("PROMETHEUS_BIN"); p != "" {
		return p, nil
	}
	return exec.LookPath("prometheus")
}

// Start starts bin with cfg in a fresh temporary directory and
// returns once it is ready. Stop ends it and removes the directory.
func Start(ctx context.Context, bin string, cfg Config) (*Server, error) {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Job == "" {
		cfg.Job = "rocketmq"
	}
	dir, err := os.MkdirTemp("", "promserver-")
	if err != nil {
		return nil, err
	}
	var conf strings.Builder
	fmt.Fprintf(&conf, "global:\n  scrape_interval: %s\n  scrape_timeout: %s\n  evaluation_interval: %s\n",
		cfg.Interval, cfg.Interval, cfg.Interval)
	if cfg.Rules != nil {
		if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), cfg.Rules, 0o644); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		conf.WriteString("rule_files:\n  - rules.yaml\n")
	}
	fmt.Fprintf(&conf, "scrape_configs:\n  - job_name: %q\n%s    static_configs:\n      - targets:\n", cfg.Job, cfg.Scrape)
	for _, t := range cfg.Targets {
		fmt.Fprintf(&conf, "          - %q\n", t)
	}
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(conf.String()), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	// A free port can be taken between the probe and Prometheus' bind:
	// try a few.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		p, err := startOnce(ctx, bin, dir)
		if err == nil {
			return p, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	os.RemoveAll(dir)
	return nil, lastErr
}

// FreePort is a TCP port on loopback free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startOnce(ctx context.Context, bin, dir string) (*Server, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	data := filepath.Join(dir, fmt.Sprintf("data-%d", port))
	cmd := exec.Command(bin,
		"--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+data,
		"--storage.tsdb.retention.time=1d",
		"--web.listen-address="+addr,
		"--log.level=warn",
	)
	cmd.Dir = dir
	out := &LogBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &Server{URL: "http://" + addr, cmd: cmd, dir: dir, out: out, done: make(chan struct{}),
		client: &http.Client{Timeout: 10 * time.Second}}
	go func() { cmd.Wait(); close(p.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-p.done:
			return nil, fmt.Errorf("prometheus exited at start: %s", Tail(out.String(), 15))
		default:
		}
		if resp, err := p.client.Get(p.URL + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			p.kill()
			return nil, fmt.Errorf("prometheus not ready on %s: %s", addr, Tail(out.String(), 15))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop ends Prometheus (SIGTERM, then SIGKILL after 10 s) and removes its
// directory. It is safe to call twice.
func (p *Server) Stop() {
	p.once.Do(func() {
		p.kill()
		os.RemoveAll(p.dir)
	})
}

func (p *Server) kill() {
	pid := p.cmd.Process.Pid
	syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-pid, syscall.SIGKILL)
		<-p.done
	}
}

// Log is what Prometheus printed so far.
func (p *Server) Log() string { return p.out.String() }

// Sample is one series of an instant query result.
type Sample struct {
	Metric map[string]string
	Value  float64
}

// Query runs an instant query at the current time.
func (p *Server) Query(ctx context.Context, expr string) ([]Sample, error) {
	var data struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	if err := p.api(ctx, "/api/v1/query?"+url.Values{"query": {expr}}.Encode(), &data); err != nil {
		return nil, err
	}
	value := func(pair []any) float64 {
		if len(pair) == 2 {
			if s, ok := pair[1].(string); ok {
				f, _ := strconv.ParseFloat(s, 64)
				return f
			}
		}
		return 0
	}
	switch data.ResultType {
	case "vector":
		var res []struct {
			Metric map[string]string `json:"metric"`
			Value  []any             `json:"value"`
		}
		if err := json.Unmarshal(data.Result, &res); err != nil {
			return nil, err
		}
		out := make([]Sample, len(res))
		for i, r := range res {
			out[i] = Sample{Metric: r.Metric, Value: value(r.Value)}
		}
		return out, nil
	case "scalar":
		var pair []any
		if err := json.Unmarshal(data.Result, &pair); err != nil {
			return nil, err
		}
		return []Sample{{Value: value(pair)}}, nil
	}
	return nil, fmt.Errorf("query %s: result type %q", expr, data.ResultType)
}

// Alert is an active alert as /api/v1/alerts lists it.
type Alert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"` // pending or firing
	Value       string            `json:"value"`
}

// Alerts lists the pending and firing alerts.
func (p *Server) Alerts(ctx context.Context) ([]Alert, error) {
	var data struct {
		Alerts []Alert `json:"alerts"`
	}
	err := p.api(ctx, "/api/v1/alerts", &data)
	return data.Alerts, err
}

// RuleHealth is one rule as /api/v1/rules reports it.
type RuleHealth struct {
	Group     string
	Name      string
	Health    string
	LastError string
}

// Rules lists every loaded rule with its health.
func (p *Server) Rules(ctx context.Context) ([]RuleHealth, error) {
	var data struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []struct {
				Name      string `json:"name"`
				Health    string `json:"health"`
				LastError string `json:"lastError"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := p.api(ctx, "/api/v1/rules", &data); err != nil {
		return nil, err
	}
	var out []RuleHealth
	for _, g := range data.Groups {
		for _, r := range g.Rules {
			out = append(out, RuleHealth{Group: g.Name, Name: r.Name, Health: r.Health, LastError: r.LastError})
		}
	}
	return out, nil
}

func (p *Server) api(ctx context.Context, path string, data any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+path, nil)
	if err != nil {
		return err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var body struct {
		Status string          `json:"status"`
		Data   json.RawMessage `json:"data"`
		Error  string          `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return fmt.Errorf("%s: HTTP %d: %w", path, resp.StatusCode, err)
	}
	if body.Status != "success" {
		return errors.New(path + ": " + body.Error)
	}
	return json.Unmarshal(body.Data, data)
}

// LogBuffer collects a child process's output, written from its own
// goroutines and read by the test.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Tail is the last n lines of s, for error messages.
func Tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
