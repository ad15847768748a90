package realbroker

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// TLS starts a cluster with TLS, configured the way RocketMQ reads it
// (TlsSystemConfig and TlsHelper, the same in 4.9.7 and 5.3.3): the server
// mode as the JVM system property tls.server.mode, everything else from a
// tls.config.file the harness writes to conf/tls.properties. The brokers
// also dial the namesrvs (and a slave its master) with TLS (tls.enable=true),
// presenting the client certificate, and so does MQAdmin.
type TLS struct {
	Files TLSFiles
	// NamesrvMode and BrokerMode are the servers' tls.server.mode:
	// "enforcing" (the default here: a connection that does not start with
	// a TLS handshake is closed), "permissive" (TLS and plain TCP on one
	// port; RocketMQ's default) or "disabled".
	NamesrvMode, BrokerMode string
	// ClientAuth is tls.server.need.client.auth: "none" (the default),
	// "optional" or "require" (a client must present a certificate that
	// Files.CA signed).
	ClientAuth string
}

// TLSFiles are PEM files: the CA that signs the rest, the certificate and
// key the namesrvs and brokers serve, and the client certificate and key
// the brokers, MQAdmin and the harness present. Keys are PKCS#8 ("PRIVATE
// KEY"), the only form Netty's SslContextBuilder reads.
type TLSFiles struct {
	CA, ServerCert, ServerKey, ClientCert, ClientKey string
	// ServerName is a name ServerCert is valid for: what clients verify
	// instead of the 127.0.0.1 they dial when the certificate has no IP.
	ServerName string
}

func (t *TLS) namesrvMode() string {
	if t == nil {
		return ""
	}
	return orDefault(t.NamesrvMode, "enforcing")
}

