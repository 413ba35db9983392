package api

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// FieldSelector selects objects by the values of a few of their fields, as ?fieldSelector= and
// kubectl --field-selector do: "spec.nodeName=node-1,status.phase!=Running". The zero value
// matches everything.
type FieldSelector struct {
	reqs []fieldRequirement
}

type fieldRequirement struct {
	field, value string
	not          bool
}

// commonFields are supported for every kind; kindFields add per kind.
var (
	commonFields = []string{"metadata.name", "metadata.namespace"}
	kindFields   = map[string][]string{
		"Pod":        {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "status.phase", "status.podIP"},
		"Node":       {"spec.unschedulable"},
		"Event":      {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"},
		"Secret":     {"type"},
		"Namespace":  {"status.phase"},
		"ReplicaSet": {"status.replicas"},
	}
)

// ParseFieldSelector reads comma-separated terms "field=value", "field==value" or "field!=value".
// In values, "\," "\=" and "\\" stand for ",", "=" and "\". A field no kind supports is an error.
func ParseFieldSelector(s string) (FieldSelector, error) {
	var f FieldSelector
	for _, term := range splitEscaped(s, ',') {
		if strings.TrimSpace(term) == "" {
			continue
		}
		r, err := parseFieldTerm(term)
		if err != nil {
			return FieldSelector{}, fmt.Errorf("field selector %q: %w", s, err)
		}
		if !anyKindSupports(r.field) {
			return FieldSelector{}, fmt.Errorf("field label not supported: %s", r.field)
		}
		f.reqs = append(f.reqs, r)
	}
	return f, nil
}

func parseFieldTerm(term string) (fieldRequirement, error) {
	for i := 0; i < len(term); i++ {
		switch {
		case term[i] == '\\':
			i++
		case strings.HasPrefix(term[i:], "!="), strings.HasPrefix(term[i:], "=="), term[i] == '=':
			opLen := 1
			if term[i] != '=' || strings.HasPrefix(term[i:], "==") {
				opLen = 2
			}
			value, err := unescapeField(strings.TrimSpace(term[i+opLen:]))
			if err != nil {
				return fieldRequirement{}, err
			}
			r := fieldRequirement{field: strings.TrimSpace(term[:i]), value: value, not: term[i] == '!'}
			if r.field == "" {
				return r, fmt.Errorf("term %q has no field name", term)
			}
			return r, nil
		}
	}
	return fieldRequirement{}, fmt.Errorf("term %q needs an operator (=, == or !=)", term)
}

// splitEscaped splits s at sep, except where a backslash escapes it.
func splitEscaped(s string, sep byte) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case sep:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

func unescapeField(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 >= len(s) || !strings.ContainsRune(`\,=`, rune(s[i+1])) {
			return "", fmt.Errorf("invalid escape sequence in %q: use \\\\, \\, or \\=", s)
		}
		i++
		b.WriteByte(s[i])
	}
	return b.String(), nil
}

func escapeField(s string) string {
	return strings.NewReplacer(`\`, `\\`, `,`, `\,`, `=`, `\=`).Replace(s)
}

func anyKindSupports(field string) bool {
	if slices.Contains(commonFields, field) {
		return true
	}
	for _, fs := range kindFields {
		if slices.Contains(fs, field) {
			return true
		}
	}
	return false
}

// ValidFor reports a field the kind does not support: "field label not supported: spec.nodeName".
func (f FieldSelector) ValidFor(k *Kind) error {
	for _, r := range f.reqs {
		if !slices.Contains(commonFields, r.field) && !slices.Contains(kindFields[k.Kind], r.field) {
			return fmt.Errorf("field label not supported: %s", r.field)
		}
	}
	return nil
}

// Matches reports whether obj satisfies every term. A field its kind lacks reads as "".
func (f FieldSelector) Matches(obj Object) bool {
	for _, r := range f.reqs {
		v, _ := fieldValue(obj, r.field)
		if (v == r.value) == r.not {
			return false
		}
	}
	return true
}

// RequiresExactMatch returns the value a term "field=value" requires, so a caller can use an index
// (the pods of one node).
func (f FieldSelector) RequiresExactMatch(field string) (string, bool) {
	for _, r := range f.reqs {
		if r.field == field && !r.not {
			return r.value, true
		}
	}
	return "", false
}

// Empty reports a selector that matches everything.
func (f FieldSelector) Empty() bool { return len(f.reqs) == 0 }

// String gives the selector back in the form ParseFieldSelector reads.
func (f FieldSelector) String() string {
	parts := make([]string, len(f.reqs))
	for i, r := range f.reqs {
		op := "="
		if r.not {
			op = "!="
		}
		parts[i] = r.field + op + escapeField(r.value)
	}
	return strings.Join(parts, ",")
}

// fieldValue reads one selectable field of obj.
func fieldValue(obj Object, field string) (string, bool) {
	if isNil(obj) {
		return "", false
	}
	m := obj.GetObjectMeta()
	switch field {
	case "metadata.name":
		return m.Name, true
	case "metadata.namespace":
		return m.Namespace, true
	}
	switch o := obj.(type) {
	case *Pod:
		return podField(o, field)
	case *Node:
		if field == "spec.unschedulable" {
			return strconv.FormatBool(o.Spec.Unschedulable), true
		}
	case *Event:
		return eventField(o, field)
	case *Secret:
		if field == "type" {
			return o.Type, true
		}
	case *Namespace:
		if field == "status.phase" {
			return o.Status.Phase, true
		}
	case *ReplicaSet:
		if field == "status.replicas" {
			return strconv.Itoa(int(o.Status.Replicas)), true
		}
	}
	return "", false
}

func podField(p *Pod, field string) (string, bool) {
	switch field {
	case "spec.nodeName":
		return p.Spec.NodeName, true
	case "spec.restartPolicy":
		return p.Spec.RestartPolicy, true
	case "spec.schedulerName":
		return p.Spec.SchedulerName, true
	case "spec.serviceAccountName":
		return p.Spec.ServiceAccountName, true
	case "status.phase":
		return p.Status.Phase, true
	case "status.podIP":
		return p.Status.PodIP, true
	}
	return "", false
}

func eventField(e *Event, field string) (string, bool) {
	io := e.InvolvedObject
	switch field {
	case "involvedObject.kind":
		return io.Kind, true
	case "involvedObject.namespace":
		return io.Namespace, true
	case "involvedObject.name":
		return io.Name, true
	case "involvedObject.uid":
		return io.UID, true
	case "involvedObject.apiVersion":
		return io.APIVersion, true
	case "involvedObject.resourceVersion":
		return io.ResourceVersion, true
	case "involvedObject.fieldPath":
		return io.FieldPath, true
	case "reason":
		return e.Reason, true
	case "reportingComponent":
		return e.ReportingController, true
	case "source":
		return e.Source.Component, true
	case "type":
		return e.Type, true
	}
	return "", false
}
