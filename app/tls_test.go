package app

import (
	"strings"
	"testing"

	"github.com/rocketmq-exporter/rocketmq_exporter/internal/realbroker"
)

// TestTLSSettings: a TLS file that cannot be used, or a TLS setting without
// --rocketmq.tls, stops the exporter at start with an error naming the flag.
func TestTLSSettings(t *testing.T) {
	f, err := realbroker.GenerateTLS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		mod  func(*Settings)
		want string // "" means New succeeds
	}{
		{"CA, client certificate, server name", func(s *Settings) {
			s.TLS, s.TLSCAFile, s.TLSCertFile, s.TLSKeyFile, s.TLSServerName = true, f.CA, f.ClientCert, f.ClientKey, "localhost"
		}, ""},
		{"skip verification alone", func(s *Settings) { s.TLS, s.TLSInsecure = true, true }, ""},
		{"missing CA file", func(s *Settings) { s.TLS, s.TLSCAFile = true, f.CA+".missing" }, "--rocketmq.tls.ca-file"},
		{"a key as CA", func(s *Settings) { s.TLS, s.TLSCAFile = true, f.ClientKey }, "--rocketmq.tls.ca-file"},
		{"certificate without key", func(s *Settings) { s.TLS, s.TLSCertFile = true, f.ClientCert }, "--rocketmq.tls.key-file"},
		{"wrong key", func(s *Settings) { s.TLS, s.TLSCertFile, s.TLSKeyFile = true, f.ClientCert, f.ServerKey }, "--rocketmq.tls.key-file"},
		{"unreadable certificate", func(s *Settings) { s.TLS, s.TLSCertFile, s.TLSKeyFile = true, f.CA+".x", f.ClientKey }, "--rocketmq.tls.cert-file"},
		{"CA without --rocketmq.tls", func(s *Settings) { s.TLSCAFile = f.CA }, "--rocketmq.tls.ca-file needs --rocketmq.tls"},
		{"server name without --rocketmq.tls", func(s *Settings) { s.TLSServerName = "x" }, "--rocketmq.tls.server-name needs --rocketmq.tls"},
		{"CA and skip verification", func(s *Settings) { s.TLS, s.TLSCAFile, s.TLSInsecure = true, f.CA, true }, "--rocketmq.tls.insecure-skip-verify"},
	}
	for _, c := range cases {
		s := Defaults()
		s.Namesrvs = []string{"127.0.0.1:9876"}
		c.mod(&s)
		a, err := New(s, nil)
		if err == nil {
			a.Close()
		}
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want one naming %s", c.name, err, c.want)
		}
	}
}

// A sharded replica reads large answers under a budget; an unsharded
// exporter reads them as they come.
func TestAnswerBudgetOnlyWhenSharded(t *testing.T) {
	for count, want := range map[int]int{1: 0, 4: shardAnswerBudget} {
		s := Defaults()
		s.ShardCount = count
		opts, err := remotingOptions(s, nil)
		if err != nil {
			t.Fatal(err)
		}
		if opts.AnswerBudget != want {
			t.Errorf("--shard.count=%d: answer budget %d, want %d", count, opts.AnswerBudget, want)
		}
	}
}
