package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/common/version"

	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting/remotingtest"
)

// runCapture runs the command line and returns its exit code and stderr.
func runCapture(t *testing.T, args ...string) (int, string) {
	t.Helper()
	dir := t.TempDir()
	out, _ := os.Create(filepath.Join(dir, "out"))
	errf, _ := os.Create(filepath.Join(dir, "err"))
	defer out.Close()
	defer errf.Close()
	code := run(args, out, errf)
	b, _ := os.ReadFile(errf.Name())
	return code, string(b)
}

func TestBadInputGetsOneClearLine(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--rocketmq.namesrv-addr=127.0.0.1:9876", "--collect.interval=soon"}, `invalid duration "soon"`},
		{[]string{"--rocketmq.namesrv-addr=127.0.0.1:9876", "--topic.include=("}, "--topic.include"},
		{[]string{"--rocketmq.namesrv-addr=127.0.0.1:9876", "--group.exclude=[a-"}, "--group.include/--group.exclude"},
		{[]string{}, "--rocketmq.namesrv-addr is required"},
		{[]string{"--rocketmq.namesrv-addr=localhost"}, "has no port"},
		{[]string{"--rocketmq.namesrv-addr=a=127.0.0.1:9876", "--rocketmq.namesrv-addr=a=127.0.0.2:9876"}, `two targets are named "a"`},
		{[]string{"--rocketmq.namesrv-addr=127.0.0.1:9876", "--rocketmq.access-key=ak"}, "go together"},
		{[]string{"--no-such-flag"}, "unknown long flag"},
		{[]string{"--rocketmq.namesrv-addr=127.0.0.1:9876", "audit", "--output=xml"}, "enum value must be one of"},
	}
	for _, c := range cases {
		code, stderr := runCapture(t, c.args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", c.args, code)
		}
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if len(lines) != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: stderr %q, want one line containing %q", c.args, stderr, c.want)
		}
	}
}

func TestAuditUnreachableNamesrvIsAnError(t *testing.T) {
	code, _ := runCapture(t, "--rocketmq.namesrv-addr=127.0.0.1:1", "--rocketmq.timeout=300ms", "--collect.interval=1s", "audit")
	if code != 2 {
		t.Fatalf("audit against nothing: exit %d, want 2", code)
	}
}

func TestVersionAndHelpExitZero(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"--help"}, {"audit", "--help"}} {
		if code, stderr := runCapture(t, args...); code != 0 {
			t.Errorf("%v: exit %d (%s)", args, code, stderr)
		}
	}
}

// namesrv is a fake namesrv that records every request it gets and
// answers each with an error, so that a run ends quickly.
type namesrv struct {
	addr string
	mu   sync.Mutex
	reqs []*remoting.Command
}

func fakeNamesrv(t *testing.T) *namesrv {
	n := &namesrv{}
	n.addr = remotingtest.Serve(t, func(req *remoting.Command, _ string) *remoting.Command {
		n.mu.Lock()
		n.reqs = append(n.reqs, req)
		n.mu.Unlock()
		return &remoting.Command{Code: 1, Remark: "test namesrv"}
	})
	return n
}

func (n *namesrv) requests() []*remoting.Command {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.reqs)
}

// auditPass runs one audit pass with the given flags and environment.
func auditPass(t *testing.T, env map[string]string, args ...string) (int, string) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	return runCapture(t, append(args, "--rocketmq.timeout=2s", "audit")...)
}

// TestEnvHoldsSeveralTargets: the one variable lists several clusters,
// separated the ways users type them, and every namesrv of each is asked.
func TestEnvHoldsSeveralTargets(t *testing.T) {
	a, b, c, d := fakeNamesrv(t), fakeNamesrv(t), fakeNamesrv(t), fakeNamesrv(t)
	for _, sep := range []string{" ", "\n", "\r\n", " \t\n "} {
		value := " east = " + a.addr + " ; " + b.addr + sep + c.addr + "," + d.addr + "\n"
		code, stderr := auditPass(t, map[string]string{namesrvEnv: value})
		if code != 2 {
			t.Errorf("%q: exit %d, want 2 (the namesrvs answer errors): %s", value, code, stderr)
		}
	}
	for i, n := range []*namesrv{a, b, c, d} {
		if got := len(n.requests()); got < 4 {
			t.Errorf("namesrv %d got %d requests in 4 runs, want one run's at least each", i, got)
		}
	}
}

