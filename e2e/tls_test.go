package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/app"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/realbroker"
)

// startTLS starts a cluster with TLS whose certificate is valid for
// rocketmq.test only (not for the 127.0.0.1 the exporter dials), so the
// exporter must be given the server name, as with brokers that register
// by IP behind certificates issued for a DNS name.
func startTLS(t *testing.T, ctx context.Context, name string, tlsOpts realbroker.TLS) *realbroker.Cluster {
	t.Helper()
	files, err := realbroker.GenerateTLS(t.TempDir(), "rocketmq.test")
	if err != nil {
		t.Fatal(err)
	}
	tlsOpts.Files = *files
	c, err := realbroker.Start(ctx, realbroker.Options{ClusterName: name + "Cluster", BrokerName: "broker-" + strings.ToLower(name),
		TLS: &tlsOpts, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return c
}

// withTLS sets the exporter's TLS flags from the cluster's files; drop
// removes some ("cert": no client certificate, "name": no server name).
func withTLS(c *realbroker.Cluster, files realbroker.TLSFiles, drop ...string) func(*app.Settings) {
	return func(s *app.Settings) {
		s.TLS, s.TLSCAFile, s.TLSCertFile, s.TLSKeyFile, s.TLSServerName = true, files.CA, files.ClientCert, files.ClientKey, files.ServerName
		for _, d := range drop {
			switch d {
			case "cert":
				s.TLSCertFile, s.TLSKeyFile = "", ""
			case "name":
				s.TLSServerName = ""
			}
		}
	}
}

// refusedAt runs one cycle of an exporter the namesrv refuses and checks
// what it serves: the namesrv down, rocketmq_up 0 for the unreachable
// target, and one log line that says what to check.
func refusedAt(t *testing.T, a *app.App, logs *lockedBuffer, ns, hint string) {
	t.Helper()
	a.Cycle(context.Background())
	m, _, err := Scrape(a.Handler)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []error{expect(m, "rocketmq_namesrv_up", map[string]string{"namesrv": ns}, 0),
		expect(m, "rocketmq_up", map[string]string{"cluster": "", "broker": ""}, 0)} {
		if e != nil {
			t.Error(e)
		}
	}
	logSays(t, logs, hint)
}

// logSays checks that a log line holds text, and shows it.
func logSays(t *testing.T, logs *lockedBuffer, text string) {
	t.Helper()
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, text) {
			t.Logf("log: %s", l)
			return
		}
	}
	t.Errorf("no log line says %q:\n%s", text, logs)
}

// TestTLSEnforced: namesrv and broker enforce TLS and require a client
// certificate signed by the test CA. The servers are the judges: with the
// CA, the client certificate and the server name the exporter collects
// everything; without any one of them, or without TLS, the namesrv refuses
// it and the exporter says why, serves rocketmq_up 0 and keeps running.
func TestTLSEnforced(t *testing.T) {
	needBroker(t)
	ctx := ctxT(t, 8*time.Minute)
	c := startTLS(t, ctx, "TLS", realbroker.TLS{ClientAuth: "require"})
	files := c.TLSFiles()
	up := map[string]string{"cluster": c.ClusterName, "broker": c.BrokerName, "broker_id": "0"}

	t.Run("verified, with a client certificate", func(t *testing.T) {
		a, _ := newApp(t, withTLS(c, files), c.NamesrvAddr)
		waitMetrics(t, a, 2*time.Minute, "collect over TLS", func(m Metrics) error {
			if err := expect(m, "rocketmq_namesrv_up", map[string]string{"namesrv": c.NamesrvAddr}, 1); err != nil {
				return err
			}
			return expect(m, "rocketmq_up", up, 1)
		})
	})
	t.Run("no client certificate", func(t *testing.T) {
		a, logs := newApp(t, withTLS(c, files, "cert"), c.NamesrvAddr)
		refusedAt(t, a, logs, c.NamesrvAddr, "--rocketmq.tls.cert-file")
	})
	t.Run("no server name", func(t *testing.T) {
		a, logs := newApp(t, withTLS(c, files, "name"), c.NamesrvAddr)
		refusedAt(t, a, logs, c.NamesrvAddr, "--rocketmq.tls.server-name")
	})
	t.Run("plain TCP", func(t *testing.T) {
		a, logs := newApp(t, nil, c.NamesrvAddr)
		refusedAt(t, a, logs, c.NamesrvAddr, "it may require TLS (--rocketmq.tls)")
	})
}

// TestTLSEnforcingBroker: a namesrv that also takes plain TCP (RocketMQ's
// default, permissive) in front of a broker that enforces TLS. A plain
// exporter lists the broker but the broker refuses it: rocketmq_up 0 for
// that broker with the reason in the log. With TLS, verification skipped
// (the one case where that is the operator's choice), it collects.
func TestTLSEnforcingBroker(t *testing.T) {
	needBroker(t)
	ctx := ctxT(t, 8*time.Minute)
	c := startTLS(t, ctx, "TLSBroker", realbroker.TLS{NamesrvMode: "permissive"})
	up := map[string]string{"cluster": c.ClusterName, "broker": c.BrokerName, "broker_id": "0"}

	t.Run("plain TCP", func(t *testing.T) {
		a, logs := newApp(t, nil, c.NamesrvAddr)
		a.Cycle(context.Background())
		m, _, err := Scrape(a.Handler)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range []error{expect(m, "rocketmq_namesrv_up", map[string]string{"namesrv": c.NamesrvAddr}, 1),
			expect(m, "rocketmq_up", up, 0)} {
			if e != nil {
				t.Error(e)
			}
		}
		logSays(t, logs, "it may require TLS (--rocketmq.tls)")
	})
	t.Run("verification skipped", func(t *testing.T) {
		a, _ := newApp(t, func(s *app.Settings) { s.TLS, s.TLSInsecure = true, true }, c.NamesrvAddr)
		waitMetrics(t, a, 2*time.Minute, "collect over TLS", func(m Metrics) error { return expect(m, "rocketmq_up", up, 1) })
	})
}
