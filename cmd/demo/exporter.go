package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// exporterProc is the exporter running as a child process.
type exporterProc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when it exited
	err  error         // its exit status, valid after done
}

// findExporter resolves the -exporter flag: a path, or a name on PATH.
func findExporter(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("exporter binary %q not found (run `make build` first, or pass -exporter): %v", name, err)
	}
	return filepath.Abs(p)
}

// exporterArgs are the flags the demo gives the exporter; extra come last
// so they can override the others.
func exporterArgs(cfg config, namesrv string) []string {
	args := []string{
		"--rocketmq.namesrv-addr=" + namesrv,
		"--web.listen-address=" + cfg.listen,
		"--collect.interval=" + cfg.interval.String(),
	}
	return append(args, cfg.extra...)
}

func startExporter(exe string, cfg config, namesrv string, out io.Writer) (*exporterProc, error) {
	cmd := exec.Command(exe, exporterArgs(cfg, namesrv)...)
	cmd.Stdout = out
	cmd.Stderr = out
	// Its own process group: a Ctrl-C in the terminal reaches only the
	// demo, which then stops the exporter first. Pdeathsig kills it if the
	// demo dies without doing so.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start exporter %s: %w", exe, err)
	}
	p := &exporterProc{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// waitReady polls url until it answers 200, the exporter exits, ctx ends or
// d passes.
func (p *exporterProc) waitReady(ctx context.Context, url string, d time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(d)
	last := "no answer"
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("exporter not ready at %s after %v: %s", url, d, last)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.done:
			return fmt.Errorf("the exporter exited before it was ready: %v", p.err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// stop sends SIGTERM, waits up to 10 s for a clean exit, then SIGKILLs.
func (p *exporterProc) stop(logger *log.Logger) {
	select {
	case <-p.done:
		return
	default:
	}
	logger.Printf("stopping the exporter (pid %d)", p.cmd.Process.Pid)
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
		return
	case <-time.After(10 * time.Second):
	}
	logger.Printf("the exporter did not stop in 10 s: killing it")
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// baseURL turns a listen address into a URL a browser on this machine can
// open: an empty or wildcard host becomes localhost.
func baseURL(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "http://" + listen
	}
	switch host {
	case "", "0.0.0.0", "::":
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// exporterTarget is the exporter's address as Prometheus scrapes it.
func exporterTarget(listen string) string {
	return strings.TrimPrefix(baseURL(listen), "http://")
}
