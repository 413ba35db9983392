package api

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Reasons of a FieldError, named as Kubernetes names the causes of a failed request.
const (
	FieldValueRequired     = "FieldValueRequired"
	FieldValueInvalid      = "FieldValueInvalid"
	FieldValueDuplicate    = "FieldValueDuplicate"
	FieldValueNotSupported = "FieldValueNotSupported"
	FieldValueTypeInvalid  = "FieldValueTypeInvalid"
	FieldValueUnknown      = "FieldValueUnknown"
	FieldValueNotFound     = "FieldValueNotFound"
	FieldValueForbidden    = "FieldValueForbidden"
	FieldValueTooLong      = "FieldValueTooLong"
)

// FieldError is one problem with one field of an object. Path uses Kubernetes' notation:
// "spec.template.spec.containers[0].image", "metadata.labels[app]". Line is the line of the field in
// the manifest it came from, 0 when unknown. Msg is the message after the path, as Kubernetes words
// it ("Invalid value: \"three\": expected an integer").
type FieldError struct {
	Path   string
	Line   int
	Reason string
	Msg    string
}

// Error formats the problem path first: "spec.replicas: Invalid value: \"three\": expected an integer".
func (e FieldError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// ErrorList is every problem found with an object. An empty list is no error: convert it with Err.
type ErrorList []FieldError

// Err is the list as an error, or nil when it is empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// Error puts one problem on each line.
func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// The constructors below word their messages as Kubernetes' field errors do.

func errRequired(path, detail string) FieldError {
	return FieldError{Path: path, Reason: FieldValueRequired, Msg: withDetail("Required value", detail)}
}

func errInvalid(path string, value any, detail string) FieldError {
	return FieldError{Path: path, Reason: FieldValueInvalid, Msg: withDetail("Invalid value: "+showValue(value), detail)}
}

func errDuplicate(path string, value any) FieldError {
	return FieldError{Path: path, Reason: FieldValueDuplicate, Msg: "Duplicate value: " + showValue(value)}
}

func errNotFound(path string, value any) FieldError {
	return FieldError{Path: path, Reason: FieldValueNotFound, Msg: "Not found: " + showValue(value)}
}

func errForbidden(path, detail string) FieldError {
	return FieldError{Path: path, Reason: FieldValueForbidden, Msg: withDetail("Forbidden", detail)}
}

func errTooLong(path string, max int) FieldError {
	return FieldError{Path: path, Reason: FieldValueTooLong, Msg: fmt.Sprintf("Too long: must have at most %d bytes", max)}
}

func errNotSupported(path string, value any, supported ...string) FieldError {
	msg := "Unsupported value: " + showValue(value)
	if len(supported) > 0 {
		quoted := make([]string, len(supported))
		for i, s := range supported {
			quoted[i] = strconv.Quote(s)
		}
		msg += ": supported values: " + strings.Join(quoted, ", ")
	}
	return FieldError{Path: path, Reason: FieldValueNotSupported, Msg: msg}
}

func withDetail(head, detail string) string {
	if detail == "" {
		return head
	}
	return head + ": " + detail
}

// showValue renders a value in a message: strings quoted, maps and lists as JSON, the rest as Go
// prints them. Long values are cut short.
func showValue(v any) string {
	var s string
	switch v := v.(type) {
	case rawValue:
		s = string(v)
	case string:
		return strconv.Quote(shorten(v))
	case *string:
		if v == nil {
			return "null"
		}
		return strconv.Quote(shorten(*v))
	case map[string]string:
		s = showLabels(v)
	case []string:
		b, _ := json.Marshal(v)
		s = string(b)
	case fmt.Stringer:
		return strconv.Quote(shorten(v.String()))
	default:
		s = fmt.Sprint(v)
	}
	return shorten(s)
}

// rawValue is shown as it is, without quotes.
type rawValue string

func showLabels(m map[string]string) string {
	if m == nil {
		return "null"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(k))
		b.WriteByte(':')
		b.WriteString(strconv.Quote(m[k]))
	}
	b.WriteByte('}')
	return b.String()
}

func shorten(s string) string {
	const max = 120
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}

// pathChild joins a field name to a path: pathChild("spec", "replicas") is "spec.replicas".
func pathChild(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// pathIndex is the path of a list item: pathIndex("spec.containers", 0) is "spec.containers[0]".
func pathIndex(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// pathKey is the path of a map entry: pathKey("metadata.labels", "app") is "metadata.labels[app]".
func pathKey(path, k string) string { return path + "[" + k + "]" }
