package realbroker

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/fastjson"
)

var cluster *Cluster

// TestMain starts one real cluster (ROCKETMQ_VERSION, default 5.3.3) for
// the package. With -short no cluster is started and only unit tests run.
func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	t0 := time.Now()
	os.Exit(Main(m, Options{
		Logf: func(format string, args ...any) {
			fmt.Fprintf(os.Stderr, "%7.1fs ", time.Since(t0).Seconds())
			fmt.Fprintf(os.Stderr, format+"\n", args...)
		},
	}, func(c *Cluster) { cluster = c }))
}

func needCluster(t *testing.T) *Cluster {
	t.Helper()
	if cluster == nil {
		t.Skip("no cluster (-short)")
	}
	return cluster
}

func TestPickPorts(t *testing.T) {
	seen := map[[2]int]bool{}
	for range 20 {
		np, bp, err := pickPorts()
		if err != nil {
			t.Fatal(err)
		}
		if np >= bp-2 && np <= bp+1 {
			t.Fatalf("namesrv port %d overlaps broker ports %d..%d", np, bp-2, bp+1)
		}
		lo, hi := portRange()
		for _, p := range []int{np, bp - 2, bp, bp + 1} {
			if p < lo || p >= hi {
				t.Fatalf("port %d outside [%d,%d)", p, lo, hi)
			}
		}
		if !portsFree(np, bp-2, bp, bp+1) {
			t.Fatalf("picked ports %d, %d-2..+1 are not free", np, bp)
		}
		seen[[2]int{np, bp}] = true
	}
	if len(seen) < 2 {
		t.Fatalf("pickPorts is not random: %v", seen)
	}
}

func TestPortsFreeDetectsBusyPort(t *testing.T) {
	_, bp, err := pickPorts()
	if err != nil {
		t.Fatal(err)
	}
	// Occupy the HA port (listenPort+1) on loopback only: the check must
	// still see the clash.
	l, err := listenLoopback(bp + 1)
	if err != nil {
		t.Skipf("cannot bind %d: %v", bp+1, err)
	}
	defer l.Close()
	if portsFree(bp-2, bp, bp+1) {
		t.Fatalf("portsFree(%d..%d) = true while %d is bound on 127.0.0.1", bp-2, bp+1, bp+1)
	}
}

func listenLoopback(port int) (net.Listener, error) {
	return net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
}

func TestCacheDir(t *testing.T) {
	t.Setenv("ROCKETMQ_EXPORTER_CACHE", "")
	t.Setenv("XDG_CACHE_HOME", "/x/cache")
	if got := CacheDir(); got != "/x/cache/rocketmq_exporter" {
		t.Errorf("CacheDir with XDG_CACHE_HOME = %q", got)
	}
	t.Setenv("ROCKETMQ_EXPORTER_CACHE", "/y")
	if got := CacheDir(); got != "/y" {
		t.Errorf("CacheDir with ROCKETMQ_EXPORTER_CACHE = %q", got)
	}
}

func TestVersionResolution(t *testing.T) {
	t.Setenv("ROCKETMQ_VERSION", "")
	if v := resolveVersion(""); v != DefaultVersion {
		t.Errorf("resolveVersion(\"\") = %q", v)
	}
	t.Setenv("ROCKETMQ_VERSION", "4.9.7")
	if v := resolveVersion(""); v != "4.9.7" {
		t.Errorf("resolveVersion with env = %q", v)
	}
	if v := resolveVersion("5.4.0"); v != "5.4.0" {
		t.Errorf("resolveVersion(5.4.0) = %q", v)
	}
	for _, bad := range []string{"latest", "5.3", "5.3.3</version>", "../5.3.3"} {
		if checkVersion(bad) == nil {
			t.Errorf("checkVersion(%q) accepted", bad)
		}
	}
}

func TestClusterInfoParsing(t *testing.T) {
	body := `{"brokerAddrTable":{"broker-b":{"brokerAddrs":{1:"127.0.0.1:3",0:"127.0.0.1:2"},"brokerName":"broker-b","cluster":"C"},` +
		`"broker-a":{"brokerAddrs":{0:"127.0.0.1:1"},"brokerName":"broker-a","cluster":"C","enableActingMaster":false}},"clusterAddrTable":{"C":["broker-a","broker-b"]}}`
	var ci admin.ClusterInfo
	if err := fastjson.Unmarshal([]byte(body), &ci); err != nil {
		t.Fatal(err)
	}
	if !listsAddr(&ci, "127.0.0.1:3") || listsAddr(&ci, "127.0.0.1:4") {
		t.Errorf("registered wrong: %+v", ci)
	}
	if cl, n, a, ok := masterOf(&ci, ""); !ok || cl != "C" || n != "broker-a" || a != "127.0.0.1:1" {
		t.Errorf("masterOf(\"\") = %q %q %q %v", cl, n, a, ok)
	}
	if _, n, a, ok := masterOf(&ci, "broker-b"); !ok || n != "broker-b" || a != "127.0.0.1:2" {
		t.Errorf("masterOf(broker-b) = %q %q %v", n, a, ok)
	}
	if _, _, _, ok := masterOf(&ci, "nope"); ok {
		t.Error("masterOf(nope) found something")
	}
}

func TestClasspathCached(t *testing.T) {
	c := needCluster(t)
	t0 := time.Now()
	cp, err := Classpath(context.Background(), c.Version)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("cached Classpath took %s", d)
	}
	for _, want := range []string{"rocketmq-namesrv-" + c.Version, "rocketmq-broker-" + c.Version, "rocketmq-tools-" + c.Version} {
		if !strings.Contains(cp, want) {
			t.Errorf("classpath lacks %s", want)
		}
	}
	if _, err := os.Stat(filepath.Join(CacheDir(), c.Version, "pom.xml")); err != nil {
		t.Error(err)
	}
}

