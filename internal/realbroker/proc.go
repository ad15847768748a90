package realbroker

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Pdeathsig fires when the *thread* that forked the child exits, not the
// process. Go threads can exit (a goroutine that locked its thread and ends),
// so every child is forked from one thread that is locked for the life of
// the process.
type spawnReq struct {
	cmd *exec.Cmd
	res chan error
}

var (
	spawnOnce sync.Once
	spawnCh   chan spawnReq
)

func spawn(cmd *exec.Cmd) error {
	spawnOnce.Do(func() {
		spawnCh = make(chan spawnReq)
		go func() {
			runtime.LockOSThread() // never unlocked: this thread lives as long as the process
			for r := range spawnCh {
				r.res <- r.cmd.Start()
			}
		}()
	})
	res := make(chan error, 1)
	spawnCh <- spawnReq{cmd, res}
	return <-res
}

// childAttr puts the child in its own process group (so Stop can signal the
// whole group) and has the kernel SIGKILL it when we die.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// process is a long-running JVM (namesrv or broker).
type process struct {
	name    string
	outPath string
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error // valid after done is closed
}

func startProcess(name string, argv, env []string, dir, outPath string) (*process, error) {
	f, err := os.OpenFile(outPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Close() // the child has its own descriptor
	fmt.Fprintf(f, "==== realbroker: starting %s at %s\n", name, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = f
	cmd.Stderr = f
	cmd.SysProcAttr = childAttr()
	if err := spawn(cmd); err != nil {
		return nil, fmt.Errorf("realbroker: start %s: %w", name, err)
	}
	p := &process{name: name, outPath: outPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *process) exitErr() error {
	if !p.exited() {
		return nil
	}
	if p.waitErr == nil {
		return errors.New("exited with status 0")
	}
	return p.waitErr
}

func (p *process) signalGroup(sig syscall.Signal) error {
	if p.exited() {
		return fmt.Errorf("realbroker: %s is not running (%v)", p.name, p.exitErr())
	}
	if err := syscall.Kill(-p.cmd.Process.Pid, sig); err != nil {
		return fmt.Errorf("realbroker: signal %v to %s: %w", sig, p.name, err)
	}
	return nil
}

// stop sends SIGTERM (and SIGCONT, in case the group is paused), waits up to
// grace, then SIGKILLs the process group.
func (p *process) stop(grace time.Duration) {
	if p.exited() {
		return
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	_ = syscall.Kill(-pgid, syscall.SIGCONT)
	select {
	case <-p.done:
		return
	case <-time.After(grace):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
	}
}

// tailFile returns about the last n lines of a file (reading at most 64 KiB),
// without logback's own INFO status lines (5.x prints ~250 of them at start).
func tailFile(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	const max = 64 << 10
	if st, err := f.Stat(); err == nil && st.Size() > max {
		_, _ = f.Seek(st.Size()-max, io.SeekStart)
	}
	data, _ := io.ReadAll(f)
	var keep []string
	for _, l := range strings.Split(string(data), "\n") {
		if logbackStatusRE.MatchString(l) {
			continue
		}
		keep = append(keep, l)
	}
	return tailLines(strings.Join(keep, "\n"), n)
}

var logbackStatusRE = regexp.MustCompile(`^[0-9:,]+ \|-(INFO|WARN) in `)
