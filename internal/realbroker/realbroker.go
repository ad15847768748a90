// Package realbroker starts a real Apache RocketMQ namesrv and broker on
// loopback, from the jars Maven Central publishes, for tests and demos; or
// a topology: several namesrvs, a master and its slave, TLS everywhere
// (Options.Namesrvs, Options.Slave, Options.TLS), each process stopped,
// killed and started again on its own (StopNamesrv, KillSlave, StartSlave…).
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
// A topology in a test:
//
//	files, _ := realbroker.GenerateTLS(t.TempDir())
//	c, err := realbroker.Start(ctx, realbroker.Options{Namesrvs: 3, Slave: true,
//		TLS: &realbroker.TLS{Files: *files, ClientAuth: "require"}})
//	defer c.Stop()
//	c.KillNamesrv(0); c.StartNamesrv(ctx, 0); c.KillSlave(); c.StartSlave(ctx)
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
	"crypto/tls"
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
	BrokerConf []string          // extra broker.conf lines (master and slave), e.g. "aclEnable=true"; they come last, so they override the defaults
	ExtraFiles map[string]string // files written under the rocketmq home dir before start, path relative to home (e.g. "conf/plain_acl.yml")
	// Credentials sign the harness's own polls (cluster info, the broker's
	// runtime info) for a broker started with ACL enabled; nil: unsigned.
	Credentials *remoting.Credentials

	ClusterName, BrokerName string // defaults "DefaultCluster", "broker-a"

	// Namesrvs is how many namesrvs to start (0 means 1). The brokers
	// register with all of them; NamesrvAddr lists them all.
	Namesrvs int
	// Slave also starts a slave (brokerId 1 of BrokerName, brokerRole=SLAVE)
	// replicating from the master; StartSlave starts one later.
	Slave bool
	// TLS starts every process with TLS (see TLS); nil: plain TCP.
	TLS *TLS

	Logf func(format string, args ...any) // optional progress log
}

