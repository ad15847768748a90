package realbroker

import (
	"bufio"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// GRPCClientVersion is the rocketmq-client-java (the 5.x gRPC SDK) release
// the harness's gRPC applications are built with.
const GRPCClientVersion = "5.0.7"

//go:embed java/GrpcClient.java
var grpcClientSource []byte

// GRPCClient is a JVM running java/GrpcClient.java against a Proxy: a 5.x
// application that produces, consumes with a SimpleConsumer (POP) and with
// a PushConsumer, as commanded by Do.
type GRPCClient struct {
	proc    *process
	stdin   io.WriteCloser
	answers chan string // "ok ..." or "err ..." lines, in command order
	mu      sync.Mutex  // one command at a time
	broken  error       // set when an answer was not read: later answers would be out of step
}

// StartClient compiles (once per source, cached under CacheDir) and starts
// a gRPC client application with the proxy as its endpoint.
func (p *Proxy) StartClient(ctx context.Context) (*GRPCClient, error) {
	java, _, err := p.cluster.classpath(ctx)
	if err != nil {
		return nil, err
	}
	classes, cp, err := clientClasspath(ctx, java)
	if err != nil {
		return nil, err
	}
	home, err := os.MkdirTemp(p.Home, "client-")
	if err != nil {
		return nil, fmt.Errorf("realbroker: %w", err)
	}
	argv := p.cluster.jvm(java, []string{"-Xmx192m"}, home, "-cp", classes+string(os.PathListSeparator)+cp,
		"GrpcClient", p.GRPCAddr)
	return startGRPCClient(ctx, argv, p.cluster.childEnv(), home)
}

// clientClasspath returns the compiled client application's directory
// and the gRPC client's jars.
func clientClasspath(ctx context.Context, java string) (classes, cp string, err error) {
	cp, err = mavenClasspath(ctx, "client-java-"+GRPCClientVersion, "rocketmq-client-java "+GRPCClientVersion,
		pomXML(GRPCClientVersion, "rocketmq-client-java"))
	if err != nil {
		return "", "", err
	}
	classes, err = compileClient(ctx, java, cp)
	return classes, cp, err
}

// clientMu serialises compilations inside this process; the rename below
// makes a finished one visible at once to every process.
var clientMu sync.Mutex

// compileClient returns the directory holding GrpcClient.class, compiling
// the embedded source with javac next to java when no earlier run did.
func compileClient(ctx context.Context, java, cp string) (string, error) {
	sum := sha256.Sum256(grpcClientSource)
	dir := filepath.Join(CacheDir(), "client-java-"+GRPCClientVersion, "classes-"+hex.EncodeToString(sum[:6]))
	clientMu.Lock()
	defer clientMu.Unlock()
	if _, err := os.Stat(filepath.Join(dir, "GrpcClient.class")); err == nil {
		return dir, nil
	}
	javac := filepath.Join(filepath.Dir(java), "javac")
	if _, err := os.Stat(javac); err != nil {
		if javac, err = exec.LookPath("javac"); err != nil {
			return "", fmt.Errorf("realbroker: javac (a JDK, not a JRE) is needed to build the gRPC client: %w", err)
		}
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "classes-tmp-")
	if err != nil {
		return "", fmt.Errorf("realbroker: %w", err)
	}
	defer os.RemoveAll(tmp)
	src := filepath.Join(tmp, "GrpcClient.java")
	if err := os.WriteFile(src, grpcClientSource, 0o644); err != nil {
		return "", fmt.Errorf("realbroker: %w", err)
	}
	cmd := exec.CommandContext(ctx, javac, "-nowarn", "-encoding", "UTF-8", "-cp", cp, "-d", tmp, src)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("realbroker: javac GrpcClient.java: %v\n%s", err, tailLines(string(out), 30))
	}
	os.Remove(src)
	if err := os.Rename(tmp, dir); err != nil && !dirHolds(dir, "GrpcClient.class") {
		return "", fmt.Errorf("realbroker: %w", err)
	}
	return dir, nil
}

func dirHolds(dir, name string) bool {
	_, err := os.Stat(filepath.Join(dir, name))
	return err == nil
}

// answerPrefix marks GrpcClient's answers; the client library's own
// output to stdout, if any, has no such prefix.
const answerPrefix = "@@ "

func startGRPCClient(ctx context.Context, argv, env []string, home string) (*GRPCClient, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir, cmd.Env, cmd.SysProcAttr = home, env, childAttr()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("realbroker: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("realbroker: %w", err)
	}
	errOut, err := os.Create(filepath.Join(home, "client.err"))
	if err != nil {
		return nil, fmt.Errorf("realbroker: %w", err)
	}
	defer errOut.Close() // the child has its own descriptor
	cmd.Stderr = errOut
	if err := spawn(cmd); err != nil {
		return nil, fmt.Errorf("realbroker: start gRPC client: %w", err)
	}
	g := &GRPCClient{stdin: stdin, answers: make(chan string, 16),
		proc: &process{name: "grpc-client", outPath: errOut.Name(), cmd: cmd, done: make(chan struct{})}}
	go g.read(stdout)
	go func() {
		g.proc.waitErr = cmd.Wait()
		close(g.proc.done)
	}()
	if _, err := g.await(ctx, "start"); err != nil {
		g.Close()
		return nil, err
	}
	return g, nil
}

// read passes answers on, in order, until stdout closes.
func (g *GRPCClient) read(stdout io.Reader) {
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), answerPrefix); ok {
			g.answers <- a
		}
	}
}

// Do sends one command (see java/GrpcClient.java: produce, simple,
// receive, ackkept, nackkept, push, consumed, close) and returns the number it
// answered. A command whose answer ctx did not wait for breaks the client.
func (g *GRPCClient) Do(ctx context.Context, args ...string) (int64, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	what := strings.Join(args, " ")
	if g.broken != nil {
		return 0, fmt.Errorf("realbroker: gRPC client %q: %w", what, g.broken)
	}
	if _, err := io.WriteString(g.stdin, what+"\n"); err != nil {
		return 0, fmt.Errorf("realbroker: gRPC client %q: %w", what, err)
	}
	a, err := g.await(ctx, what)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(a, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("realbroker: gRPC client %q answered %q", what, a)
	}
	return n, nil
}

// await reads the answer to what: its text after "ok ", or an error.
func (g *GRPCClient) await(ctx context.Context, what string) (string, error) {
	select {
	case a := <-g.answers:
		if rest, ok := strings.CutPrefix(a, "ok "); ok {
			return rest, nil
		}
		return "", fmt.Errorf("realbroker: gRPC client %q: %s", what, a)
	case <-g.proc.done:
		return "", fmt.Errorf("realbroker: gRPC client %q: exited (%v)\n%s", what, g.proc.exitErr(), tailFile(g.proc.outPath, 30))
	case <-ctx.Done():
		g.broken = fmt.Errorf("no answer to %q: %w", what, ctx.Err())
		return "", fmt.Errorf("realbroker: gRPC client %q: %w", what, ctx.Err())
	}
}

// Close asks the client to close its producers and consumers (they tell
// the proxy, which drops them from its connection lists) and stops the JVM
// if it does not exit by itself within a few seconds.
func (g *GRPCClient) Close() {
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.proc.exited() && g.broken == nil {
		_, _ = io.WriteString(g.stdin, "quit\n")
		select {
		case <-g.proc.done:
		case <-time.After(20 * time.Second):
		}
	}
	g.stdin.Close()
	g.proc.stop(stopGrace)
	if g.broken == nil {
		g.broken = errors.New("closed")
	}
}
