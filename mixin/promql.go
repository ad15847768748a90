package mixin

import (
	"fmt"
	"strings"
)

// Selector is a metric selector found in a PromQL expression.
type Selector struct {
	Name     string   // metric name; "" for a bare {…}
	Matchers string   // text between the braces, "" without braces
	Calls    []string // enclosing function and aggregation names, outermost first
}

// InCall reports whether the selector is an argument (at any depth) of one
// of the named functions.
func (s Selector) InCall(names ...string) bool {
	for _, c := range s.Calls {
		for _, n := range names {
			if c == n {
				return true
			}
		}
	}
	return false
}

var (
	aggregations = set("sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
		"bottomk", "topk", "quantile", "limitk", "limit_ratio")
	// Keywords followed by a parenthesised label list.
	labelLists = set("by", "without", "on", "ignoring", "group_left", "group_right")
	keywords   = set("and", "or", "unless", "bool", "offset", "atan2", "inf", "nan")
)

func set(s ...string) map[string]bool {
	m := map[string]bool{}
	for _, v := range s {
		m[v] = true
	}
	return m
}

// ScanPromQL finds the metric selectors and the range (or subquery)
// brackets of a PromQL expression. It is a scanner for checking
// dashboard conventions, not a parser: promtool checks validity.
func ScanPromQL(expr string) (sels []Selector, ranges []string, err error) {
	var stack []string // one entry per open parenthesis: the call it belongs to, or ""
	pending := ""      // an aggregation whose parenthesis comes after its by/without clause
	calls := func() []string {
		var out []string
		for _, c := range stack {
			if c != "" {
				out = append(out, c)
			}
		}
		return out
	}
	n := len(expr)
	for i := 0; i < n; {
		ch := expr[i]
		switch {
		case ch == '"' || ch == '\'' || ch == '`':
			j, e := skipString(expr, i)
			if e != nil {
				return nil, nil, e
			}
			i = j
		case ch == '$': // a Grafana variable ($x or ${x}), not a selector
			i++
			if i < n && expr[i] == '{' {
				j := strings.IndexByte(expr[i:], '}')
				if j < 0 {
					return nil, nil, fmt.Errorf("unclosed ${ at %d", i-1)
				}
				i += j + 1
				continue
			}
			for i < n && isIdent(expr[i]) {
				i++
			}
		case ch == '#': // comment to the end of the line
			for i < n && expr[i] != '\n' {
				i++
			}
		case ch == '[':
			j := strings.IndexByte(expr[i:], ']')
			if j < 0 {
				return nil, nil, fmt.Errorf("unclosed [ at %d", i)
			}
			ranges = append(ranges, expr[i+1:i+j])
			i += j + 1
		case ch == '(':
			stack = append(stack, pending)
			pending = ""
			i++
		case ch == ')':
			if len(stack) == 0 {
				return nil, nil, fmt.Errorf("unbalanced ) at %d", i)
			}
			stack = stack[:len(stack)-1]
			i++
		case ch == '{':
			j, e := closeBrace(expr, i)
			if e != nil {
				return nil, nil, e
			}
			sels = append(sels, Selector{Matchers: expr[i+1 : j], Calls: calls()})
			i = j + 1
		case isDigit(ch) || (ch == '.' && i+1 < n && isDigit(expr[i+1])):
			for i < n && (isIdent(expr[i]) || expr[i] == '.') {
				i++ // numbers and durations: 0.5, 1e6, 60m
			}
		case isIdentStart(ch):
			j := i
			for j < n && isIdent(expr[j]) {
				j++
			}
			word := expr[i:j]
			k := j
			for k < n && (expr[k] == ' ' || expr[k] == '\t' || expr[k] == '\n') {
				k++
			}
			next := byte(0)
			if k < n {
				next = expr[k]
			}
			low := strings.ToLower(word)
			switch {
			case labelLists[low]:
				i = k
				if next == '(' {
					e := strings.IndexByte(expr[k:], ')')
					if e < 0 {
						return nil, nil, fmt.Errorf("unclosed label list after %s", word)
					}
					i = k + e + 1
				}
			case keywords[low]:
				i = j
			case next == '(':
				stack = append(stack, word)
				i = k + 1
			case aggregations[low]:
				pending = word
				i = j
			default:
				s := Selector{Name: word, Calls: calls()}
				i = j
				if next == '{' {
					e, err := closeBrace(expr, k)
					if err != nil {
						return nil, nil, err
					}
					s.Matchers = expr[k+1 : e]
					i = e + 1
				}
				sels = append(sels, s)
			}
		default:
			i++
		}
	}
	if len(stack) != 0 {
		return nil, nil, fmt.Errorf("%d unclosed (", len(stack))
	}
	return sels, ranges, nil
}

func skipString(s string, i int) (int, error) {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch {
		case s[j] == '\\' && q != '`':
			j++
		case s[j] == q:
			return j + 1, nil
		}
	}
	return 0, fmt.Errorf("unclosed string at %d", i)
}

// closeBrace returns the index of the } closing the { at i.
func closeBrace(s string, i int) (int, error) {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '"', '\'', '`':
			e, err := skipString(s, j)
			if err != nil {
				return 0, err
			}
			j = e - 1
		case '}':
			return j, nil
		}
	}
	return 0, fmt.Errorf("unclosed { at %d", i)
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || c == ':' || (c|0x20) >= 'a' && (c|0x20) <= 'z' }
func isIdent(c byte) bool      { return isIdentStart(c) || isDigit(c) }
