package history

import (
	"strings"
	"testing"
)

func TestParseSelector(t *testing.T) {
	for in, want := range map[string]string{
		``:                                   ``,
		`job="rocketmq"`:                     `job="rocketmq"`,
		`{job="rocketmq"}`:                   `job="rocketmq"`,
		` job = 'rock"mq' , env=~"p.*", `:    `job="rock\"mq", env=~"p.*"`,
		"instance!=`a\\b`, x!~'it\\'s'":      `instance!="a\\b", x!~"it's"`,
		`cluster="Default\u00e9", b_2!=""`:   `cluster="Defaulté", b_2!=""`,
		`a="x,y}", b="{"`:                    `a="x,y}", b="{"`,
		`esc="tab\there"`:                    `esc="tab\there"`,
		`q='a\"b'`:                           `q="a\"b"`,
		`target="ns1:9876;ns2:9876",job="j"`: `target="ns1:9876;ns2:9876", job="j"`,
	} {
		ms, err := parseSelector(in)
		if err != nil {
			t.Errorf("parseSelector(%q): %v", in, err)
			continue
		}
		parts := make([]string, len(ms))
		for i, m := range ms {
			parts[i] = m.String()
		}
		if got := strings.Join(parts, ", "); got != want {
			t.Errorf("parseSelector(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestParseSelectorRejects(t *testing.T) {
	for in, why := range map[string]string{
		`job`:                  "want =",
		`job=rocketmq`:         "quoted value",
		`job="rocketmq`:        "unterminated",
		`job="a" env="b"`:      "want ','",
		`1job="a"`:             "label name",
		`job=~"("`:             "missing closing )",
		`__name__="up"`:        "__name__",
		`job="a",,env="b"`:     "label name",
		`job=="a"`:             "quoted value",
		`job="\q"`:             "bad string",
		`rocketmq_up{job="a"}`: "want =",
	} {
		if _, err := parseSelector(in); err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("parseSelector(%q) error = %v, want one saying %q", in, err, why)
		}
	}
}
