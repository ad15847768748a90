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
	Annotations struct {
		List []Annotation `json:"list"`
	} `json:"annotations"`
	Panels []Panel `json:"panels"`
}

// Annotation is a Prometheus annotation query: an event on every panel's
// time axis for each series it returns.
type Annotation struct {
	Name            string          `json:"name"`
	Datasource      json.RawMessage `json:"datasource"`
	Enable          bool            `json:"enable"`
	Expr            string          `json:"expr"`
	Step            string          `json:"step"`
	TitleFormat     string          `json:"titleFormat"`
	TextFormat      string          `json:"textFormat"`
	TagKeys         string          `json:"tagKeys"`
	UseValueForTime bool            `json:"useValueForTime"`
}

// Link is a data link: a URL Grafana offers on a panel's values.
type Link struct {
	Title string `json:"title"`
	URL   string `json:"url"`
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
	Current    struct {
		Value json.RawMessage `json:"value"`
	} `json:"current"`
}

// CurrentValue is the value the variable has when the dashboard opens, as
// a string ("" when none is stored: Grafana then takes the first option).
func (v Variable) CurrentValue() string {
	var s string
	if json.Unmarshal(v.Current.Value, &s) == nil {
		return s
	}
	return ""
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
			Unit  string `json:"unit"`
			Links []Link `json:"links"`
		} `json:"defaults"`
		Overrides []struct {
			Matcher struct {
				ID      string `json:"id"`
				Options string `json:"options"`
			} `json:"matcher"`
			Properties []struct {
				ID    string          `json:"id"`
				Value json.RawMessage `json:"value"`
			} `json:"properties"`
		} `json:"overrides"`
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

// Links lists the panel's data links by the field they are on ("" for
// links on every field).
func (p Panel) Links() map[string][]Link {
	out := map[string][]Link{}
	if len(p.FieldConfig.Defaults.Links) > 0 {
		out[""] = p.FieldConfig.Defaults.Links
	}
	for _, o := range p.FieldConfig.Overrides {
		for _, prop := range o.Properties {
			var ls []Link
			if prop.ID == "links" && json.Unmarshal(prop.Value, &ls) == nil {
				out[o.Matcher.Options] = append(out[o.Matcher.Options], ls...)
			}
		}
	}
	return out
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

// All is the value Grafana stores for a variable set to All; Expand turns
// it into the variables' allValue, .*.
const All = "$__all"

// Intervals are the values Grafana gives its built-in interval variables.
type Intervals struct {
	Rate  string // $__rate_interval
	Range string // $__range: the time range shown
}

// Expand fills an expression's variables the way Grafana does for
// Prometheus: the built-in intervals from iv, All as .*, other variables
// with their value escaped as a regular expression inside a PromQL string.
// A variable missing from vals is left as it is.
func Expand(expr string, vals map[string]string, iv Intervals) string {
	return varRefRE.ReplaceAllStringFunc(expr, func(ref string) string {
		name := varRefRE.FindStringSubmatch(ref)[1]
		switch name {
		case "__rate_interval":
			return iv.Rate
		case "__range":
			return iv.Range
		}
		v, ok := vals[name]
		switch {
		case !ok:
			return ref
		case v == All:
			return ".*"
		}
		return strings.ReplaceAll(regexp.QuoteMeta(v), `\`, `\\`)
	})
}
