// Package realbroker starts a real Apache RocketMQ namesrv and broker on
// loopback, from the jars Maven Central publishes, for tests and demos.
//
// It needs java (11+, 17 verified) and mvn on PATH ($JAVA_HOME/bin/java is
// preferred when set). The classpath of each version is resolved once with
// `mvn dependency:build-classpath` and cached under CacheDir.
//
// Typical use in a test package:
//
//	var cluster *realbroker.Cluster
//
//	func TestMain(m *testing.M) {
//		os.Exit(realbroker.Main(m, realbroker.Options{}, func(c *realbroker.Cluster) { cluster = c }))
//	}
//
// Environment:
//
//	ROCKETMQ_VERSION          version when Options.Version is empty (default DefaultVersion)
//	ROCKETMQ_NAMESRV_ADDR     FromEnv/Main use this running cluster instead of starting one
//	ROCKETMQ_BROKER_ADDR      its broker (else discovered from the namesrv)
//	ROCKETMQ_EXPORTER_CACHE   classpath cache dir (see CacheDir)
package realbroker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
)

// DefaultVersion is the RocketMQ version started when neither
// Options.Version nor $ROCKETMQ_VERSION says otherwise.
const DefaultVersion = "5.3.3"

// SupportedVersions are the versions verified to start with this package.
// Other published versions are attempted too.
var SupportedVersions = []string{"5.3.3", "5.4.0", "4.9.7"}

// Options configure Start and FromEnv.
type Options struct {
	Version    string            // "" → env ROCKETMQ_VERSION, else DefaultVersion
	BrokerConf []string          // extra broker.conf lines, e.g. "aclEnable=true"; they come last, so they override the defaults
	ExtraFiles map[string]string // files written under the rocketmq home dir before start, path relative to home (e.g. "conf/plain_acl.yml")
	// Credentials sign the harness's own polls (cluster info, the broker's
	// runtime info) for a broker started with ACL enabled; nil: unsigned.
	Credentials *remoting.Credentials

	ClusterName, BrokerName string // defaults "DefaultCluster", "broker-a"

	Logf func(format string, args ...any) // optional progress log
}

// Cluster is a running (or external) namesrv + broker pair.
type Cluster struct {
	Version     string
	ClusterName string
	BrokerName  string
	NamesrvAddr string // "127.0.0.1:port"
	BrokerAddr  string // "127.0.0.1:port" (listenPort)
	Home        string // temp dir (rocketmq.home.dir); removed by Stop
	External    bool   // true when ROCKETMQ_NAMESRV_ADDR pointed us at a running cluster

	// Credentials are Options.Credentials: what the harness signs its polls with.
	Credentials *remoting.Credentials

	logf        func(string, ...any)
	java        string
	namesrvPort int
	brokerPort  int

	cpMu sync.Mutex // guards java and cp once the cluster is shared
	cp   string

	stopOnce sync.Once
	mu       sync.Mutex // guards the fields below
	namesrv  *process
	broker   *process
	admins   map[*exec.Cmd]bool // running mqadmin JVMs, killed by Stop
	stopped  bool
}

const (
	defaultStartTimeout = 3 * time.Minute // per Start when ctx has no deadline
	stopGrace           = 5 * time.Second
	homePrefix          = "realbroker-"
)

var jvmOpens = []string{
	"--add-opens", "java.base/java.nio=ALL-UNNAMED",
	"--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED",
	"--add-opens", "java.base/jdk.internal.ref=ALL-UNNAMED",
	"--add-opens", "java.base/java.lang=ALL-UNNAMED",
}

// jvmCommon keeps the JVMs small and quick to start: one GC thread pool,
// C1 only, no hsperfdata files.
var jvmCommon = []string{
	"-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData",
	"-Djava.net.preferIPv4Stack=true", "-Djava.awt.headless=true",
}

func newCluster(opts Options) *Cluster {
	c := &Cluster{
		Version:     resolveVersion(opts.Version),
		ClusterName: opts.ClusterName,
		BrokerName:  opts.BrokerName,
		Credentials: opts.Credentials,
		logf:        opts.Logf,
	}
	if c.ClusterName == "" {
		c.ClusterName = "DefaultCluster"
	}
	if c.BrokerName == "" {
		c.BrokerName = "broker-a"
	}
	if c.logf == nil {
		c.logf = func(string, ...any) {}
	}
	return c
}

