package remoting_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/internal/realbroker"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
)

// server is a loopback peer: tlsCfg nil serves plain frames; otherwise
// crypto/tls's own server does the handshake (and the client-certificate
// check) before frames are answered. answer nil answers SUCCESS; it may
// also write raw bytes and return false to close the connection.
type server struct {
	ln net.Listener
	wg sync.WaitGroup
}

func serve(t *testing.T, tlsCfg *tls.Config, answer func(c net.Conn) bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if tlsCfg != nil {
				c = tls.Server(c, tlsCfg)
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				s.conn(c, answer)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return ln.Addr().String()
}

func (s *server) conn(c net.Conn, answer func(net.Conn) bool) {
	br := bufio.NewReader(c)
	for {
		req, err := remoting.ReadFrame(br)
		if err != nil {
			return
		}
		if answer != nil && !answer(c) {
			return
		}
		b, _ := remoting.AppendFrame(nil, &remoting.Command{Code: remoting.CodeSuccess, Opaque: req.Opaque, Flag: 1})
		if _, err := c.Write(b); err != nil {
			return
		}
	}
}

func call(t *testing.T, tlsCfg *tls.Config, addr string) error {
	t.Helper()
	c := remoting.NewClient(remoting.Options{TLS: tlsCfg, DialTimeout: 5 * time.Second})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.Call(ctx, addr, remoting.GetBrokerClusterInfo, nil, nil)
	return err
}

func pki(t *testing.T, names ...string) *realbroker.TLSFiles {
	t.Helper()
	f, err := realbroker.GenerateTLS(t.TempDir(), names...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func serverConfig(t *testing.T, f *realbroker.TLSFiles, requireClient bool) *tls.Config {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(f.ServerCert, f.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	if requireClient {
		pemCA, _ := os.ReadFile(f.CA)
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pemCA)
		cfg.ClientCAs, cfg.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return cfg
}

func clientConfig(t *testing.T, files remoting.TLSFiles) *tls.Config {
	t.Helper()
	cfg, err := files.Config()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// wantHint checks that err is a TLSError whose text holds hint.
func wantHint(t *testing.T, err error, hint string) {
	t.Helper()
	if !remoting.IsTLSError(err) || !strings.Contains(err.Error(), hint) {
		t.Fatalf("error %v: want a TLS error saying %q", err, hint)
	}
}

func TestTLSFilesConfig(t *testing.T) {
	f := pki(t, "rocketmq.test")
	bad := []struct {
		name  string
		files remoting.TLSFiles
		field string
	}{
		{"missing CA", remoting.TLSFiles{CAFile: f.CA + ".nope"}, "ca"},
		{"CA without certificate", remoting.TLSFiles{CAFile: f.ClientKey}, "ca"},
		{"certificate without key", remoting.TLSFiles{CertFile: f.ClientCert}, "key"},
		{"key without certificate", remoting.TLSFiles{KeyFile: f.ClientKey}, "cert"},
		{"a key as certificate", remoting.TLSFiles{CertFile: f.ClientKey, KeyFile: f.ClientKey}, "cert"},
		{"another certificate's key", remoting.TLSFiles{CertFile: f.ClientCert, KeyFile: f.ServerKey}, "key"},
		{"missing key", remoting.TLSFiles{CertFile: f.ClientCert, KeyFile: f.ClientKey + ".nope"}, "key"},
	}
	for _, b := range bad {
		_, err := b.files.Config()
		var fe *remoting.TLSFileError
		if !errors.As(err, &fe) || fe.Field != b.field {
			t.Errorf("%s: error %v, want a TLSFileError for %q", b.name, err, b.field)
		}
	}
	cfg := clientConfig(t, remoting.TLSFiles{CAFile: f.CA, CertFile: f.ClientCert, KeyFile: f.ClientKey, ServerName: "rocketmq.test"})
	if cfg.RootCAs == nil || len(cfg.Certificates) != 1 || cfg.ServerName != "rocketmq.test" || cfg.InsecureSkipVerify {
		t.Errorf("config %+v", cfg)
	}
}

// A plain client meets a server that speaks only TLS: crypto/tls's server
// closes at once on a first record that is no handshake.
func TestPlainClientToTLSServer(t *testing.T) {
	f := pki(t)
	addr := serve(t, serverConfig(t, f, false), nil)
	wantHint(t, call(t, nil, addr), "it may require TLS (--rocketmq.tls)")
}

// A plain client whose server answers with a TLS alert record.
func TestPlainClientGetsTLSRecord(t *testing.T) {
	addr := serve(t, nil, func(c net.Conn) bool {
		c.Write([]byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46}) // alert, TLS 1.2, fatal protocol_version
		return false
	})
	wantHint(t, call(t, nil, addr), "it requires TLS (--rocketmq.tls)")
}

// A TLS client meets a plain frame server: it reads the ClientHello as an
// oversized frame and closes.
func TestTLSClientToPlainServer(t *testing.T) {
	f := pki(t)
	addr := serve(t, nil, nil)
	wantHint(t, call(t, clientConfig(t, remoting.TLSFiles{CAFile: f.CA}), addr), "may not accept TLS")
}

func TestTLSClientVerifiesTheServer(t *testing.T) {
	f := pki(t, "rocketmq.test") // no IP: 127.0.0.1 is not in the certificate
	addr := serve(t, serverConfig(t, f, false), nil)
	wantHint(t, call(t, clientConfig(t, remoting.TLSFiles{CAFile: f.CA}), addr), "--rocketmq.tls.server-name")
	wantHint(t, call(t, clientConfig(t, remoting.TLSFiles{ServerName: "rocketmq.test"}), addr), "--rocketmq.tls.ca-file")
	if err := call(t, clientConfig(t, remoting.TLSFiles{CAFile: f.CA, ServerName: "rocketmq.test"}), addr); err != nil {
		t.Fatalf("with the CA and the server name: %v", err)
	}
	if err := call(t, clientConfig(t, remoting.TLSFiles{InsecureSkipVerify: true}), addr); err != nil {
		t.Fatalf("skipping verification: %v", err)
	}
}

func TestTLSClientCertificate(t *testing.T) {
	f := pki(t)
	addr := serve(t, serverConfig(t, f, true), nil)
	wantHint(t, call(t, clientConfig(t, remoting.TLSFiles{CAFile: f.CA}), addr), "--rocketmq.tls.cert-file")
	withCert := remoting.TLSFiles{CAFile: f.CA, CertFile: f.ClientCert, KeyFile: f.ClientKey}
	if err := call(t, clientConfig(t, withCert), addr); err != nil {
		t.Fatalf("with the client certificate: %v", err)
	}
}
