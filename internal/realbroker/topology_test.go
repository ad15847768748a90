package realbroker

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
)

func TestPickPortSet(t *testing.T) {
	ns, br, err := pickPortSet(3, 2, 20000)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{20000: true}
	var all []int
	for _, p := range br {
		all = append(all, brokerPorts(p)...)
	}
	all = append(all, ns...)
	for _, p := range all {
		if seen[p] {
			t.Fatalf("port %d given twice or avoided port given (namesrvs %v, brokers %v)", p, ns, br)
		}
		seen[p] = true
	}
	if len(ns) != 3 || len(br) != 2 {
		t.Fatalf("got %d namesrv and %d broker ports", len(ns), len(br))
	}
}

func TestGenerateTLS(t *testing.T) {
	f, err := GenerateTLS(t.TempDir(), "rocketmq.test", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := f.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ServerName != "rocketmq.test" || len(cfg.Certificates) != 1 {
		t.Errorf("client config: server name %q, %d certificates", cfg.ServerName, len(cfg.Certificates))
	}
	if _, err := (TLSFiles{CA: f.ServerKey}).ClientConfig(); err == nil {
		t.Error("a key as the CA was accepted")
	}
}

// TestTopology starts the most the harness can: two namesrvs, a master and
// its slave, TLS enforced everywhere with client certificates required, so
// the brokers' registrations, the slave's metadata sync from its master and
// mqadmin all go over TLS. The namesrvs and the brokers are the judges.
func TestTopology(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	files, err := GenerateTLS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c, err := Start(ctx, Options{Namesrvs: 2, Slave: true, ClusterName: "TopoCluster", BrokerName: "broker-topo",
		TLS: &TLS{Files: *files, ClientAuth: "require"}, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	if len(c.NamesrvAddrs) != 2 || c.NamesrvAddr != strings.Join(c.NamesrvAddrs, ";") {
		t.Fatalf("namesrvs %v, NamesrvAddr %q", c.NamesrvAddrs, c.NamesrvAddr)
	}
	for _, ns := range c.NamesrvAddrs {
		checkGroup(t, ctx, c, ns, true)
	}
	plainRefused(t, ctx, c.NamesrvAddrs[0])

	topic := "topo_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if out, err := c.MQAdmin(ctx, "updateTopic", "-b", c.BrokerAddr, "-t", topic); err != nil {
		t.Fatalf("updateTopic over TLS: %v\n%s", err, out)
	}
	if out, err := c.MQAdmin(ctx, "sendMessage", "-t", topic, "-p", "replicate me"); err != nil || !strings.Contains(out, "SEND_OK") {
		t.Fatalf("sendMessage over TLS: %v\n%s", err, out)
	}
	if err := c.WaitSynced(ctx); err != nil {
		t.Fatal(err)
	}
	if rt, _ := c.RuntimeInfo(ctx, c.SlaveAddr); rt["commitLogMaxOffset"] == "0" {
		t.Fatal("the slave's commit log is empty after a send")
	}

	// One namesrv down: the other still lists both; back, it lists both again.
	if err := c.KillNamesrv(0); err != nil {
		t.Fatal(err)
	}
	checkGroup(t, ctx, c, c.NamesrvAddrs[1], true)
	if err := c.StartNamesrv(ctx, 0); err != nil {
		t.Fatal(err)
	}
	checkGroup(t, ctx, c, c.NamesrvAddrs[0], true)

	// The slave stopped unregisters; started again it is listed again.
	if err := c.StopSlave(); err != nil {
		t.Fatal(err)
	}
	checkGroup(t, ctx, c, c.NamesrvAddrs[0], false)
	if err := c.StartSlave(ctx); err != nil {
		t.Fatal(err)
	}
	checkGroup(t, ctx, c, c.NamesrvAddrs[1], true)
}

// checkGroup asks namesrv ns for the broker group: the master at BrokerAddr
// with id 0, and the slave at SlaveAddr with id 1 (or no slave), whose own
// config says brokerRole=SLAVE.
func checkGroup(t *testing.T, ctx context.Context, c *Cluster, ns string, slave bool) {
	t.Helper()
	ci, err := c.clusterInfo(ctx, ns)
	if err != nil {
		t.Fatalf("namesrv %s: %v", ns, err)
	}
	ids := map[int64]string{}
	for _, b := range ci.Instances() {
		if b.BrokerName == c.BrokerName && b.Cluster == c.ClusterName {
			ids[b.BrokerID] = b.Addr
		}
	}
	want := map[int64]string{0: c.BrokerAddr}
	if slave {
		want[1] = c.SlaveAddr
	}
	if len(ids) != len(want) || ids[0] != want[0] || ids[1] != want[1] {
		t.Fatalf("namesrv %s lists %v for %s, want %v", ns, ids, c.BrokerName, want)
	}
	if !slave {
		return
	}
	err = c.probe(ctx, probeTimeout, func(ctx context.Context, a *admin.Client) error {
		cfg, err := a.BrokerConfig(ctx, c.SlaveAddr)
		if err == nil && (cfg["brokerRole"] != "SLAVE" || cfg["brokerId"] != "1") {
			t.Errorf("slave config: brokerRole %q, brokerId %q", cfg["brokerRole"], cfg["brokerId"])
		}
		return err
	})
	if err != nil {
		t.Fatalf("slave config: %v", err)
	}
}

// plainRefused checks that an enforcing namesrv refuses a plain client.
func plainRefused(t *testing.T, ctx context.Context, ns string) {
	t.Helper()
	rc := remoting.NewClient(remoting.Options{DialTimeout: probeTimeout})
	defer rc.Close()
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	if _, err := admin.New(rc).ClusterInfo(ctx, ns); err == nil {
		t.Errorf("namesrv %s answered a plain client while enforcing TLS", ns)
	} else {
		t.Logf("plain client against the enforcing namesrv: %v", err)
	}
}