func findJava() (string, error) {
	if jh := os.Getenv("JAVA_HOME"); jh != "" {
		p := filepath.Join(jh, "bin", "java")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	p, err := exec.LookPath("java")
	if err != nil {
		return "", fmt.Errorf("realbroker: java is needed to run RocketMQ: %w", err)
	}
	return p, nil
}

// Start resolves the classpath, writes the confs into a fresh temp dir,
// starts the namesrv and then the broker, and returns once the namesrv lists
// the broker. When ctx has no deadline, startup (after the classpath) is
// bounded by 3 minutes. On failure everything is stopped and removed, and the
// error carries the tails of the JVM output and RocketMQ logs.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	c := newCluster(opts)
	if err := checkVersion(c.Version); err != nil {
		return nil, err
	}
	java, err := findJava()
	if err != nil {
		return nil, err
	}
	c.java = java
	sweepStaleHomes()

	t0 := time.Now()
	c.logf("realbroker: resolving RocketMQ %s classpath (cache %s)", c.Version, CacheDir())
	cp, err := Classpath(ctx, c.Version)
	if err != nil {
		return nil, err
	}
	c.cp = cp
	c.logf("realbroker: classpath ready in %s", time.Since(t0).Round(time.Millisecond))

	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultStartTimeout)
		defer cancel()
	}
	const attempts = 3
	for attempt := 1; ; attempt++ {
		err := c.startOnce(ctx, opts)
		if err == nil {
			c.logf("realbroker: RocketMQ %s up: namesrv %s, broker %s (%s total)", c.Version, c.NamesrvAddr, c.BrokerAddr, time.Since(t0).Round(time.Millisecond))
			return c, nil
		}
		var be *bindError
		if errors.As(err, &be) && attempt < attempts && ctx.Err() == nil {
			c.logf("realbroker: port taken (%v), retrying with other ports", be)
			continue
		}
		return nil, err
	}
}

// bindError marks a start that failed because a port was taken between the
// probe and the JVM's bind (another test package can race us).
type bindError struct{ err error }

func (e *bindError) Error() string { return e.err.Error() }
func (e *bindError) Unwrap() error { return e.err }

func (c *Cluster) startOnce(ctx context.Context, opts Options) (err error) {
	home, err := os.MkdirTemp("", homePrefix+c.Version+"-")
	if err != nil {
		return fmt.Errorf("realbroker: %w", err)
	}
	c.Home = home
	defer func() {
		if err != nil {
			c.killAll()
			os.RemoveAll(home)
		}
	}()
	if err := c.writeHome(opts.ExtraFiles); err != nil {
		return fmt.Errorf("realbroker: writing %s: %w", home, err)
	}
	c.namesrvPort, c.brokerPort, err = pickPorts()
	if err != nil {
		return err
	}
	c.NamesrvAddr = "127.0.0.1:" + strconv.Itoa(c.namesrvPort)
	c.BrokerAddr = "127.0.0.1:" + strconv.Itoa(c.brokerPort)
	if err := c.writeConfs(opts.BrokerConf); err != nil {
		return fmt.Errorf("realbroker: writing confs: %w", err)
	}

	t := time.Now()
	ns, err := startProcess("namesrv", c.namesrvArgv(), c.childEnv(), c.Home, c.path("logs", "namesrv.out"))
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.namesrv = ns
	c.mu.Unlock()
	if err := c.waitNamesrv(ctx); err != nil {
		return c.startError("namesrv", err)
	}
	c.logf("realbroker: namesrv %s up in %s", c.NamesrvAddr, time.Since(t).Round(time.Millisecond))

	if err := c.launchBroker(ctx); err != nil {
		return c.startError("broker", err)
	}
	return nil
}

func (c *Cluster) launchBroker(ctx context.Context) error {
	t := time.Now()
	br, err := startProcess("broker", c.brokerArgv(), c.childEnv(), c.Home, c.path("logs", "broker.out"))
	if err != nil {
		return err
	}
	c.mu.Lock()
	if c.stopped { // Stop ran meanwhile: it cannot have seen this process
		c.mu.Unlock()
		br.stop(stopGrace)
		return errors.New("cluster stopped")
	}
	c.broker = br
	c.mu.Unlock()
	if err := c.waitRegistered(ctx, br); err != nil {
		return err
	}
	c.logf("realbroker: broker %s registered in %s", c.BrokerAddr, time.Since(t).Round(time.Millisecond))
	return nil
}

// startError wraps a start failure with diagnostics and marks port clashes.
func (c *Cluster) startError(what string, err error) error {
	diag := c.diagnostics(what)
	full := fmt.Errorf("realbroker: RocketMQ %s %s did not come up (namesrv %s, broker %s, home %s): %w\n%s",
		c.Version, what, c.NamesrvAddr, c.BrokerAddr, c.Home, err, diag)
	if strings.Contains(diag, "Address already in use") || strings.Contains(diag, "BindException") {
		return &bindError{full}
	}
	return full
}