func TestClusterList(t *testing.T) {
	c := needCluster(t)
	out, err := c.MQAdmin(context.Background(), "clusterList")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, c.BrokerAddr) || !strings.Contains(out, c.BrokerName) {
		t.Fatalf("clusterList does not show %s %s:\n%s", c.BrokerName, c.BrokerAddr, out)
	}
	if strings.Contains(out, "|-INFO in") {
		t.Errorf("logback status noise in mqadmin output:\n%s", out)
	}
}

func TestTopic(t *testing.T) {
	c := needCluster(t)
	ctx := context.Background()
	topic := fmt.Sprintf("realbroker_test_%d", time.Now().UnixNano())
	if out, err := c.MQAdmin(ctx, "updateTopic", "-b", c.BrokerAddr, "-t", topic); err != nil {
		t.Fatal(err)
	} else if !strings.Contains(out, "success") {
		t.Fatalf("updateTopic output:\n%s", out)
	}
	out, err := c.MQAdmin(ctx, "topicList")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, topic) {
		t.Fatalf("topicList lacks %s:\n%s", topic, out)
	}
}

func TestMQAdminErrors(t *testing.T) {
	c := needCluster(t)
	ctx := context.Background()
	if _, err := c.MQAdmin(ctx, "noSuchSubCommand"); err == nil {
		t.Error("unknown sub command: no error")
	}
	// 127.0.0.1:1 refuses connections: mqadmin prints a stack trace and exits 0.
	if out, err := c.MQAdmin(ctx, "updateTopic", "-b", "127.0.0.1:1", "-t", "x"); err == nil {
		t.Errorf("updateTopic on a dead broker: no error; output:\n%s", out)
	}
}

func TestFromEnvExternal(t *testing.T) {
	c := needCluster(t)
	t.Setenv("ROCKETMQ_NAMESRV_ADDR", c.NamesrvAddr)
	t.Setenv("ROCKETMQ_BROKER_ADDR", "")
	ctx := context.Background()
	ext, err := FromEnv(ctx, Options{Version: c.Version})
	if err != nil {
		t.Fatal(err)
	}
	defer ext.Stop()
	if !ext.External || ext.NamesrvAddr != c.NamesrvAddr || ext.BrokerAddr != c.BrokerAddr ||
		ext.BrokerName != c.BrokerName || ext.ClusterName != c.ClusterName {
		t.Fatalf("external cluster %+v, want the addresses of %+v", ext, c)
	}
	if err := ext.StopBroker(); err == nil {
		t.Error("StopBroker on an external cluster: no error")
	}
	if out, err := ext.MQAdmin(ctx, "clusterList"); err != nil || !strings.Contains(out, c.BrokerAddr) {
		t.Fatalf("external clusterList: %v\n%s", err, out)
	}
	ext.Stop()
	if _, err := os.Stat(ext.Home); !os.IsNotExist(err) {
		t.Errorf("external scratch dir %s not removed: %v", ext.Home, err)
	}
	if err := c.brokerAnswers(ctx, 5*time.Second); err != nil {
		t.Fatalf("external Stop touched the real broker: %v", err)
	}

	t.Setenv("ROCKETMQ_BROKER_ADDR", "127.0.0.1:1")
	ext2, err := FromEnv(ctx, Options{Version: c.Version})
	if err != nil {
		t.Fatal(err)
	}
	ext2.Stop()
	if ext2.BrokerAddr != "127.0.0.1:1" {
		t.Errorf("ROCKETMQ_BROKER_ADDR ignored: %s", ext2.BrokerAddr)
	}
}

func TestPauseResume(t *testing.T) {
	c := needCluster(t)
	if c.External {
		t.Skip("external cluster")
	}
	ctx := context.Background()
	if err := c.brokerAnswers(ctx, 5*time.Second); err != nil {
		t.Fatalf("broker runtime info before pause: %v", err)
	}
	if err := c.PauseBroker(); err != nil {
		t.Fatal(err)
	}
	err := c.brokerAnswers(ctx, 1500*time.Millisecond)
	if rerr := c.ResumeBroker(); rerr != nil {
		t.Fatal(rerr)
	}
	if err == nil {
		t.Error("a paused broker answered")
	}
	if err := c.brokerAnswers(ctx, 5*time.Second); err != nil {
		t.Fatalf("broker runtime info after resume: %v", err)
	}
}

// TestStopStartBroker runs last (tests run in source order) since it takes
// the broker away for a while.
func TestStopStartBroker(t *testing.T) {
	c := needCluster(t)
	if c.External {
		t.Skip("external cluster")
	}
	ctx := context.Background()
	if err := c.StopBroker(); err != nil {
		t.Fatal(err)
	}
	out, err := c.MQAdmin(ctx, "clusterList")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, c.BrokerAddr) {
		t.Fatalf("clusterList still shows the stopped broker:\n%s", out)
	}
	if err := c.StopBroker(); err != nil {
		t.Fatalf("second StopBroker: %v", err)
	}
	t0 := time.Now()
	if err := c.StartBroker(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("broker restarted in %s", time.Since(t0).Round(time.Millisecond))
	if err := c.StartBroker(ctx); err == nil {
		t.Error("StartBroker on a running broker: no error")
	}
	out, err = c.MQAdmin(ctx, "clusterList")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, c.BrokerAddr) {
		t.Fatalf("clusterList does not show the restarted broker:\n%s", out)
	}
}

func TestProcessAlive(t *testing.T) {
	if !processAlive(os.Getpid()) {
		t.Error("own process reported dead")
	}
	if processAlive(1 << 30) {
		t.Error("pid 2^30 reported alive")
	}
}
