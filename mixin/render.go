// Package mixin renders the exporter's monitoring mixin (mixin.libsonnet:
// alerts and Grafana dashboards, written in plain jsonnet) into the files
// the repository ships: alerts/rocketmq-alerts.yaml, dashboards/*.json and
// deploy/prometheusrule.yaml. The tests fail when those files drift from
// the jsonnet; `go generate ./mixin` rewrites them.
package mixin

//go:generate go test -run ^TestGenerated$ -update .

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"sync"

	jsonnet "github.com/google/go-jsonnet"
)

// The rendered files, by path from the repository root.
const (
	AlertsFile         = "alerts/rocketmq-alerts.yaml"
	PrometheusRuleFile = "deploy/prometheusrule.yaml"
)

//go:embed *.libsonnet render.jsonnet lib/*.libsonnet dashboards/*.libsonnet
var sources embed.FS

// Render evaluates the mixin with override merged into it (jsonnet, e.g.
// `{ _config+:: { diskWarningRatio: 0.8 } }`; "" for none) and returns
// every rendered file by path from the repository root.
func Render(override string) (map[string][]byte, error) {
	if override == "" {
		override = "{}"
	}
	vm := jsonnet.MakeVM()
	vm.Importer(&embedImporter{fsys: sources, cache: map[string]jsonnet.Contents{}})
	vm.StringOutput = true
	vm.ExtCode("override", override)
	src, err := sources.ReadFile("render.jsonnet")
	if err != nil {
		return nil, err
	}
	files, err := vm.EvaluateSnippetMulti("render.jsonnet", string(src))
	if err != nil {
		return nil, fmt.Errorf("mixin: %w", err)
	}
	out := make(map[string][]byte, len(files))
	for name, text := range files {
		out[name] = []byte(text)
	}
	return out, nil
}

// Alerts renders only the Prometheus rule file, with override merged in.
func Alerts(override string) ([]byte, error) {
	files, err := Render(override)
	if err != nil {
		return nil, err
	}
	return files[AlertsFile], nil
}

// Dashboards lists the rendered dashboard files, sorted.
func Dashboards(files map[string][]byte) []string {
	var out []string
	for name := range files {
		if ok, _ := path.Match("dashboards/*.json", name); ok {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// embedImporter resolves imports relative to the importing file, as the
// jsonnet command does, inside the embedded sources.
type embedImporter struct {
	fsys fs.FS

	mu    sync.Mutex
	cache map[string]jsonnet.Contents
}

func (i *embedImporter) Import(importedFrom, importedPath string) (jsonnet.Contents, string, error) {
	p := path.Clean(path.Join(path.Dir(importedFrom), importedPath))
	i.mu.Lock()
	defer i.mu.Unlock()
	if c, ok := i.cache[p]; ok {
		return c, p, nil
	}
	b, err := fs.ReadFile(i.fsys, p)
	if err != nil {
		return jsonnet.Contents{}, "", fmt.Errorf("import %q from %q: %w", importedPath, importedFrom, err)
	}
	c := jsonnet.MakeContents(string(b))
	i.cache[p] = c
	return c, p, nil
}
