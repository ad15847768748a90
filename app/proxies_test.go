package app

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseProxies(t *testing.T) {
	one := []Target{{Name: "10.0.0.1:9876", Namesrvs: []string{"10.0.0.1:9876"}}}
	two := []Target{{Name: "prod", Namesrvs: []string{"10.0.0.1:9876"}}, {Name: "dr", Namesrvs: []string{"10.0.0.2:9876"}}}
	for _, c := range []struct {
		values  []string
		targets []Target
		want    [][]string
		err     string
	}{
		{nil, one, nil, ""},
		{[]string{"p1:8080;p2:8080"}, one, [][]string{{"p1:8080", "p2:8080"}}, ""},
		{[]string{"dr=p3:8080", "prod=p1:8080", "prod=p2:8080"}, two, [][]string{{"p1:8080", "p2:8080"}, {"p3:8080"}}, ""},
		{[]string{"p1:8080"}, two, nil, "name the target"},
		{[]string{"qa=p1:8080"}, two, nil, `no target is named "qa"`},
		{[]string{"p1"}, one, nil, "has no port"},
	} {
		got, err := parseProxies(c.values, c.targets)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%v: error %v, want one saying %q", c.values, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%v: %v, %v; want %v", c.values, got, err, c.want)
		}
	}
}