// diagnostics collects the tails of the JVM outputs and of the RocketMQ logs
// of the process that failed (who: "namesrv" or "broker...").
func (c *Cluster) diagnostics(who string) string {
	var b strings.Builder
	add := func(label, path string, n int) {
		t := strings.TrimSpace(tailFile(path, n))
		if t == "" {
			return
		}
		fmt.Fprintf(&b, "---- %s (%s, tail) ----\n%s\n", label, path, t)
	}
	add("namesrv stdout/stderr", c.path("logs", "namesrv.out"), 30)
	proc, files := "namesrv", []string{"namesrv.log", "namesrv_default.log"}
	if strings.HasPrefix(who, "broker") {
		add("broker stdout/stderr", c.path("logs", "broker.out"), 40)
		proc, files = "broker", []string{"broker.log", "broker_default.log", "store.log"}
	}
	for _, f := range files {
		add(proc+" "+f, c.path(proc, "logs", "rocketmqlogs", f), 25)
	}
	return b.String()
}

func (c *Cluster) childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "ROCKETMQ_HOME", "NAMESRV_ADDR", "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "ROCKETMQ_HOME="+c.Home)
}

func (c *Cluster) jvm(java string, heap []string, userHome string, extra ...string) []string {
	argv := []string{java}
	argv = append(argv, jvmOpens...)
	argv = append(argv, jvmCommon...)
	argv = append(argv, heap...)
	argv = append(argv, "-Drocketmq.home.dir="+c.Home, "-Duser.home="+userHome)
	return append(argv, extra...)
}

func (c *Cluster) namesrvArgv() []string {
	var extra []string
	if !isV4(c.Version) {
		// The shared classpath also holds rmq.broker.logback.xml, which
		// logback would otherwise pick first.
		extra = append(extra, "-Drmq.logback.configurationFile=rmq.namesrv.logback.xml")
	}
	extra = append(extra, "-cp", c.cp, "org.apache.rocketmq.namesrv.NamesrvStartup", "-c", c.path("conf", "namesrv.conf"))
	return c.jvm(c.java, []string{"-Xms64m", "-Xmx256m"}, c.path("namesrv"), extra...)
}

func (c *Cluster) brokerArgv() []string {
	return c.jvm(c.java, []string{"-Xms128m", "-Xmx384m", "-XX:MaxDirectMemorySize=256m"}, c.path("broker"),
		"-cp", c.cp, "org.apache.rocketmq.broker.BrokerStartup", "-c", c.path("conf", "broker.conf"))
}