// TestFlagOverridesEnv: a namesrv-addr flag replaces the variable.
func TestFlagOverridesEnv(t *testing.T) {
	used, unused := fakeNamesrv(t), fakeNamesrv(t)
	auditPass(t, map[string]string{namesrvEnv: unused.addr}, "--rocketmq.namesrv-addr="+used.addr)
	if len(used.requests()) == 0 || len(unused.requests()) != 0 {
		t.Errorf("flag's namesrv got %d requests, variable's %d", len(used.requests()), len(unused.requests()))
	}
}

// TestBadEnvTargetNamesTheVariable: a bad value is refused at start, in
// one line that names the variable the user has to fix.
func TestBadEnvTargetNamesTheVariable(t *testing.T) {
	for value, want := range map[string]string{
		"127.0.0.1:9876 localhost":         `"localhost" has no port`,
		"a=127.0.0.1:1 a=127.0.0.1:2":      `two targets are named "a"`,
		"=127.0.0.1:1":                     "empty name",
		"127.0.0.1:1;;\n;127.0.0.2:1 ;\n,": "names no address",
	} {
		t.Setenv(namesrvEnv, value)
		code, stderr := runCapture(t)
		if code != 2 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 ||
			!strings.Contains(stderr, namesrvEnv+":") || !strings.Contains(stderr, want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and one line naming %s with %q", value, code, stderr, namesrvEnv, want)
		}
	}
}

// TestBuiltinFlagNamesInEnvDoNotBreakStart: variables that look like
// kingpin's own flags (an image's ROCKETMQ_EXPORTER_VERSION, say) are not
// flags: the exporter starts and talks to its namesrv as without them.
func TestBuiltinFlagNamesInEnvDoNotBreakStart(t *testing.T) {
	n := fakeNamesrv(t)
	env := map[string]string{namesrvEnv: n.addr}
	for _, name := range builtinFlags {
		env["ROCKETMQ_EXPORTER_"+strings.ToUpper(strings.ReplaceAll(name, "-", "_"))] = "1.2.3"
	}
	code, stderr := auditPass(t, env)
	if code != 2 || strings.Contains(stderr, "1.2.3") || len(n.requests()) == 0 {
		t.Errorf("exit %d, %d requests, stderr %q; want an audit pass that asked the namesrv", code, len(n.requests()), stderr)
	}
}

// signature is the ACL signature of the first request n received.
func (n *namesrv) signature(t *testing.T) string {
	t.Helper()
	r := n.requests()
	if len(r) == 0 || r[0].ExtFields["AccessKey"] != "ak" {
		t.Fatalf("no signed request received: %+v", r)
	}
	return r[0].ExtFields["Signature"]
}

// TestSecretKeyFile: the key read from the file (its trailing newline
// dropped) signs requests exactly as the same key given by flag does.
func TestSecretKeyFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "sk")
	if err := os.WriteFile(file, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	byFlag, byFile, byEnv, wrong := fakeNamesrv(t), fakeNamesrv(t), fakeNamesrv(t), fakeNamesrv(t)
	auditPass(t, nil, "--rocketmq.namesrv-addr="+byFlag.addr, "--rocketmq.access-key=ak", "--rocketmq.secret-key=s3cret")
	auditPass(t, nil, "--rocketmq.namesrv-addr="+byFile.addr, "--rocketmq.access-key=ak", "--rocketmq.secret-key-file="+file)
	auditPass(t, map[string]string{"ROCKETMQ_EXPORTER_ROCKETMQ_SECRET_KEY_FILE": file, "ROCKETMQ_EXPORTER_ROCKETMQ_ACCESS_KEY": "ak"},
		"--rocketmq.namesrv-addr="+byEnv.addr)
	os.Unsetenv("ROCKETMQ_EXPORTER_ROCKETMQ_SECRET_KEY_FILE")
	auditPass(t, nil, "--rocketmq.namesrv-addr="+wrong.addr, "--rocketmq.access-key=ak", "--rocketmq.secret-key=s3cret\n")
	want := byFlag.signature(t)
	if byFile.signature(t) != want || byEnv.signature(t) != want {
		t.Errorf("signatures: flag %q, file %q, env file %q", want, byFile.signature(t), byEnv.signature(t))
	}
	if wrong.signature(t) == want {
		t.Error("another key signs alike: the comparison proves nothing")
	}
}

func TestSecretKeyFileErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	base := []string{"--rocketmq.namesrv-addr=127.0.0.1:9876", "--rocketmq.access-key=ak"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--rocketmq.secret-key=x", "--rocketmq.secret-key-file=" + empty}, "mutually exclusive"},
		{[]string{"--rocketmq.secret-key-file=" + filepath.Join(dir, "missing")}, "--rocketmq.secret-key-file: open"},
		{[]string{"--rocketmq.secret-key-file=" + empty}, "is empty"},
	} {
		code, stderr := runCapture(t, append(base, c.args...)...)
		if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line with %q", c.args, code, stderr, c.want)
		}
	}
}

// TestVersionWithoutLdflags: a binary built without -ldflags (as `go
// install …@version` builds it) reports the module version and VCS
// revision the Go toolchain recorded in it, as `go version -m` reads them.
func TestVersionWithoutLdflags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the exporter")
	}
	bin := filepath.Join(t.TempDir(), "rocketmq_exporter")
	build := exec.Command("go", "build", "-buildvcs=auto", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	info, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	var mod, rev string
	for _, l := range strings.Split(string(info), "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) >= 3 && f[0] == "mod":
			mod = strings.TrimPrefix(f[2], "v")
		case len(f) == 2 && f[0] == "build" && strings.HasPrefix(f[1], "vcs.revision="):
			rev = strings.TrimPrefix(f[1], "vcs.revision=")
		}
	}
	if mod == "" {
		t.Fatalf("go version -m shows no module version:\n%s", info)
	}
	out, _ := exec.Command(bin, "--version").CombinedOutput()
	want := "version " + mod + " "
	if rev != "" {
		want = "revision: " + rev + ")"
	}
	if !strings.Contains(string(out), "version "+mod+" ") || !strings.Contains(string(out), want) {
		t.Errorf("--version:\n%s\nwant module version %s and revision %q", out, mod, rev)
	}
}

// TestStampVersionKeepsLdflags: a version given by -ldflags wins over the
// build info, and a missing build info leaves the version alone.
func TestStampVersionKeepsLdflags(t *testing.T) {
	defer func(v, r string) { version.Version, version.Revision = v, r }(version.Version, version.Revision)
	bi := &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}}}
	version.Version, version.Revision = "9.9.9", "stamped"
	stampVersion(bi, true)
	if version.Version != "9.9.9" || version.Revision != "stamped" {
		t.Errorf("ldflags version overwritten: %s %s", version.Version, version.Revision)
	}
	version.Version, version.Revision = "", ""
	stampVersion(nil, false)
	if version.Version != "" {
		t.Errorf("no build info, version %q", version.Version)
	}
	stampVersion(bi, true)
	if version.Version != "1.2.3" || version.Revision != "abc" {
		t.Errorf("build info version: %s %s", version.Version, version.Revision)
	}
}

// TestBadEnvValueNamesTheVariable: kingpin's refusal of a variable's value
// names the variable; a bad command-line value blames no valid variable.
func TestBadEnvValueNamesTheVariable(t *testing.T) {
	cases := []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"ROCKETMQ_EXPORTER_COLLECT_INTERVAL": "soon"}, nil, `ROCKETMQ_EXPORTER_COLLECT_INTERVAL: time: invalid duration "soon"`},
		{map[string]string{"ROCKETMQ_EXPORTER_ROCKETMQ_TLS": "maybe"}, nil, `ROCKETMQ_EXPORTER_ROCKETMQ_TLS: strconv.ParseBool`},
		{map[string]string{"ROCKETMQ_EXPORTER_OUTPUT": "xml"}, []string{"audit"}, "ROCKETMQ_EXPORTER_OUTPUT: enum value must be one of"},
		{map[string]string{"ROCKETMQ_EXPORTER_ROCKETMQ_TLS": "true", "ROCKETMQ_EXPORTER_COLLECT_INTERVAL": "10s"},
			[]string{"--collect.interval=soon"}, `error: time: invalid duration "soon"`},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			code, stderr := runCapture(t, append([]string{"--rocketmq.namesrv-addr=127.0.0.1:9876"}, c.args...)...)
			if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("exit %d, stderr %q; want 2 and one line with %q", code, stderr, c.want)
			}
		})
	}
}
