package realbroker

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
)

// BrokerPID returns the process id of the running broker JVM, for tools
// that attach to it (jcmd, jmap).
func (c *Cluster) BrokerPID() (int, error) {
	if err := c.local("BrokerPID"); err != nil {
		return 0, err
	}
	c.mu.Lock()
	br := c.broker
	c.mu.Unlock()
	if br == nil || br.exited() {
		return 0, fmt.Errorf("realbroker: BrokerPID: the broker is not running")
	}
	return br.cmd.Process.Pid, nil
}

// ClassHistogram runs `jcmd <broker pid> GC.class_histogram`, which makes
// the broker collect its whole heap first, so what it lists is what the
// broker still references. jcmd is taken from the JDK that runs the broker:
// attaching needs the same JVM version.
func (c *Cluster) ClassHistogram(ctx context.Context) (string, error) {
	pid, err := c.BrokerPID()
	if err != nil {
		return "", err
	}
	java, _, err := c.classpath(ctx)
	if err != nil {
		return "", err
	}
	jcmd := filepath.Join(filepath.Dir(java), "jcmd")
	if resolved, err := filepath.EvalSymlinks(java); err == nil {
		jcmd = filepath.Join(filepath.Dir(resolved), "jcmd")
	}
	out, err := exec.CommandContext(ctx, jcmd, fmt.Sprint(pid), "GC.class_histogram").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("realbroker: %s %d GC.class_histogram: %w\n%s", jcmd, pid, err, tailLines(string(out), 10))
	}
	return string(out), nil
}
