package main

import (
	"log/slog"
	"os"

	"github.com/alecthomas/kingpin/v2"
)

// renamed are flags that moved under the one prefix scheme (--rocketmq.*
// for the connection, --collect.* for what is collected and served,
// --leak.* for leak detection, --web.* and --log.* from the toolkit, and
// the --topic.*/--group.* filters). The old names still work, hidden from
// --help, and say at start what to use instead.
var renamed = []struct{ old, now string }{
	{"max-series", "collect.max-series"},
	{"lmq.expand", "collect.lmq-expand"},
}

// addRenamed declares the old names, writing where the new ones write.
func (c *cli) addRenamed(ka *kingpin.Application) {
	c.renamedUsed = make([]bool, len(renamed))
	for i, r := range renamed {
		f := ka.Flag(r.old, "Renamed: use --"+r.now+".").Hidden().IsSetByUser(&c.renamedUsed[i])
		switch r.now {
		case "collect.max-series":
			f.IntVar(&c.s.MaxSeries)
		case "collect.lmq-expand":
			f.BoolVar(&c.s.ExpandLMQ)
		}
	}
}

// warnRenamed logs each old name the command line or environment used.
func (c *cli) warnRenamed(logger *slog.Logger) {
	for i, r := range renamed {
		env := "ROCKETMQ_EXPORTER_" + envName(r.old)
		if c.renamedUsed[i] || os.Getenv(env) != "" {
			logger.Warn("a flag was renamed; the old name still works but will be removed", "old", "--"+r.old, "new", "--"+r.now,
				"new_env", "ROCKETMQ_EXPORTER_"+envName(r.now))
		}
	}
}

// envName is kingpin's variable name for a flag: upper case, '-' and '.'
// become '_'.
func envName(flag string) string {
	b := []byte(flag)
	for i, ch := range b {
		switch {
		case ch == '-' || ch == '.':
			b[i] = '_'
		case ch >= 'a' && ch <= 'z':
			b[i] = ch - 'a' + 'A'
		}
	}
	return string(b)
}
