package realbroker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// CacheDir is where resolved classpaths are cached: $ROCKETMQ_EXPORTER_CACHE,
// else $XDG_CACHE_HOME/rocketmq_exporter, else ~/.cache/rocketmq_exporter.
// Each RocketMQ version gets a subdirectory named after it holding the
// throw-away pom.xml and the cp.txt that mvn wrote.
func CacheDir() string {
	if d := os.Getenv("ROCKETMQ_EXPORTER_CACHE"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "rocketmq_exporter")
	}
	if h, err := os.UserHomeDir(); err == nil && h != "" {
		return filepath.Join(h, ".cache", "rocketmq_exporter")
	}
	return filepath.Join(os.TempDir(), "rocketmq_exporter-cache")
}

var versionRE = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+([.-][A-Za-z0-9]+)*$`)

// resolveVersion applies the documented defaults: the given version, else
// $ROCKETMQ_VERSION, else DefaultVersion.
func resolveVersion(v string) string {
	if v != "" {
		return v
	}
	if v := os.Getenv("ROCKETMQ_VERSION"); v != "" {
		return v
	}
	return DefaultVersion
}

func checkVersion(v string) error {
	if !versionRE.MatchString(v) {
		return fmt.Errorf("realbroker: %q is not a RocketMQ version (want e.g. %s)", v, strings.Join(SupportedVersions, ", "))
	}
	return nil
}

// isV4 reports whether version is a 4.x release, which needs logback files
// under rocketmq.home.dir/conf.
func isV4(version string) bool { return strings.HasPrefix(version, "4.") }

// cpMu serialises resolutions inside this process; the file lock below
// serialises them across processes (go test runs packages in parallel).
var cpMu sync.Mutex

// Classpath resolves (once, then from the cache) the Java classpath holding
// rocketmq-namesrv, rocketmq-broker and rocketmq-tools of the given version
// and their dependencies, by running mvn dependency:build-classpath on a
// throw-away pom. An empty version means $ROCKETMQ_VERSION or DefaultVersion.
func Classpath(ctx context.Context, version string) (string, error) {
	version = resolveVersion(version)
	if err := checkVersion(version); err != nil {
		return "", err
	}
	return mavenClasspath(ctx, version, "RocketMQ "+version, pomXML(version, "rocketmq-namesrv", "rocketmq-broker", "rocketmq-tools"))
}

// mavenClasspath resolves (once, then from the cache) the classpath of a
// throw-away pom's dependencies into CacheDir()/name; what names them in
// errors.
func mavenClasspath(ctx context.Context, name, what, pomText string) (string, error) {
	dir := filepath.Join(CacheDir(), name)
	cpPath := filepath.Join(dir, "cp.txt")
	if cp, ok := readClasspath(cpPath); ok {
		return cp, nil
	}

	cpMu.Lock()
	defer cpMu.Unlock()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("realbroker: classpath cache: %w", err)
	}
	unlock, err := lockFile(ctx, filepath.Join(dir, ".lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if cp, ok := readClasspath(cpPath); ok {
		return cp, nil // another process resolved it while we waited
	}

	mvn, err := exec.LookPath("mvn")
	if err != nil {
		return "", fmt.Errorf("realbroker: mvn (Apache Maven) is needed to fetch the %s jars from Maven Central: %w", what, err)
	}
	pom := filepath.Join(dir, "pom.xml")
	if err := writeFileAtomic(pom, []byte(pomText)); err != nil {
		return "", fmt.Errorf("realbroker: classpath cache: %w", err)
	}
	tmpOut := filepath.Join(dir, fmt.Sprintf("cp.txt.%d.tmp", os.Getpid()))
	defer os.Remove(tmpOut)

	cmd := exec.CommandContext(ctx, mvn, "-B", "-q", "-f", pom,
		"dependency:build-classpath", "-Dmdep.outputFile="+tmpOut)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("realbroker: resolving %s jars with mvn: %w", what, ctx.Err())
		}
		return "", fmt.Errorf("realbroker: `mvn -B -q -f %s dependency:build-classpath` failed after %s (%v); is %s published on Maven Central and is the repository reachable?\nmvn output (tail):\n%s",
			pom, time.Since(start).Round(time.Millisecond), err, what, tailLines(stripANSI(string(out)), 40))
	}
	cp, ok := readClasspath(tmpOut)
	if !ok {
		return "", fmt.Errorf("realbroker: mvn succeeded but %s is empty or names missing jars\nmvn output (tail):\n%s",
			tmpOut, tailLines(stripANSI(string(out)), 40))
	}
	if err := os.Rename(tmpOut, cpPath); err != nil {
		return "", fmt.Errorf("realbroker: classpath cache: %w", err)
	}
	return cp, nil
}

// pomXML lists the org.apache.rocketmq artifacts of one version.
func pomXML(version string, artifacts ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.realbroker</groupId>
  <artifactId>rocketmq-classpath</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
`)
	for _, a := range artifacts {
		fmt.Fprintf(&b, "    <dependency><groupId>org.apache.rocketmq</groupId><artifactId>%s</artifactId><version>%s</version></dependency>\n", a, version)
	}
	b.WriteString("  </dependencies>\n</project>\n")
	return b.String()
}

// readClasspath returns the cached classpath when the file is non-empty and
// every entry still exists (a cleaned ~/.m2 forces a new resolution).
func readClasspath(path string) (string, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", false
	}
	cp := strings.TrimSpace(string(data))
	if cp == "" {
		return "", false
	}
	for _, e := range filepath.SplitList(cp) {
		if _, err := os.Stat(e); err != nil {
			return "", false
		}
	}
	return cp, true
}

// lockFile takes an exclusive flock on path, polling so that ctx can cancel
// the wait.
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("realbroker: lock %s: %w", path, err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("realbroker: lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("realbroker: waiting for lock %s: %w", path, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

var ansiRE = regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]")

func stripANSI(s string) string { return ansiRE.ReplaceAllString(s, "") }

// tailLines returns the last n non-empty-trimmed lines of s.
func tailLines(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
