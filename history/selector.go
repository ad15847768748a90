package history

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// matcher is one label matcher of a selector: name op "value".
type matcher struct {
	name, op, value string
}

func (m matcher) String() string { return m.name + m.op + strconv.Quote(m.value) }

// parseSelector reads a comma-separated list of PromQL label matchers, with
// or without the surrounding braces: `job="rocketmq", env=~"prod|staging"`.
// Prometheus' own parser is not a dependency of this module; checking the
// matchers here turns a typo into an error at start rather than at the
// first recall. The selector must not match on __name__: the family is
// chosen by this package.
func parseSelector(s string) ([]matcher, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
		s = s[1 : len(s)-1]
	}
	var out []matcher
	for rest := strings.TrimSpace(s); rest != ""; {
		m, tail, err := parseMatcher(rest)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
		tail = strings.TrimSpace(tail)
		if tail != "" && tail[0] != ',' {
			return nil, fmt.Errorf("want ',' between matchers, found %q", tail)
		}
		rest = strings.TrimSpace(strings.TrimPrefix(tail, ","))
	}
	return out, nil
}

// parseMatcher reads one matcher at the start of s and returns the rest.
func parseMatcher(s string) (matcher, string, error) {
	n := 0
	for n < len(s) && isNameByte(s[n], n == 0) {
		n++
	}
	if n == 0 {
		return matcher{}, "", fmt.Errorf("want a label name at %q", s)
	}
	m := matcher{name: s[:n]}
	if m.name == "__name__" {
		return matcher{}, "", errors.New("the selector must not match __name__: the families are chosen by the exporter")
	}
	rest := strings.TrimSpace(s[n:])
	for _, op := range []string{"=~", "!~", "!=", "="} { // two-byte operators first
		if strings.HasPrefix(rest, op) {
			m.op = op
			break
		}
	}
	if m.op == "" {
		return matcher{}, "", fmt.Errorf("label %s: want =, !=, =~ or !~ at %q", m.name, rest)
	}
	value, tail, err := parseString(strings.TrimSpace(rest[len(m.op):]))
	if err != nil {
		return matcher{}, "", fmt.Errorf("label %s: %w", m.name, err)
	}
	m.value = value
	if m.op == "=~" || m.op == "!~" {
		// RE2 syntax, as Prometheus uses (it anchors the expression, which
		// changes no validity).
		if _, err := regexp.Compile(value); err != nil {
			return matcher{}, "", fmt.Errorf("label %s: %w", m.name, err)
		}
	}
	return m, tail, nil
}

func isNameByte(c byte, first bool) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || (!first && '0' <= c && c <= '9')
}

// parseString reads a PromQL string literal ("…", '…' or `…`) at the start
// of s and returns its value and the rest.
func parseString(s string) (string, string, error) {
	if s == "" {
		return "", "", errors.New("want a quoted value")
	}
	q := s[0]
	if q != '"' && q != '\'' && q != '`' {
		return "", "", fmt.Errorf("want a quoted value at %q", s)
	}
	for i := 1; i < len(s); i++ {
		switch {
		case s[i] == '\\' && q != '`':
			i++ // the escaped byte cannot close the string
		case s[i] == q:
			v, err := unquote(s[:i+1])
			return v, s[i+1:], err
		}
	}
	return "", "", fmt.Errorf("unterminated string %s", s)
}

// unquote decodes a literal with Go's escapes, which PromQL shares; a
// single-quoted literal is re-quoted with double quotes first.
func unquote(lit string) (string, error) {
	if lit[0] == '\'' {
		var b strings.Builder
		b.WriteByte('"')
		body := lit[1 : len(lit)-1]
		for i := 0; i < len(body); i++ {
			switch {
			case body[i] == '\\' && i+1 < len(body) && body[i+1] == '\'':
				b.WriteByte('\'') // \' needs no escape inside double quotes
				i++
			case body[i] == '\\' && i+1 < len(body):
				b.WriteString(body[i : i+2])
				i++
			case body[i] == '"':
				b.WriteString(`\"`)
			default:
				b.WriteByte(body[i])
			}
		}
		b.WriteByte('"')
		lit = b.String()
	}
	v, err := strconv.Unquote(lit)
	if err != nil {
		return "", fmt.Errorf("bad string %s: %w", lit, err)
	}
	return v, nil
}
