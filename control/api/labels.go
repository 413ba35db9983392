package api

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Selector matches objects by their labels.
type Selector interface {
	Matches(labels map[string]string) bool
	String() string // as kubectl -l takes it: "app=web,tier in (a,b)"; "" for everything
	Empty() bool    // true when it matches everything
}

// Label selector operators, as ParseSelector reads them.
const (
	opEquals       = "="
	opNotEquals    = "!="
	opIn           = "in"
	opNotIn        = "notin"
	opExists       = "exists"
	opDoesNotExist = "!"
	opGreaterThan  = "gt"
	opLessThan     = "lt"
)

// requirement is one comma-separated term of a selector.
type requirement struct {
	key    string
	op     string
	values []string // sorted for in and notin
}

func (r requirement) matches(labels map[string]string) bool {
	v, ok := labels[r.key]
	switch r.op {
	case opEquals:
		return ok && v == r.values[0]
	case opNotEquals:
		return !ok || v != r.values[0]
	case opIn:
		return ok && slices.Contains(r.values, v)
	case opNotIn:
		return !ok || !slices.Contains(r.values, v)
	case opExists:
		return ok
	case opDoesNotExist:
		return !ok
	case opGreaterThan, opLessThan:
		if !ok {
			return false
		}
		have, err1 := strconv.ParseInt(v, 10, 64)
		want, err2 := strconv.ParseInt(r.values[0], 10, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		return r.op == opGreaterThan && have > want || r.op == opLessThan && have < want
	}
	return false
}

func (r requirement) String() string {
	switch r.op {
	case opEquals, opNotEquals:
		return r.key + r.op + r.values[0]
	case opIn, opNotIn:
		return r.key + " " + r.op + " (" + strings.Join(r.values, ",") + ")"
	case opExists:
		return r.key
	case opDoesNotExist:
		return "!" + r.key
	case opGreaterThan:
		return r.key + ">" + r.values[0]
	case opLessThan:
		return r.key + "<" + r.values[0]
	}
	return r.key + " " + r.op
}

// labelSelector is a conjunction of requirements, sorted by key; no requirements match everything.
type labelSelector []requirement

func (s labelSelector) Matches(labels map[string]string) bool {
	for _, r := range s {
		if !r.matches(labels) {
			return false
		}
	}
	return true
}

func (s labelSelector) String() string {
	parts := make([]string, len(s))
	for i, r := range s {
		parts[i] = r.String()
	}
	return strings.Join(parts, ",")
}

func (s labelSelector) Empty() bool { return len(s) == 0 }

func newLabelSelector(reqs []requirement) labelSelector {
	for i := range reqs {
		if reqs[i].op == opIn || reqs[i].op == opNotIn {
			sort.Strings(reqs[i].values)
			reqs[i].values = slices.Compact(reqs[i].values)
		}
	}
	sort.SliceStable(reqs, func(i, j int) bool { return reqs[i].key < reqs[j].key })
	return labelSelector(reqs)
}

// nothingSelector matches no object: what a nil LabelSelector selects.
type nothingSelector struct{}

func (nothingSelector) Matches(map[string]string) bool { return false }
func (nothingSelector) String() string                 { return "" }
func (nothingSelector) Empty() bool                    { return false }

// Everything matches every object.
func Everything() Selector { return labelSelector(nil) }

// Nothing matches no object.
func Nothing() Selector { return nothingSelector{} }

// SelectorFromSet matches objects that carry every label of set (a Service's selector).
func SelectorFromSet(set map[string]string) Selector {
	reqs := make([]requirement, 0, len(set))
	for k, v := range set {
		reqs = append(reqs, requirement{key: k, op: opEquals, values: []string{v}})
	}
	return newLabelSelector(reqs)
}

// LabelSelectorAsSelector turns a LabelSelector of an object into a Selector: nil matches nothing,
// an empty one everything.
func LabelSelectorAsSelector(ls *LabelSelector) (Selector, error) {
	if ls == nil {
		return Nothing(), nil
	}
	reqs := make([]requirement, 0, len(ls.MatchLabels)+len(ls.MatchExpressions))
	for _, k := range sortedKeys(ls.MatchLabels) {
		r := requirement{key: k, op: opEquals, values: []string{ls.MatchLabels[k]}}
		if err := r.validate(); err != nil {
			return nil, err
		}
		reqs = append(reqs, r)
	}
	for _, e := range ls.MatchExpressions {
		r := requirement{key: e.Key, values: slices.Clone(e.Values)}
		switch e.Operator {
		case "In":
			r.op = opIn
		case "NotIn":
			r.op = opNotIn
		case "Exists":
			r.op = opExists
		case "DoesNotExist":
			r.op = opDoesNotExist
		default:
			return nil, fmt.Errorf("%q is not a valid label selector operator (In, NotIn, Exists, DoesNotExist)", e.Operator)
		}
		if err := r.validate(); err != nil {
			return nil, err
		}
		reqs = append(reqs, r)
	}
	return newLabelSelector(reqs), nil
}

// validate checks the key, the values and their number for the operator.
func (r requirement) validate() error {
	if msgs := qualifiedName(r.key); msgs != nil {
		return fmt.Errorf("invalid label key %q: %s", r.key, strings.Join(msgs, "; "))
	}
	switch r.op {
	case opIn, opNotIn:
		if len(r.values) == 0 {
			return fmt.Errorf("key %q: values must be non-empty for 'in' and 'notin'", r.key)
		}
	case opEquals, opNotEquals, opGreaterThan, opLessThan:
		if len(r.values) != 1 {
			return fmt.Errorf("key %q: exactly one value is required for %q", r.key, r.op)
		}
	case opExists, opDoesNotExist:
		if len(r.values) != 0 {
			return fmt.Errorf("key %q: values may not be given when testing that a label exists or does not", r.key)
		}
	}
	if r.op == opGreaterThan || r.op == opLessThan {
		if _, err := strconv.ParseInt(r.values[0], 10, 64); err != nil {
			return fmt.Errorf("key %q: value %q must be an integer for '>' and '<'", r.key, r.values[0])
		}
		return nil
	}
	for _, v := range r.values {
		if msgs := labelValue(v); msgs != nil {
			return fmt.Errorf("invalid label value %q for key %q: %s", v, r.key, strings.Join(msgs, "; "))
		}
	}
	return nil
}

// FormatLabelSelector prints a selector as kubectl describe and -o wide do: "app=web", or "<none>".
func FormatLabelSelector(ls *LabelSelector) string {
	s, err := LabelSelectorAsSelector(ls)
	if err != nil {
		return "<error>"
	}
	if str := s.String(); str != "" {
		return str
	}
	return "<none>"
}
