package realbroker

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Home layout (all under one temp dir):
//
//	conf/namesrv.conf, conf/broker.conf   what the JVMs are started with (also
//	                                      namesrv-1.conf, … and slave.conf)
//	conf/tls.properties                   the tls.config.file, with Options.TLS
//	conf/logback_*.xml                    4.x only: read from rocketmq.home.dir
//	conf/rmq.tools.logback.xml            5.x: keeps mqadmin quiet
//	namesrv/, broker/, slave/, tools/     user.home of each JVM; RocketMQ logs in <that>/logs/rocketmqlogs
//	store/, store-slave/                  master and slave store (storePathRootDir)
//	logs/<name>.out                       stdout+stderr of each JVM (namesrv, namesrv-1, broker, slave)
//	owner.pid                             pid of the Go process that owns the dir

func (c *Cluster) path(elem ...string) string {
	return filepath.Join(append([]string{c.Home}, elem...)...)
}

// writeHome creates the directory layout, logback files and ExtraFiles.
func (c *Cluster) writeHome(extra map[string]string) error {
	for _, d := range []string{"conf", "namesrv", "broker", "tools", "store", "logs"} {
		if err := os.MkdirAll(c.path(d), 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(c.path("owner.pid"), []byte(fmt.Sprintf("%d\n", os.Getpid())), 0o644); err != nil {
		return err
	}
	files := map[string]string{}
	if isV4(c.Version) {
		files["conf/logback_namesrv.xml"] = logback4("namesrv", "INFO")
		files["conf/logback_broker.xml"] = logback4("broker", "INFO")
		files["conf/logback_tools.xml"] = logback4("tools", "WARN")
	} else {
		files["conf/rmq.tools.logback.xml"] = toolsLogback5
	}
	for rel, content := range extra {
		if !filepath.IsLocal(rel) {
			return fmt.Errorf("realbroker: ExtraFiles path %q must be relative and inside the home dir", rel)
		}
		files[rel] = content
	}
	for rel, content := range files {
		p := c.path(rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// writeConfs writes every namesrv's conf, the master's and, with slave,
// the slave's, and the TLS properties when the cluster has TLS.
func (c *Cluster) writeConfs(slave bool) error {
	for i := range c.NamesrvAddrs {
		if err := c.writeNamesrvConf(i); err != nil {
			return err
		}
	}
	if err := c.writeTLSProps(); err != nil {
		return err
	}
	if err := c.writeBrokerConf(false); err != nil {
		return err
	}
	if slave {
		return c.writeBrokerConf(true)
	}
	return nil
}

func (c *Cluster) writeNamesrvConf(i int) error {
	name := namesrvName(i)
	if err := os.MkdirAll(c.path(name), 0o755); err != nil {
		return err
	}
	ns := fmt.Sprintf("listenPort=%d\nbindAddress=127.0.0.1\nrocketmqHome=%s\n", c.namesrvPorts[i], c.Home)
	return os.WriteFile(c.path("conf", name+".conf"), []byte(ns), 0o644)
}

// writeBrokerConf writes conf/broker.conf (the master, brokerId 0) or
// conf/slave.conf (brokerId 1, brokerRole=SLAVE), each with its own
// ports, store and user.home.
func (c *Cluster) writeBrokerConf(slave bool) error {
	name, _ := c.brokerNode(slave)
	id, role, port, store := 0, "ASYNC_MASTER", c.brokerPort, c.path("store")
	if slave {
		id, role, port, store = 1, "SLAVE", c.slavePort, c.path("store-slave")
	}
	for _, d := range []string{c.path(name), store} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `brokerClusterName=%s
brokerName=%s
brokerId=%d
brokerRole=%s
flushDiskType=ASYNC_FLUSH
namesrvAddr=%s
brokerIP1=127.0.0.1
# The master registers brokerIP2:haListenPort as the address its slaves
# replicate from; the default is the host's first non-loopback address.
brokerIP2=127.0.0.1
bindAddress=127.0.0.1
listenPort=%d
haListenPort=%d
rocketmqHome=%s
storePathRootDir=%s
storePathCommitLog=%s
mappedFileSizeCommitLog=67108864
mappedFileSizeConsumeQueue=600000
messageIndexEnable=false
autoCreateTopicEnable=true
autoCreateSubscriptionGroup=true
# A loaded 2-core test machine can stall the send queue past the default
# 200 ms, which the broker answers with "[TIMEOUT_CLEAN_QUEUE] broker busy".
waitTimeMillsInSendQueue=5000
osPageCacheBusyTimeOutMills=5000
`, c.ClusterName, c.BrokerName, id, role, c.NamesrvAddr, port, port+1, c.Home, store, filepath.Join(store, "commitlog"))
	if len(c.NamesrvAddrs) > 1 {
		// A namesrv that was restarted lists the brokers from their next
		// registration: every 10 s (the broker's floor) instead of 30 s.
		b.WriteString("registerNameServerPeriod=10000\n")
	}
	if len(c.brokerConf) > 0 {
		b.WriteString("# Options.BrokerConf (later lines win)\n")
		for _, l := range c.brokerConf {
			b.WriteString(strings.TrimSpace(l))
			b.WriteByte('\n')
		}
	}
	return os.WriteFile(c.path("conf", name+".conf"), []byte(b.String()), 0o644)
}

// logback4 is a minimal logback 1.2 config for 4.x, which refuses to start
// without conf/logback_<name>.xml under rocketmq.home.dir.
func logback4(name, level string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>${user.home}/logs/rocketmqlogs/` + name + `.log</file>
    <append>true</append>
    <encoder><pattern>%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%thread] %logger{32} - %msg%n</pattern></encoder>
  </appender>
  <root level="` + level + `"><appender-ref ref="FILE"/></root>
</configuration>
`
}

// toolsLogback5 replaces rmq.broker.logback.xml, which mqadmin would
// otherwise pick up from the shared classpath (writing broker_*.log files and
// ~200 lines of logback status to stdout).
const toolsLogback5 = `<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <appender name="FILE" class="org.apache.rocketmq.logging.ch.qos.logback.core.FileAppender">
    <file>${user.home}/logs/tools.log</file>
    <append>true</append>
    <encoder><pattern>%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level %logger{32} - %msg%n</pattern></encoder>
  </appender>
  <root level="WARN"><appender-ref ref="FILE"/></root>
</configuration>
`
