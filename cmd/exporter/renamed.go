package main

import (
	"log/slog"
	"os"

	"github.com/alecthomas/kingpin/v2"

	"github.com/rocketmq-exporter/rocketmq_exporter/app"
)

// renamed are flags that moved under the one prefix scheme (--rocketmq.*
// for the connection, --collect.* for what is collected and served,
// --leak.* for leak detection, --web.* and --log.* from the toolkit, and
// the --topic.*/--group.* filters). The old names, and their environment
// variables, still work, hidden from --help, and say at start what to use
// instead; the new name wins when both are given.
var renamed = []struct {
	old, now string
	bind     func(f *kingpin.FlagClause, s *app.Settings) // declares the old flag into s
	copy     func(from, to *app.Settings)                 // the value it sets
}{
	{"max-series", "collect.max-series",
		func(f *kingpin.FlagClause, s *app.Settings) { f.IntVar(&s.MaxSeries) },
		func(from, to *app.Settings) { to.MaxSeries = from.MaxSeries }},
	{"lmq.expand", "collect.lmq-expand",
		func(f *kingpin.FlagClause, s *app.Settings) { f.BoolVar(&s.ExpandLMQ) },
		func(from, to *app.Settings) { to.ExpandLMQ = from.ExpandLMQ }},
}

// addRenamed declares the old names. They write into a settings value of
// their own: written straight into the real one, the new flag's default
// (applied in kingpin's order) could overwrite what the old name set.
func (c *cli) addRenamed(ka *kingpin.Application) {
	c.renamedUsed, c.newUsed = make([]bool, len(renamed)), make([]bool, len(renamed))
	for i, r := range renamed {
		ka.GetFlag(r.now).IsSetByUser(&c.newUsed[i])
		r.bind(ka.Flag(r.old, "Renamed: use --"+r.now+".").Hidden().IsSetByUser(&c.renamedUsed[i]), &c.oldNames)
	}
}

// parse parses args and then applies the old names that were used.
func (c *cli) parse(args []string) (string, error) {
	cmd, err := c.ka.Parse(args)
	if err != nil || c.printed {
		return cmd, err
	}
	for i, r := range renamed {
		if c.usedOld(i) && !c.usedFlag(r.now, c.newUsed[i]) {
			r.copy(&c.oldNames, &c.s)
		}
	}
	return cmd, nil
}

// usedOld tells whether the command line or the environment gave the
// old name of renamed[i].
func (c *cli) usedOld(i int) bool { return c.usedFlag(renamed[i].old, c.renamedUsed[i]) }

// usedFlag tells whether a flag was given on the command line (byUser) or
// through its environment variable (kingpin's name for it).
func (c *cli) usedFlag(name string, byUser bool) bool {
	env := c.ka.GetFlag(name).Model().Envar
	return byUser || (env != "" && os.Getenv(env) != "")
}

// warnRenamed logs each old name that was used.
func (c *cli) warnRenamed(logger *slog.Logger) {
	for i, r := range renamed {
		if c.usedOld(i) {
			logger.Warn("a flag was renamed; the old name still works but will be removed", "old", "--"+r.old, "new", "--"+r.now,
				"new_env", c.ka.GetFlag(r.now).Model().Envar)
		}
	}
}
