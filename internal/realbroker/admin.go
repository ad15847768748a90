package realbroker

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// MQAdmin runs the official mqadmin CLI (MQAdminStartup) of the cluster's
// version, adding "-n NamesrvAddr" unless -n/--namesrvAddr is given, and
// returns stdout and stderr combined.
//
// mqadmin exits with status 0 even when a sub command fails (it prints the
// stack trace and returns), so besides a non-zero exit, an exception that
// reached MQAdminStartup.main0 or "The sub command X not exist." also count as
// failure; the error then includes the output. Each call starts a JVM and
// takes about 4-6 s (most of it the client's shutdown).
//
// With ACL enabled, put the credentials into conf/tools.yml via
// Options.ExtraFiles (mqadmin reads rocketmq.home.dir/conf/tools.yml).
func (c *Cluster) MQAdmin(ctx context.Context, args ...string) (string, error) {
	if len(args) == 0 {
		return "", fmt.Errorf("realbroker: MQAdmin: no sub command")
	}
	java, cp, err := c.classpath(ctx)
	if err != nil {
		return "", err
	}
	hasN := false
	for _, a := range args[1:] {
		if a == "-n" || a == "--namesrvAddr" || strings.HasPrefix(a, "--namesrvAddr=") {
			hasN = true
		}
	}
	if !hasN {
		args = append(append([]string(nil), args...), "-n", c.NamesrvAddr)
	}
	argv := c.toolsArgv(java, cp, args)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = c.Home
	cmd.Env = c.childEnv()
	cmd.SysProcAttr = childAttr()
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		return "", fmt.Errorf("realbroker: mqadmin: cluster is stopped")
	}
	if err := spawn(cmd); err != nil {
		c.mu.Unlock()
		return "", fmt.Errorf("realbroker: mqadmin: %w", err)
	}
	if c.admins == nil {
		c.admins = map[*exec.Cmd]bool{}
	}
	c.admins[cmd] = true
	c.mu.Unlock()
	err = cmd.Wait()
	c.mu.Lock()
	delete(c.admins, cmd)
	c.mu.Unlock()
	s := out.String()
	name := "mqadmin " + strings.Join(args, " ")
	switch {
	case err != nil:
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return s, fmt.Errorf("realbroker: %s: %v\n%s", name, err, tailLines(s, 60))
	case strings.Contains(s, "MQAdminStartup.main0("):
		return s, fmt.Errorf("realbroker: %s failed:\n%s", name, tailLines(s, 60))
	case strings.Contains(s, "The sub command ") && strings.Contains(s, " not exist."):
		return s, fmt.Errorf("realbroker: %s: %s", name, strings.TrimSpace(s))
	}
	return s, nil
}

// classpath returns the classpath, resolving it on first use (External
// clusters only need it when MQAdmin is called).
func (c *Cluster) classpath(ctx context.Context) (java, cp string, err error) {
	c.cpMu.Lock()
	defer c.cpMu.Unlock()
	if c.java == "" {
		if c.java, err = findJava(); err != nil {
			return "", "", err
		}
	}
	if c.cp == "" {
		if c.cp, err = Classpath(ctx, c.Version); err != nil {
			return "", "", err
		}
	}
	return c.java, c.cp, nil
}

// FromEnv returns the cluster named by $ROCKETMQ_NAMESRV_ADDR (External;
// BrokerAddr from $ROCKETMQ_BROKER_ADDR or else the master of
// Options.BrokerName, or of the first broker by name, as listed by the
// namesrv), or else starts one with Start.
func FromEnv(ctx context.Context, opts Options) (*Cluster, error) {
	ns := strings.TrimSpace(os.Getenv("ROCKETMQ_NAMESRV_ADDR"))
	if ns == "" {
		return Start(ctx, opts)
	}
	c := newCluster(opts)
	if err := checkVersion(c.Version); err != nil {
		return nil, err
	}
	if err := c.setTLS(opts.TLS); err != nil {
		return nil, err
	}
	c.External = true
	c.NamesrvAddr = ns
	for _, a := range strings.FieldsFunc(ns, func(r rune) bool { return r == ';' || r == ',' }) {
		c.NamesrvAddrs = append(c.NamesrvAddrs, strings.TrimSpace(a))
	}
	if len(c.NamesrvAddrs) == 0 {
		return nil, fmt.Errorf("realbroker: ROCKETMQ_NAMESRV_ADDR=%q names no address", ns)
	}
	if ba := strings.TrimSpace(os.Getenv("ROCKETMQ_BROKER_ADDR")); ba != "" {
		c.BrokerAddr = ba
	} else {
		ci, err := c.clusterInfo(ctx, c.NamesrvAddrs[0])
		if err != nil {
			return nil, fmt.Errorf("realbroker: ROCKETMQ_NAMESRV_ADDR=%s: cluster info: %w", ns, err)
		}
		cluster, name, addr, ok := masterOf(ci, opts.BrokerName)
		if !ok {
			return nil, fmt.Errorf("realbroker: ROCKETMQ_NAMESRV_ADDR=%s lists no broker %q; set ROCKETMQ_BROKER_ADDR", ns, opts.BrokerName)
		}
		c.ClusterName, c.BrokerName, c.BrokerAddr = cluster, name, addr
	}
	home, err := os.MkdirTemp("", homePrefix+"external-")
	if err != nil {
		return nil, fmt.Errorf("realbroker: %w", err)
	}
	c.Home = home
	if err := c.writeHome(opts.ExtraFiles); err != nil {
		os.RemoveAll(home)
		return nil, fmt.Errorf("realbroker: writing %s: %w", home, err)
	}
	c.logf("realbroker: using external cluster: namesrv %s, broker %s", c.NamesrvAddr, c.BrokerAddr)
	return c, nil
}

// Main is a TestMain helper: it gets a cluster with FromEnv, passes it to
// set, runs the tests and stops the cluster. SIGINT/SIGTERM stop the cluster
// before the process exits. If the cluster cannot be started it prints why
// and returns 1. Use it as os.Exit(realbroker.Main(m, opts, set)).
func Main(m *testing.M, opts Options, set func(*Cluster)) int {
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigc)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		mu  sync.Mutex
		cur *Cluster
	)
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case s := <-sigc:
			cancel() // aborts a Start in progress; Start then cleans up itself
			mu.Lock()
			c := cur
			mu.Unlock()
			if c == nil {
				return
			}
			fmt.Fprintf(os.Stderr, "realbroker: %v: stopping the RocketMQ cluster\n", s)
			c.Stop()
			os.Exit(1)
		case <-finished:
		}
	}()

	startCtx, startCancel := context.WithTimeout(ctx, 10*time.Minute)
	c, err := FromEnv(startCtx, opts)
	startCancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "realbroker: cannot get a RocketMQ cluster: %v\n", err)
		return 1
	}
	mu.Lock()
	if ctx.Err() != nil { // a signal arrived just as the cluster came up
		mu.Unlock()
		c.Stop()
		return 1
	}
	cur = c
	mu.Unlock()
	defer c.Stop()
	if set != nil {
		set(c)
	}
	return m.Run()
}
