package realbroker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Proxy is a rocketmq-proxy in cluster mode in front of a Cluster: the
// endpoint 5.x gRPC clients talk to. It holds no data: it routes through
// the cluster's namesrv and sends and pops on the cluster's brokers.
type Proxy struct {
	Version      string
	GRPCAddr     string // "127.0.0.1:port": what gRPC clients are given as endpoints
	RemotingAddr string // "127.0.0.1:port": the proxy's remoting (4.x protocol) endpoint
	Home         string // under the cluster's Home; gone with it

	cluster *Cluster
	proc    *process
}

// proxyStarted is what ProxyStartup prints once its gRPC and remoting
// servers listen (the last step of its start).
const proxyStarted = "rocketmq-proxy startup successfully"

// StartProxy starts a rocketmq-proxy of the cluster's version in cluster
// mode, pointed at the cluster's namesrv, and returns once it serves.
// There is no proxy before 5.0. Stop it with Stop before the cluster (the
// kernel kills it with the test process anyway).
func (c *Cluster) StartProxy(ctx context.Context) (*Proxy, error) {
	if isV4(c.Version) {
		return nil, fmt.Errorf("realbroker: RocketMQ %s has no proxy (5.0 and later)", c.Version)
	}
	java, _, err := c.classpath(ctx)
	if err != nil {
		return nil, err
	}
	cp, err := proxyClasspath(ctx, c.Version)
	if err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultStartTimeout)
		defer cancel()
	}
	for attempt := 1; ; attempt++ {
		p, err := c.startProxyOnce(ctx, java, cp)
		var be *bindError
		if err == nil || !errors.As(err, &be) || attempt == 3 || ctx.Err() != nil {
			return p, err
		}
		c.logf("realbroker: proxy port taken (%v), retrying with other ports", be)
	}
}

func proxyClasspath(ctx context.Context, version string) (string, error) {
	return mavenClasspath(ctx, "proxy-"+version, "rocketmq-proxy "+version, pomXML(version, "rocketmq-proxy"))
}

// ResolveProxy fetches (once, then from the cache) what StartProxy and
// StartClient need for version: the proxy's jars, the gRPC client's, and
// the client application compiled; nothing for 4.x, which has no proxy.
// CI calls it before the tests, which then need no network.
func ResolveProxy(ctx context.Context, version string) error {
	version = resolveVersion(version)
	if isV4(version) {
		return nil
	}
	if _, err := proxyClasspath(ctx, version); err != nil {
		return err
	}
	java, err := findJava()
	if err != nil {
		return err
	}
	_, _, err = clientClasspath(ctx, java)
	return err
}

func (c *Cluster) startProxyOnce(ctx context.Context, java, cp string) (*Proxy, error) {
	c.mu.Lock()
	stopped := c.stopped
	c.mu.Unlock()
	if stopped {
		return nil, errors.New("realbroker: StartProxy: cluster is stopped")
	}
	home, err := os.MkdirTemp(c.Home, "proxy-")
	if err != nil {
		return nil, fmt.Errorf("realbroker: %w", err)
	}
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	p := &Proxy{Version: c.Version, Home: home, cluster: c,
		GRPCAddr: "127.0.0.1:" + strconv.Itoa(ports[0]), RemotingAddr: "127.0.0.1:" + strconv.Itoa(ports[1])}
	if err := p.writeConf(ports); err != nil {
		return nil, fmt.Errorf("realbroker: proxy conf: %w", err)
	}
	t := time.Now()
	argv := c.jvm(java, []string{"-Xms64m", "-Xmx256m", "-XX:MaxDirectMemorySize=128m"}, home,
		"-Drmq.logback.configurationFile=rmq.proxy.logback.xml",
		"-cp", cp, "org.apache.rocketmq.proxy.ProxyStartup", "-pc", p.path("rmq-proxy.json"))
	env := append(c.childEnv(), "RMQ_PROXY_HOME="+home)
	if p.proc, err = startProcess("proxy", argv, env, home, p.path("proxy.out")); err != nil {
		return nil, err
	}
	if err := p.waitServing(ctx); err != nil {
		p.Stop()
		return nil, p.startError(err)
	}
	c.logf("realbroker: proxy %s (gRPC) / %s (remoting) up in %s", p.GRPCAddr, p.RemotingAddr, time.Since(t).Round(time.Millisecond))
	return p, nil
}

func (p *Proxy) path(elem ...string) string {
	return filepath.Join(append([]string{p.Home}, elem...)...)
}

// writeConf writes rmq-proxy.json: cluster mode, the cluster's namesrv,
// our ports, and thread pools sized for a small shared test machine.
func (p *Proxy) writeConf(ports []int) error {
	conf := map[string]any{
		"proxyMode":           "cluster",
		"rocketMQClusterName": p.cluster.ClusterName,
		"namesrvAddr":         p.cluster.NamesrvAddr,
		"grpcServerPort":      ports[0],
		"remotingListenPort":  ports[1],
		"grpcThreadPoolNums":  4,
		"grpcWorkerLoopNum":   2,
	}
	data, err := json.MarshalIndent(conf, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(p.path("rmq-proxy.json"), data, 0o644)
}

// waitServing waits until the proxy printed that it started and both its
// ports accept connections, or it exited.
func (p *Proxy) waitServing(ctx context.Context) error {
	for {
		if p.proc.exited() {
			return fmt.Errorf("proxy exited: %v", p.proc.exitErr())
		}
		if strings.Contains(tailFile(p.path("proxy.out"), 50), proxyStarted) && dials(p.GRPCAddr) && dials(p.RemotingAddr) {
			return nil
		}
		if err := sleepCtx(ctx, 250*time.Millisecond); err != nil {
			return err
		}
	}
}

func dials(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// startError names the proxy's ports and carries the tails of its output
// and log; a port clash is a bindError, so StartProxy tries other ports.
func (p *Proxy) startError(err error) error {
	var b strings.Builder
	for _, f := range []string{p.path("proxy.out"), p.path("logs", "rocketmqlogs", "proxy.log")} {
		if t := strings.TrimSpace(tailFile(f, 30)); t != "" {
			fmt.Fprintf(&b, "---- %s (tail) ----\n%s\n", f, t)
		}
	}
	diag := b.String()
	full := fmt.Errorf("realbroker: rocketmq-proxy %s did not come up (gRPC %s, remoting %s, home %s): %w\n%s",
		p.Version, p.GRPCAddr, p.RemotingAddr, p.Home, err, diag)
	if strings.Contains(diag, "Address already in use") || strings.Contains(diag, "BindException") {
		return &bindError{full}
	}
	return full
}

// Stop stops the proxy (SIGTERM, SIGKILL after 5 s). It is idempotent.
func (p *Proxy) Stop() {
	if p != nil && p.proc != nil {
		p.proc.stop(stopGrace)
	}
}

// freePorts draws n distinct ports that are free together.
func freePorts(n int) ([]int, error) {
	lo, hi := portRange()
	for range 500 {
		ports := make([]int, n)
		seen := map[int]bool{}
		for i := range ports {
			ports[i] = lo + rand.IntN(hi-lo)
			seen[ports[i]] = true
		}
		if len(seen) == n && portsFree(ports...) {
			return ports, nil
		}
	}
	return nil, fmt.Errorf("realbroker: found no %d free ports in [%d,%d)", n, lo, hi)
}
