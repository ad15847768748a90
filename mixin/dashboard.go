package mixin

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Dashboard is the part of a Grafana dashboard the checks and the
// end-to-end test read.
type Dashboard struct {
	UID         string   `json:"uid"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Editable    bool     `json:"editable"`
	Tags        []string `json:"tags"`
	Templating  struct {
		List []Variable `json:"list"`
	} `json:"templating"`
	Panels []Panel `json:"panels"`
}

// Variable is a template variable.
type Variable struct {
	Name       string          `json:"name"`
	Label      string          `json:"label"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"`
	Definition string          `json:"definition"`
	Datasource json.RawMessage `json:"datasource"`
	Refresh    int             `json:"refresh"`
	Multi      bool            `json:"multi"`
	IncludeAll bool            `json:"includeAll"`
}

// QueryString is the variable's query, whether Grafana stored it as a
// string or as an object.
func (v Variable) QueryString() string {
	var s string
	if json.Unmarshal(v.Query, &s) == nil {
		return s
	}
	var o struct {
		Query string `json:"query"`
	}
	if json.Unmarshal(v.Query, &o) == nil {
		return o.Query
	}
	return ""
}

// Panel is a dashboard panel (rows included).
type Panel struct {
	ID          int             `json:"id"`
	Type        string          `json:"type"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	Datasource  json.RawMessage `json:"datasource"`
	Targets     []Target        `json:"targets"`
	FieldConfig struct {
		Defaults struct {
			Unit string `json:"unit"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
	GridPos struct {
		X int `json:"x"`
		Y int `json:"y"`
		W int `json:"w"`
		H int `json:"h"`
	} `json:"gridPos"`
	Panels []Panel `json:"panels"` // a collapsed row's panels
}

// Target is one query of a panel.
type Target struct {
	Expr         string          `json:"expr"`
	LegendFormat string          `json:"legendFormat"`
	RefID        string          `json:"refId"`
	Instant      bool            `json:"instant"`
	Datasource   json.RawMessage `json:"datasource"`
}

// ParseDashboard reads a dashboard's JSON.
func ParseDashboard(b []byte) (*Dashboard, error) {
	var d Dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// AllPanels lists every panel, the panels of collapsed rows included.
func (d *Dashboard) AllPanels() []Panel {
	var out []Panel
	var walk func([]Panel)
	walk = func(ps []Panel) {
		for _, p := range ps {
			out = append(out, p)
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out
}

var labelValuesRE = regexp.MustCompile(`^\s*label_values\(\s*(.+?)\s*,\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$`)

// LabelValuesQuery turns a label_values(selector, label) variable query
// into PromQL whose result series carry the values as label: what Grafana
// asks Prometheus for.
func LabelValuesQuery(q string) (expr, label string, err error) {
	m := labelValuesRE.FindStringSubmatch(q)
	if m == nil {
		return "", "", fmt.Errorf("not a label_values(selector, label) query: %q", q)
	}
	return fmt.Sprintf("count by (%s) (%s)", m[2], m[1]), m[2], nil
}

var varRefRE = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?`)

// VarRefs lists the template variables an expression references, in order,
// and for each whether it is used as the value of a regex matcher (=~"$x").
func VarRefs(expr string) (names []string, inRegexMatcher []bool) {
	for _, m := range varRefRE.FindAllStringSubmatchIndex(expr, -1) {
		names = append(names, expr[m[2]:m[3]])
		inRegexMatcher = append(inRegexMatcher, strings.HasSuffix(expr[:m[0]], `=~"`))
	}
	return names, inRegexMatcher
}

// Expand fills an expression's variables the way Grafana does for
// Prometheus: $__rate_interval with rateInterval, other variables with
// their value escaped as a regular expression inside a PromQL string.
// A variable missing from vals is left as it is.
func Expand(expr string, vals map[string]string, rateInterval string) string {
	return varRefRE.ReplaceAllStringFunc(expr, func(ref string) string {
		name := varRefRE.FindStringSubmatch(ref)[1]
		if name == "__rate_interval" {
			return rateInterval
		}
		v, ok := vals[name]
		if !ok {
			return ref
		}
		return strings.ReplaceAll(regexp.QuoteMeta(v), `\`, `\\`)
	})
}