func (t *TLS) brokerMode() string {
	if t == nil {
		return ""
	}
	return orDefault(t.BrokerMode, "enforcing")
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// setTLS checks t and builds the harness's own client side from it.
func (c *Cluster) setTLS(t *TLS) error {
	if t == nil {
		return nil
	}
	for _, m := range []string{t.namesrvMode(), t.brokerMode()} {
		if m != "enforcing" && m != "permissive" && m != "disabled" {
			return fmt.Errorf("realbroker: TLS mode %q: want enforcing, permissive or disabled", m)
		}
	}
	if a := orDefault(t.ClientAuth, "none"); a != "none" && a != "optional" && a != "require" {
		return fmt.Errorf("realbroker: TLS.ClientAuth %q: want none, optional or require", a)
	}
	cfg, err := t.Files.ClientConfig()
	if err != nil {
		return err
	}
	c.tls, c.clientTLS = t, cfg
	return nil
}

// TLSConfig returns a copy of what the harness dials the cluster with (the
// CA, the client certificate, the server name), or nil without TLS.
func (c *Cluster) TLSConfig() *tls.Config {
	if c.clientTLS == nil {
		return nil
	}
	return c.clientTLS.Clone()
}

// TLSFiles returns the files the cluster was started with (zero without TLS).
func (c *Cluster) TLSFiles() TLSFiles {
	if c.tls == nil {
		return TLSFiles{}
	}
	return c.tls.Files
}

// ClientConfig is the client side of f: f.CA as the only root, the client
// certificate when f has one, and f.ServerName.
func (f TLSFiles) ClientConfig() (*tls.Config, error) {
	pemCA, err := os.ReadFile(f.CA)
	if err != nil {
		return nil, fmt.Errorf("realbroker: TLS CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemCA) {
		return nil, fmt.Errorf("realbroker: TLS CA %s holds no PEM certificate", f.CA)
	}
	cfg := &tls.Config{RootCAs: pool, ServerName: f.ServerName, MinVersion: tls.VersionTLS12}
	if f.ClientCert != "" {
		cert, err := tls.LoadX509KeyPair(f.ClientCert, f.ClientKey)
		if err != nil {
			return nil, fmt.Errorf("realbroker: TLS client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// writeTLSProps writes conf/tls.properties, the tls.config.file of every
// JVM. tls.test.mode.enable=false matters: RocketMQ's default (true) serves
// a fresh self-signed certificate and trusts anyone, ignoring the files.
func (c *Cluster) writeTLSProps() error {
	t := c.tls
	if t == nil {
		return nil
	}
	auth := orDefault(t.ClientAuth, "none")
	props := []string{
		"tls.test.mode.enable=false",
		"tls.server.need.client.auth=" + auth,
		"tls.server.certPath=" + t.Files.ServerCert,
		"tls.server.keyPath=" + t.Files.ServerKey,
		fmt.Sprintf("tls.server.authClient=%v", auth != "none"),
		"tls.server.trustCertPath=" + t.Files.CA,
		"tls.client.certPath=" + t.Files.ClientCert,
		"tls.client.keyPath=" + t.Files.ClientKey,
		"tls.client.authServer=true",
		"tls.client.trustCertPath=" + t.Files.CA,
	}
	return os.WriteFile(c.path("conf", "tls.properties"), []byte(strings.Join(props, "\n")+"\n"), 0o644)
}

// serverTLSProps are the system properties of a namesrv or broker JVM
// serving in mode ("" when the cluster has no TLS). The file's path is
// always given: RocketMQ would otherwise read /etc/rocketmq/tls.properties.
func (c *Cluster) serverTLSProps(mode string) []string {
	if c.tls == nil {
		return nil
	}
	return append(c.clientTLSProps(), "-Dtls.server.mode="+mode)
}

// clientTLSProps make a JVM's remoting clients (a broker's to the namesrvs
// and its master, mqadmin's) dial with TLS.
func (c *Cluster) clientTLSProps() []string {
	if c.tls == nil {
		return nil
	}
	return []string{"-Dtls.enable=true", "-Dtls.config.file=" + c.path("conf", "tls.properties")}
}

// GenerateTLS writes into dir a fresh CA (ca.pem), a server certificate for
// names (DNS names or IP addresses; default "localhost" and "127.0.0.1")
// (server.pem, server.key) and a client certificate (client.pem,
// client.key), both signed by the CA, ECDSA P-256, valid for a day.
// ServerName is the first name.
func GenerateTLS(dir string, names ...string) (*TLSFiles, error) {
	if len(names) == 0 {
		names = []string{"localhost", "127.0.0.1"}
	}
	f := &TLSFiles{CA: filepath.Join(dir, "ca.pem"), ServerCert: filepath.Join(dir, "server.pem"),
		ServerKey: filepath.Join(dir, "server.key"), ClientCert: filepath.Join(dir, "client.pem"),
		ClientKey: filepath.Join(dir, "client.key"), ServerName: names[0]}
	ca, caKey, err := issue(f.CA, "", &x509.Certificate{Subject: pkix.Name{CommonName: "realbroker test CA"},
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}, nil, nil)
	if err != nil {
		return nil, err
	}
	srv := &x509.Certificate{Subject: pkix.Name{CommonName: names[0]}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			srv.IPAddresses = append(srv.IPAddresses, ip)
		} else {
			srv.DNSNames = append(srv.DNSNames, n)
		}
	}
	if _, _, err := issue(f.ServerCert, f.ServerKey, srv, ca, caKey); err != nil {
		return nil, err
	}
	cli := &x509.Certificate{Subject: pkix.Name{CommonName: "realbroker test client"}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if _, _, err := issue(f.ClientCert, f.ClientKey, cli, ca, caKey); err != nil {
		return nil, err
	}
	return f, nil
}

// issue creates a key and tmpl's certificate, signed by parent (self-signed
// when nil), and writes the certificate to certPath and, when keyPath is
// set, the key to keyPath (PKCS#8); the CA's key stays in memory.
func issue(certPath, keyPath string, tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, err
	}
	tmpl.SerialNumber = serial
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, nil, fmt.Errorf("realbroker: issue %s: %w", filepath.Base(certPath), err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	if err := writePEM(certPath, "CERTIFICATE", der); err != nil {
		return nil, nil, err
	}
	if keyPath != "" {
		p8, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, nil, err
		}
		if err := writePEM(keyPath, "PRIVATE KEY", p8); err != nil {
			return nil, nil, err
		}
	}
	return cert, key, nil
}

func writePEM(path, typ string, der []byte) error {
	data := pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	if data == nil {
		return errors.New("realbroker: PEM encoding failed")
	}
	return os.WriteFile(path, data, 0o600)
}