func (c *Cluster) toolsArgv(java, cp string, args []string) []string {
	var extra []string
	if !isV4(c.Version) {
		extra = append(extra, "-Drmq.logback.configurationFile="+c.path("conf", "rmq.tools.logback.xml"))
	}
	extra = append(extra, "-cp", cp, "org.apache.rocketmq.tools.command.MQAdminStartup")
	extra = append(extra, args...)
	return c.jvm(java, []string{"-Xmx256m"}, c.path("tools"), extra...)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func (c *Cluster) waitNamesrv(ctx context.Context) error {
	c.mu.Lock()
	ns := c.namesrv
	c.mu.Unlock()
	for {
		if ns.exited() {
			return fmt.Errorf("namesrv exited: %v", ns.exitErr())
		}
		if _, err := c.clusterInfo(ctx, c.NamesrvAddr); err == nil {
			return nil
		}
		if err := sleepCtx(ctx, 150*time.Millisecond); err != nil {
			return err
		}
	}
}

// waitRegistered waits, while br runs, until the namesrv lists BrokerAddr
// and the broker answers GET_BROKER_RUNTIME_INFO (4.9.x fails that with
// NoSuchElementException until its StoreStatsService took a first sample,
// about a second after boot).
func (c *Cluster) waitRegistered(ctx context.Context, br *process) error {
	var lastErr error
	registered := false
	for {
		if br.exited() {
			return fmt.Errorf("broker exited: %v", br.exitErr())
		}
		if !registered {
			ci, err := c.clusterInfo(ctx, c.NamesrvAddr)
			switch {
			case err != nil:
				lastErr = fmt.Errorf("namesrv: %w", err)
			case listsAddr(ci, c.BrokerAddr):
				registered = true
			default:
				lastErr = fmt.Errorf("namesrv does not list %s yet", c.BrokerAddr)
			}
		}
		if registered {
			err := c.brokerAnswers(ctx, probeTimeout)
			if err == nil {
				return nil
			}
			lastErr = fmt.Errorf("broker runtime info: %w", err)
		}
		if err := sleepCtx(ctx, 250*time.Millisecond); err != nil {
			if lastErr != nil {
				return fmt.Errorf("%w (last: %v)", err, lastErr)
			}
			return err
		}
	}
}

// waitUnregistered waits (bounded) until the namesrv no longer lists BrokerAddr.
func (c *Cluster) waitUnregistered(ctx context.Context, d time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	for {
		ci, err := c.clusterInfo(ctx, c.NamesrvAddr)
		if err == nil && !listsAddr(ci, c.BrokerAddr) {
			return true
		}
		if sleepCtx(ctx, 200*time.Millisecond) != nil {
			return false
		}
	}
}

func (c *Cluster) killAll() {
	c.mu.Lock()
	br, ns := c.broker, c.namesrv
	c.mu.Unlock()
	if br != nil {
		br.stop(stopGrace)
	}
	if ns != nil {
		ns.stop(stopGrace)
	}
}

// Stop stops the broker and then the namesrv (SIGTERM, SIGKILL after 5 s,
// to the whole process group), kills running mqadmin calls and removes Home.
// It is idempotent; concurrent callers return when the first call is done.
// For an External cluster the remote processes are left alone; only the
// local scratch dir used by MQAdmin is removed.
func (c *Cluster) Stop() {
	if c == nil {
		return
	}
	c.stopOnce.Do(func() {
		c.mu.Lock()
		c.stopped = true
		admins := make([]*exec.Cmd, 0, len(c.admins))
		for cmd := range c.admins {
			admins = append(admins, cmd)
		}
		c.mu.Unlock()
		for _, cmd := range admins {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
		c.killAll()
		if c.Home != "" {
			for i := 0; i < 5; i++ {
				if err := os.RemoveAll(c.Home); err == nil {
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
		}
	})
}

func (c *Cluster) local(op string) error {
	if c.External {
		return fmt.Errorf("realbroker: %s: not possible on an external cluster (ROCKETMQ_NAMESRV_ADDR=%s)", op, c.NamesrvAddr)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return fmt.Errorf("realbroker: %s: cluster is stopped", op)
	}
	return nil
}

// StopBroker stops only the broker (SIGTERM, SIGKILL after 5 s) and waits
// briefly until the namesrv has dropped it. Stopping a stopped broker is a
// no-op.
func (c *Cluster) StopBroker() error {
	if err := c.local("StopBroker"); err != nil {
		return err
	}
	c.mu.Lock()
	br := c.broker
	c.mu.Unlock()
	if br == nil || br.exited() {
		return nil
	}
	br.stop(stopGrace)
	if !br.exited() {
		return fmt.Errorf("realbroker: broker pid %d did not exit after SIGKILL", br.cmd.Process.Pid)
	}
	if !c.waitUnregistered(context.Background(), 15*time.Second) {
		c.logf("realbroker: namesrv still lists %s after the broker stopped", c.BrokerAddr)
	}
	return nil
}

// StartBroker starts the broker again with the same broker.conf and store
// and waits until it is registered. It fails if the broker is running.
func (c *Cluster) StartBroker(ctx context.Context) error {
	if err := c.local("StartBroker"); err != nil {
		return err
	}
	c.mu.Lock()
	br := c.broker
	c.mu.Unlock()
	if br != nil && !br.exited() {
		return fmt.Errorf("realbroker: StartBroker: broker is already running (pid %d)", br.cmd.Process.Pid)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultStartTimeout)
		defer cancel()
	}
	if err := c.launchBroker(ctx); err != nil {
		c.mu.Lock()
		nb := c.broker
		c.mu.Unlock()
		if nb != nil {
			nb.stop(stopGrace)
		}
		return c.startError("broker (restart)", err)
	}
	return nil
}

// PauseBroker freezes the broker with SIGSTOP: its sockets stay open but it
// answers nothing until ResumeBroker.
func (c *Cluster) PauseBroker() error {
	return c.signalBroker("PauseBroker", syscall.SIGSTOP)
}

// ResumeBroker continues a paused broker (SIGCONT).
func (c *Cluster) ResumeBroker() error {
	return c.signalBroker("ResumeBroker", syscall.SIGCONT)
}

func (c *Cluster) signalBroker(op string, sig syscall.Signal) error {
	if err := c.local(op); err != nil {
		return err
	}
	c.mu.Lock()
	br := c.broker
	c.mu.Unlock()
	if br == nil {
		return fmt.Errorf("realbroker: %s: no broker", op)
	}
	return br.signalGroup(sig)
}

// sweepStaleHomes removes temp dirs left by earlier runs whose owning
// process is gone (e.g. killed by go test -timeout); their JVMs died with it.
func sweepStaleHomes() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), homePrefix+"*"))
	for _, d := range dirs {
		data, err := os.ReadFile(filepath.Join(d, "owner.pid"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
		if err != nil || pid <= 0 {
			continue
		}
		if !processAlive(pid) {
			os.RemoveAll(d)
		}
	}
}

// processAlive reports whether pid exists and is not a zombie.
func processAlive(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true // no procfs: trust kill
	}
	// "pid (comm) S ...": the state follows the last ')'.
	if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}
