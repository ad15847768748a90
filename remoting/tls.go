package remoting

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
)

// TLSFiles configure a client's TLS from PEM files, as an operator gives
// them.
type TLSFiles struct {
	CAFile   string // the CAs that sign the servers' certificates; "": the system's roots
	CertFile string // a client certificate, for servers that require one (tls.server.need.client.auth=require)
	KeyFile  string // its private key
	// ServerName is verified against the servers' certificates instead of
	// the host dialled (brokers register by IP; certificates often carry a
	// DNS name only).
	ServerName         string
	InsecureSkipVerify bool
}

// TLSFileError says which of TLSFiles could not be used: "ca", "cert" or
// "key".
type TLSFileError struct {
	Field string
	Path  string
	Err   error
}

func (e *TLSFileError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("TLS %s: %v", e.Field, e.Err)
	}
	return fmt.Sprintf("TLS %s %s: %v", e.Field, e.Path, e.Err)
}

func (e *TLSFileError) Unwrap() error { return e.Err }

// Config reads the files and returns the client configuration.
func (f TLSFiles) Config() (*tls.Config, error) {
	cfg := &tls.Config{ServerName: f.ServerName, InsecureSkipVerify: f.InsecureSkipVerify, MinVersion: tls.VersionTLS12} //nolint:gosec // skipping verification is the operator's explicit choice
	if f.CAFile != "" {
		pemCA, err := os.ReadFile(f.CAFile)
		if err != nil {
			return nil, &TLSFileError{"ca", f.CAFile, err}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemCA) {
			return nil, &TLSFileError{"ca", f.CAFile, errors.New("holds no PEM certificate")}
		}
		cfg.RootCAs = pool
	}
	switch {
	case f.CertFile == "" && f.KeyFile == "":
		return cfg, nil
	case f.KeyFile == "":
		return nil, &TLSFileError{"key", "", errors.New("a client certificate needs its key")}
	case f.CertFile == "":
		return nil, &TLSFileError{"cert", "", errors.New("a client key needs its certificate")}
	}
	cert, err := loadPair(f.CertFile, f.KeyFile)
	if err != nil {
		return nil, err
	}
	cfg.Certificates = []tls.Certificate{cert}
	return cfg, nil
}

// loadPair is tls.LoadX509KeyPair, with errors that say which file failed.
func loadPair(certFile, keyFile string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, &TLSFileError{"cert", certFile, err}
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, &TLSFileError{"key", keyFile, err}
	}
	if err := parseFirstCert(certPEM); err != nil {
		return tls.Certificate{}, &TLSFileError{"cert", certFile, err}
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, &TLSFileError{"key", keyFile, err}
	}
	return cert, nil
}

// parseFirstCert checks that data holds a PEM certificate that parses.
func parseFirstCert(data []byte) error {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return errors.New("holds no PEM certificate")
		}
		if b.Type == "CERTIFICATE" {
			_, err := x509.ParseCertificate(b.Bytes)
			return err
		}
	}
}

// TLSError is a connection that failed for a reason that points at TLS:
// a plain client whose server closed the connection before answering or
// answered with a TLS record (the server requires TLS), a TLS client whose
// server does not speak TLS, refuses its certificate or whose certificate
// it could not verify. Hint says what to check.
type TLSError struct {
	Hint string
	Err  error
}

func (e *TLSError) Error() string { return fmt.Sprintf("%v: %s", e.Err, e.Hint) }
func (e *TLSError) Unwrap() error { return e.Err }

// IsTLSError reports whether err is (or wraps) a TLSError.
func IsTLSError(err error) bool {
	var te *TLSError
	return errors.As(err, &te)
}

// withTLSHint wraps err in a TLSError when, on a connection that never
// received a frame, it points at TLS; overTLS tells the connection's kind.
func withTLSHint(err error, overTLS bool) error {
	if err == nil || IsTLSError(err) {
		return err
	}
	if hint := tlsHint(err, overTLS); hint != "" {
		return &TLSError{Hint: hint, Err: err}
	}
	return err
}

func tlsHint(err error, overTLS bool) string {
	var (
		fe   *FrameError
		rh   tls.RecordHeaderError
		host x509.HostnameError
		ca   x509.UnknownAuthorityError
	)
	switch {
	case !overTLS && errors.As(err, &fe) && fe.TLSRecord:
		return "the server answered with a TLS record: it requires TLS (--rocketmq.tls)"
	case !overTLS && closedByPeer(err):
		return "the server closed the connection before answering: it may require TLS (--rocketmq.tls)"
	case !overTLS:
		return ""
	case errors.As(err, &rh):
		return "the server does not speak TLS (tls.server.mode=disabled, or not RocketMQ): drop --rocketmq.tls"
	case remoteAlert(err, "certificate required", "bad certificate", "unknown certificate", "certificate unknown"):
		return "the server requires a client certificate its CA signed (--rocketmq.tls.cert-file, --rocketmq.tls.key-file)"
	case errors.As(err, &host):
		return "set --rocketmq.tls.server-name to a name the server's certificate holds"
	case errors.As(err, &ca):
		return "give the CA that signed the server's certificate (--rocketmq.tls.ca-file)"
	case closedByPeer(err):
		return "the server closed the connection during or right after the TLS handshake: it may not accept TLS " +
			"(tls.server.mode=disabled) or may require a client certificate (--rocketmq.tls.cert-file)"
	}
	return ""
}

// closedByPeer tells a connection the other side closed or reset.
func closedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// remoteAlert tells a TLS alert the server sent (crypto/tls reports it as a
// net.OpError "remote error" around an unexported alert type) whose text
// holds one of texts.
func remoteAlert(err error, texts ...string) bool {
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "remote error" || op.Err == nil {
		return false
	}
	msg := op.Err.Error()
	for _, t := range texts {
		if strings.Contains(msg, t) {
			return true
		}
	}
	return false
}
