// Package filter decides which topics and groups the exporter watches,
// from include and exclude regular expressions.
package filter

import (
	"fmt"
	"regexp"
)

// Filter keeps names that match Include (when set) and not Exclude.
type Filter struct {
	include, exclude *regexp.Regexp
}

// New compiles the expressions; an empty one means "no constraint". The
// expressions are anchored: "orders-.*" must match the whole name.
func New(include, exclude string) (*Filter, error) {
	f := &Filter{}
	var err error
	if f.include, err = compile("include", include); err != nil {
		return nil, err
	}
	if f.exclude, err = compile("exclude", exclude); err != nil {
		return nil, err
	}
	return f, nil
}

func compile(what, expr string) (*regexp.Regexp, error) {
	if expr == "" {
		return nil, nil
	}
	if _, err := regexp.Compile(expr); err != nil {
		return nil, fmt.Errorf("%s expression %q: %w", what, expr, err)
	}
	return regexp.MustCompile("^(?:" + expr + ")$"), nil
}

// Keep reports whether name passes. A nil Filter keeps everything.
func (f *Filter) Keep(name string) bool {
	if f == nil {
		return true
	}
	if f.include != nil && !f.include.MatchString(name) {
		return false
	}
	return f.exclude == nil || !f.exclude.MatchString(name)
}