// Cluster is a running (or external) cluster: one or more namesrvs, a
// master and optionally a slave.
type Cluster struct {
	Version     string
	ClusterName string
	BrokerName  string
	NamesrvAddr string // "127.0.0.1:port", several joined with ';' (what clients and mqadmin -n take)
	// NamesrvAddrs are the namesrvs one by one, in start order; index i is
	// what StopNamesrv(i) and StartNamesrv(ctx, i) act on.
	NamesrvAddrs []string
	BrokerAddr   string // the master's "127.0.0.1:port" (listenPort)
	SlaveAddr    string // the slave's, once one was started
	Home         string // temp dir (rocketmq.home.dir); removed by Stop
	External     bool   // true when ROCKETMQ_NAMESRV_ADDR pointed us at a running cluster

	// Credentials are Options.Credentials: what the harness signs its polls with.
	Credentials *remoting.Credentials

	logf         func(string, ...any)
	java         string
	namesrvPorts []int
	brokerPort   int
	slavePort    int
	brokerConf   []string // Options.BrokerConf, for a slave started later
	tls          *TLS
	clientTLS    *tls.Config // what the harness's own polls dial with; nil: plain

	cpMu sync.Mutex // guards java and cp once the cluster is shared
	cp   string

	stopOnce sync.Once
	mu       sync.Mutex // guards the fields below
	namesrvs []*process // index-aligned with NamesrvAddrs; nil: never started
	broker   *process   // the master
	slave    *process
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
		brokerConf:  opts.BrokerConf,
		tls:         opts.TLS,
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
// starts the namesrvs, then the master (and the slave, with Options.Slave),
// and returns once every namesrv lists every broker and each broker answers.
// When ctx has no deadline, startup (after the classpath) is bounded by 3
// minutes. On failure everything is stopped and removed, and the error
// carries the tails of the JVM output and RocketMQ logs.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	c := newCluster(opts)
	if err := checkVersion(c.Version); err != nil {
		return nil, err
	}
	if err := c.setTLS(opts.TLS); err != nil {
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
			c.logf("realbroker: RocketMQ %s up: namesrv %s, broker %s%s (%s total)", c.Version, c.NamesrvAddr, c.BrokerAddr,
				c.slaveNote(), time.Since(t0).Round(time.Millisecond))
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

func (c *Cluster) slaveNote() string {
	if c.SlaveAddr == "" {
		return ""
	}
	return ", slave " + c.SlaveAddr
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
	if err := c.assignPorts(max(1, opts.Namesrvs), opts.Slave); err != nil {
		return err
	}
	if err := c.writeConfs(opts.Slave); err != nil {
		return fmt.Errorf("realbroker: writing confs: %w", err)
	}
	for i := range c.NamesrvAddrs {
		if err := c.launchNamesrv(ctx, i); err != nil {
			return c.startError(namesrvName(i), err)
		}
	}
	if err := c.launchBroker(ctx, false); err != nil {
		return c.startError("broker", err)
	}
	if opts.Slave {
		if err := c.launchBroker(ctx, true); err != nil {
			return c.startError("slave", err)
		}
	}
	return nil
}

// assignPorts picks free ports for n namesrvs, the master and, with slave,
// the slave, and sets the addresses.
func (c *Cluster) assignPorts(n int, slave bool) error {
	brokers := 1
	if slave {
		brokers = 2
	}
	ns, br, err := pickPortSet(n, brokers)
	if err != nil {
		return err
	}
	c.namesrvPorts, c.brokerPort = ns, br[0]
	c.NamesrvAddrs = make([]string, n)
	for i, p := range ns {
		c.NamesrvAddrs[i] = loopback(p)
	}
	c.NamesrvAddr = strings.Join(c.NamesrvAddrs, ";")
	c.BrokerAddr = loopback(c.brokerPort)
	c.mu.Lock()
	c.namesrvs = make([]*process, n)
	c.mu.Unlock()
	if slave {
		c.slavePort, c.SlaveAddr = br[1], loopback(br[1])
	}
	return nil
}

func loopback(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

// namesrvName names namesrv i's conf, output, logs and user.home: the first
// keeps the names of a one-namesrv cluster.
func namesrvName(i int) string {
	if i == 0 {
		return "namesrv"
	}
	return "namesrv-" + strconv.Itoa(i)
}

// launchNamesrv starts namesrv i and waits until it answers.
func (c *Cluster) launchNamesrv(ctx context.Context, i int) error {
	t := time.Now()
	name := namesrvName(i)
	ns, err := startProcess(name, c.namesrvArgv(i), c.childEnv(), c.Home, c.path("logs", name+".out"))
	if err != nil {
		return err
	}
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		ns.stop(stopGrace)
		return errors.New("cluster stopped")
	}
	c.namesrvs[i] = ns
	c.mu.Unlock()
	if err := c.waitNamesrv(ctx, ns, c.NamesrvAddrs[i]); err != nil {
		return err
	}
	c.logf("realbroker: %s %s up in %s", name, c.NamesrvAddrs[i], time.Since(t).Round(time.Millisecond))
	return nil
}

// brokerNode names the master ("broker") or the slave ("slave") and gives
// its address: its conf, output, logs, user.home and store are named after it.
func (c *Cluster) brokerNode(slave bool) (name, addr string) {
	if slave {
		return "slave", c.SlaveAddr
	}
	return "broker", c.BrokerAddr
}

// launchBroker starts the master or the slave and waits until every running
// namesrv lists it and it answers.
func (c *Cluster) launchBroker(ctx context.Context, slave bool) error {
	t := time.Now()
	name, addr := c.brokerNode(slave)
	br, err := startProcess(name, c.brokerArgv(name), c.childEnv(), c.Home, c.path("logs", name+".out"))
	if err != nil {
		return err
	}
	c.mu.Lock()
	if c.stopped { // Stop ran meanwhile: it cannot have seen this process
		c.mu.Unlock()
		br.stop(stopGrace)
		return errors.New("cluster stopped")
	}
	if slave {
		c.slave = br
	} else {
		c.broker = br
	}
	c.mu.Unlock()
	if err := c.waitRegistered(ctx, br, addr); err != nil {
		return err
	}
	c.logf("realbroker: %s %s registered in %s", name, addr, time.Since(t).Round(time.Millisecond))
	return nil
}

// startError wraps a start failure with diagnostics and marks port clashes;
// what starts with the node's name ("namesrv-1", "broker (restart)").
func (c *Cluster) startError(what string, err error) error {
	node, _, _ := strings.Cut(what, " ")
	diag := c.diagnostics(node)
	full := fmt.Errorf("realbroker: RocketMQ %s %s did not come up (namesrv %s, broker %s%s, home %s): %w\n%s",
		c.Version, what, c.NamesrvAddr, c.BrokerAddr, c.slaveNote(), c.Home, err, diag)
	if strings.Contains(diag, "Address already in use") || strings.Contains(diag, "BindException") {
		return &bindError{full}
	}
	return full
}

// diagnostics collects the tails of the JVM outputs and of the RocketMQ logs
// of the node that failed ("namesrv", "namesrv-1", "broker", "slave"), and
// the first namesrv's output when a broker failed.
func (c *Cluster) diagnostics(node string) string {
	var b strings.Builder
	add := func(label, path string, n int) {
		t := strings.TrimSpace(tailFile(path, n))
		if t == "" {
			return
		}
		fmt.Fprintf(&b, "---- %s (%s, tail) ----\n%s\n", label, path, t)
	}
	proc, files := "namesrv", []string{"namesrv.log", "namesrv_default.log"}
	if !strings.HasPrefix(node, "namesrv") {
		add("namesrv stdout/stderr", c.path("logs", "namesrv.out"), 30)
		proc, files = "broker", []string{"broker.log", "broker_default.log", "store.log"}
	}
	add(node+" stdout/stderr", c.path("logs", node+".out"), 40)
	for _, f := range files {
		add(node+" "+proc+" "+f, c.path(node, "logs", "rocketmqlogs", f), 25)
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

func (c *Cluster) namesrvArgv(i int) []string {
	name := namesrvName(i)
	extra := c.serverTLSProps(c.tls.namesrvMode())
	if !isV4(c.Version) {
		// The shared classpath also holds rmq.broker.logback.xml, which
		// logback would otherwise pick first.
		extra = append(extra, "-Drmq.logback.configurationFile=rmq.namesrv.logback.xml")
	}
	extra = append(extra, "-cp", c.cp, "org.apache.rocketmq.namesrv.NamesrvStartup", "-c", c.path("conf", name+".conf"))
	return c.jvm(c.java, []string{"-Xms64m", "-Xmx256m"}, c.path(name), extra...)
}

// brokerArgv starts the master (name "broker") or the slave ("slave").
func (c *Cluster) brokerArgv(name string) []string {
	extra := c.serverTLSProps(c.tls.brokerMode())
	extra = append(extra, "-cp", c.cp, "org.apache.rocketmq.broker.BrokerStartup", "-c", c.path("conf", name+".conf"))
	return c.jvm(c.java, []string{"-Xms128m", "-Xmx384m", "-XX:MaxDirectMemorySize=256m"}, c.path(name), extra...)
}

func (c *Cluster) toolsArgv(java, cp string, args []string) []string {
	extra := c.clientTLSProps()
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

// waitNamesrv waits, while ns runs, until the namesrv at addr answers.
func (c *Cluster) waitNamesrv(ctx context.Context, ns *process, addr string) error {
	for {
		if ns.exited() {
			return fmt.Errorf("namesrv exited: %v", ns.exitErr())
		}
		if _, err := c.clusterInfo(ctx, addr); err == nil {
			return nil
		}
		if err := sleepCtx(ctx, 150*time.Millisecond); err != nil {
			return err
		}
	}
}

// runningNamesrvs lists the addresses of the namesrvs whose JVM runs (all
// of them for an external cluster).
func (c *Cluster) runningNamesrvs() []string {
	if c.External {
		return c.NamesrvAddrs
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for i, ns := range c.namesrvs {
		if ns != nil && !ns.exited() {
			out = append(out, c.NamesrvAddrs[i])
		}
	}
	return out
}

// listedByAll tells whether every running namesrv lists addr (want) or
// none does (!want), and if not, why.
func (c *Cluster) listedByAll(ctx context.Context, addr string, want bool) error {
	running := c.runningNamesrvs()
	if len(running) == 0 {
		return errors.New("no namesrv is running")
	}
	for _, ns := range running {
		ci, err := c.clusterInfo(ctx, ns)
		if err != nil {
			return fmt.Errorf("namesrv %s: %w", ns, err)
		}
		if listsAddr(ci, addr) != want {
			return fmt.Errorf("namesrv %s lists %s: %v", ns, addr, !want)
		}
	}
	return nil
}

// waitRegistered waits, while br runs, until every running namesrv lists
// addr and the broker answers GET_BROKER_RUNTIME_INFO (4.9.x fails that
// with NoSuchElementException until its StoreStatsService took a first
// sample, about a second after boot).
func (c *Cluster) waitRegistered(ctx context.Context, br *process, addr string) error {
	var lastErr error
	registered := false
	for {
		if br.exited() {
			return fmt.Errorf("broker %s exited: %v", addr, br.exitErr())
		}
		if !registered {
			lastErr = c.listedByAll(ctx, addr, true)
			registered = lastErr == nil
		}
		if registered {
			err := c.brokerAnswersAt(ctx, addr, probeTimeout)
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

// waitUnregistered waits (bounded) until no running namesrv lists addr.
func (c *Cluster) waitUnregistered(ctx context.Context, addr string, d time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	for {
		if c.listedByAll(ctx, addr, false) == nil {
			return true
		}
		if sleepCtx(ctx, 200*time.Millisecond) != nil {
			return false
		}
	}
}

// killAll stops the slave, the master and then the namesrvs.
func (c *Cluster) killAll() {
	c.mu.Lock()
	procs := append([]*process{c.slave, c.broker}, c.namesrvs...)
	c.mu.Unlock()
	for _, p := range procs {
		if p != nil {
			p.stop(stopGrace)
		}
	}
}

// Stop stops the brokers and then the namesrvs (SIGTERM, SIGKILL after 5 s,
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

// StopBroker stops only the master (SIGTERM, SIGKILL after 5 s) and waits
// briefly until the namesrvs have dropped it. Stopping a stopped broker is
// a no-op.
func (c *Cluster) StopBroker() error { return c.stopBroker("StopBroker", false) }

// StartBroker starts the master again with the same broker.conf and store
// and waits until it is registered. It fails if the master is running.
func (c *Cluster) StartBroker(ctx context.Context) error {
	return c.startBroker(ctx, "StartBroker", false)
}

func (c *Cluster) brokerProc(slave bool) *process {
	c.mu.Lock()
	defer c.mu.Unlock()
	if slave {
		return c.slave
	}
	return c.broker
}

func (c *Cluster) stopBroker(op string, slave bool) error {
	if err := c.local(op); err != nil {
		return err
	}
	br := c.brokerProc(slave)
	if br == nil || br.exited() {
		return nil
	}
	br.stop(stopGrace)
	if !br.exited() {
		return fmt.Errorf("realbroker: %s pid %d did not exit after SIGKILL", br.name, br.cmd.Process.Pid)
	}
	_, addr := c.brokerNode(slave)
	if !c.waitUnregistered(context.Background(), addr, 15*time.Second) {
		c.logf("realbroker: a namesrv still lists %s after it stopped", addr)
	}
	return nil
}

func (c *Cluster) startBroker(ctx context.Context, op string, slave bool) error {
	if err := c.local(op); err != nil {
		return err
	}
	if br := c.brokerProc(slave); br != nil && !br.exited() {
		return fmt.Errorf("realbroker: %s: %s is already running (pid %d)", op, br.name, br.cmd.Process.Pid)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultStartTimeout)
		defer cancel()
	}
	if err := c.launchBroker(ctx, slave); err != nil {
		if nb := c.brokerProc(slave); nb != nil {
			nb.stop(stopGrace)
		}
		name, _ := c.brokerNode(slave)
		return c.startError(name+" (restart)", err)
	}
	return nil
}

// PauseBroker freezes the master with SIGSTOP: its sockets stay open but it
// answers nothing until ResumeBroker.
func (c *Cluster) PauseBroker() error {
	return c.signalBroker("PauseBroker", syscall.SIGSTOP)
}

// ResumeBroker continues a paused master (SIGCONT).
func (c *Cluster) ResumeBroker() error {
	return c.signalBroker("ResumeBroker", syscall.SIGCONT)
}

func (c *Cluster) signalBroker(op string, sig syscall.Signal) error {
	return c.signalNode(op, c.brokerProc(false), sig)
}

func (c *Cluster) signalNode(op string, p *process, sig syscall.Signal) error {
	if err := c.local(op); err != nil {
		return err
	}
	if p == nil {
		return fmt.Errorf("realbroker: %s: not started", op)
	}
	return p.signalGroup(sig)
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
