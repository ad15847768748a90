package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/rocketmq-exporter/rocketmq_exporter/internal/testtool"
)

// Issue #12 item 4: TLS and basic auth on the exporter's own endpoints
// through --web.config.file, with the binary a user runs, against the real
// broker, checked by Go clients and by a real Prometheus.

const webUser, webPassword = "prometheus", "scrape-secret-1"

// testPKI is a CA made for the test and a server certificate it signed
// for 127.0.0.1 and localhost.
type testPKI struct {
	caFile, certFile, keyFile string
	pool                      *x509.CertPool
}

func newTestPKI(t *testing.T, dir string) testPKI {
	t.Helper()
	caKey, caCert := newCert(t, nil, nil, &x509.Certificate{
		Subject: pkix.Name{CommonName: "e2e test CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	})
	srvKey, srvCert := newCert(t, caKey, caCert, &x509.Certificate{
		Subject: pkix.Name{CommonName: "rocketmq-exporter"}, DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	p := testPKI{caFile: filepath.Join(dir, "ca.pem"), certFile: filepath.Join(dir, "server.pem"),
		keyFile: filepath.Join(dir, "server-key.pem"), pool: x509.NewCertPool()}
	p.pool.AddCert(caCert)
	der, err := x509.MarshalECPrivateKey(srvKey)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, p.caFile, "CERTIFICATE", caCert.Raw)
	writePEM(t, p.certFile, "CERTIFICATE", srvCert.Raw)
	writePEM(t, p.keyFile, "EC PRIVATE KEY", der)
	return p
}

// newCert makes a key and a certificate from tmpl, signed by parent (self
// signed when parent is nil), valid from an hour ago for a day.
func newCert(t *testing.T, parentKey *ecdsa.PrivateKey, parent, tmpl *x509.Certificate) (*ecdsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber, tmpl.NotBefore, tmpl.NotAfter = serial, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}

func writePEM(t *testing.T, path, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// writeWebConfig writes an exporter-toolkit web config with TLS and, when
// hash is not empty, basic auth for webUser. It replaces the file in one
// rename: the exporter re-reads it on every request.
func writeWebConfig(t *testing.T, path string, p testPKI, hash string) {
	t.Helper()
	conf := fmt.Sprintf("tls_server_config:\n  cert_file: %q\n  key_file: %q\n", p.certFile, p.keyFile)
	if hash != "" {
		conf += fmt.Sprintf("basic_auth_users:\n  %s: %q\n", webUser, hash)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// buildExporter builds the exporter's binary as a user would.
func buildExporter(t *testing.T) string {
	t.Helper()
	goBin := testtool.Need(t, "https://go.dev/dl", "go")
	bin := filepath.Join(t.TempDir(), "rocketmq_exporter")
	out, err := exec.Command(goBin, "build", "-o", bin, "github.com/rocketmq-exporter/rocketmq_exporter/cmd/exporter").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startExporter runs bin with args on a free loopback port until the test
// ends, and returns its address once it accepts connections and its
// output. A port taken between the probe and the bind is tried again.
func startExporter(t *testing.T, ctx context.Context, bin string, args ...string) (string, *lockedBuffer) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		addr, out, err := startExporterOnce(t, ctx, bin, args)
		if err == nil {
			return addr, out
		}
		if attempt == 3 || !strings.Contains(out.String(), "address already in use") {
			t.Fatalf("exporter: %v\n%s", err, tailText(out.String(), 20))
		}
	}
}

func startExporterOnce(t *testing.T, ctx context.Context, bin string, args []string) (string, *lockedBuffer, error) {
	out := &lockedBuffer{}
	port, err := freePort()
	if err != nil {
		return "", out, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.Command(bin, append(args, "--web.listen-address="+addr)...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return "", out, err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})
	err = eventually(ctx, time.Minute, func() error {
		select {
		case <-exited:
			return errExited
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err
	})
	return addr, out, err
}

var errExited = errors.New("the exporter exited")

// get fetches url with client, as user:password unless user is "", and
// returns the status, the WWW-Authenticate header and the body.
func get(ctx context.Context, client *http.Client, url, user, password string) (int, string, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", "", err
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), string(body), err
}

func tlsClient(roots *x509.CertPool, skipVerify bool) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, InsecureSkipVerify: skipVerify}}}
}

// TestWebConfig runs the exporter's binary with TLS and basic auth from
// --web.config.file against the real broker. Every endpoint (landing
// page, /metrics, /healthz, /readyz) answers 401 without credentials or
// with a wrong password, and 200 with them, over TLS verified with the
// test CA; plain HTTP and a client without the CA get nothing. A real
// Prometheus scrapes it with basic_auth and tls_config. With TLS alone
// (basic auth taken out of the file while it runs) /healthz answers a
// client that verifies nothing, as a kubelet's HTTPS probe is.
func TestWebConfig(t *testing.T) {
	needBroker(t)
	ctx := ctxT(t, 5*time.Minute)
	dir := t.TempDir()
	pki := newTestPKI(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte(webPassword), bcrypt.DefaultCost)
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "web-config.yml")
	writeWebConfig(t, conf, pki, string(hash))
	addr, out := startExporter(t, ctx, buildExporter(t), "--rocketmq.namesrv-addr="+cluster.NamesrvAddr,
		"--web.config.file="+conf, "--collect.interval=2s")
	base, client := "https://"+addr, tlsClient(pki.pool, false)

	if err := eventually(ctx, 2*time.Minute, func() error { return upWithCredentials(ctx, client, base) }); err != nil {
		t.Fatalf("%v\nexporter output:\n%s", err, tailText(out.String(), 20))
	}
	for _, path := range []string{"/", "/metrics", "/healthz", "/readyz"} {
		refusedWithout(t, ctx, client, base+path)
	}
	notOverPlainHTTP(t, ctx, addr)
	if _, _, _, err := get(ctx, tlsClient(nil, false), base+"/healthz", webUser, webPassword); err == nil ||
		!strings.Contains(err.Error(), "certificate") {
		t.Errorf("a client without the test CA: %v, want a certificate error", err)
	}
	scrapedByPrometheus(t, ctx, pki, addr)

	writeWebConfig(t, conf, pki, "") // TLS alone
	kubelet := tlsClient(nil, true)
	err = eventually(ctx, 30*time.Second, func() error {
		code, _, body, err := get(ctx, kubelet, base+"/healthz", "", "")
		if err == nil && code != http.StatusOK {
			err = fmt.Errorf("/healthz with TLS alone, no credentials: HTTP %d %q", code, body)
		}
		return err
	})
	if err != nil {
		t.Error(err)
	}
}

// upWithCredentials: with the right credentials, over verified TLS,
// /metrics has the broker up, the landing page lists it, /healthz and
// /readyz answer 200.
func upWithCredentials(ctx context.Context, client *http.Client, base string) error {
	code, _, body, err := get(ctx, client, base+"/metrics", webUser, webPassword)
	if err != nil || code != http.StatusOK {
		return fmt.Errorf("/metrics with credentials: HTTP %d, %v", code, err)
	}
	m, err := parse(strings.NewReader(body))
	if err != nil {
		return err
	}
	if v, ok := m.Value("rocketmq_up", map[string]string{"broker": cluster.BrokerName, "broker_id": "0"}); !ok || v != 1 {
		return fmt.Errorf("rocketmq_up of %s = %v (%v), want 1", cluster.BrokerName, v, ok)
	}
	for _, path := range []string{"/", "/healthz", "/readyz"} {
		code, _, body, err := get(ctx, client, base+path, webUser, webPassword)
		if err != nil || code != http.StatusOK {
			return fmt.Errorf("%s with credentials: HTTP %d, %v", path, code, err)
		}
		if path == "/" && !strings.Contains(body, cluster.BrokerName) {
			return fmt.Errorf("landing page does not list broker %s", cluster.BrokerName)
		}
	}
	return nil
}

// refusedWithout: url answers 401 with a Basic challenge to no
// credentials, a wrong password and an unknown user.
func refusedWithout(t *testing.T, ctx context.Context, client *http.Client, url string) {
	t.Helper()
	for _, who := range [][2]string{{"", ""}, {webUser, webPassword + "x"}, {"someone", webPassword}} {
		code, challenge, body, err := get(ctx, client, url, who[0], who[1])
		if err != nil || code != http.StatusUnauthorized || challenge != "Basic" {
			t.Errorf("%s as %q: HTTP %d, WWW-Authenticate %q, %v; want 401 and a Basic challenge", url, who[0], code, challenge, err)
		}
		if strings.Contains(body, "rocketmq_") || strings.Contains(body, cluster.BrokerName) {
			t.Errorf("%s as %q: the refusal carries data: %.200s", url, who[0], body)
		}
	}
}

// notOverPlainHTTP: the listener speaks TLS only.
func notOverPlainHTTP(t *testing.T, ctx context.Context, addr string) {
	t.Helper()
	code, _, body, err := get(ctx, &http.Client{Timeout: 30 * time.Second}, "http://"+addr+"/metrics", webUser, webPassword)
	if err == nil && (code == http.StatusOK || strings.Contains(body, "rocketmq_")) {
		t.Errorf("plain HTTP: HTTP %d with data, want a refusal", code)
	}
}

// scrapedByPrometheus: a real Prometheus scrapes the exporter over TLS
// with the test CA and basic auth; the target is up and its series
// arrive.
func scrapedByPrometheus(t *testing.T, ctx context.Context, pki testPKI, addr string) {
	t.Helper()
	bin := needPrometheus(t)
	p, err := StartPrometheus(ctx, bin, PrometheusConfig{Job: "rocketmq", Targets: []string{addr}, Interval: 2 * time.Second,
		Scrape: fmt.Sprintf("    scheme: https\n    basic_auth:\n      username: %q\n      password: %q\n"+
			"    tls_config:\n      ca_file: %q\n      server_name: localhost\n", webUser, webPassword, pki.caFile)})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	err = eventually(ctx, time.Minute, func() error {
		up, err := p.Query(ctx, `up{job="rocketmq"} == 1`)
		if err == nil && len(up) != 1 {
			err = fmt.Errorf("target not up")
		}
		if err == nil {
			err = nonEmpty(ctx, p, fmt.Sprintf(`rocketmq_up{broker=%q} == 1`, cluster.BrokerName))
		}
		return err
	})
	if err != nil {
		t.Errorf("Prometheus with basic_auth and tls_config: %v\n%s", err, tailText(p.Log(), 15))
	}
}
