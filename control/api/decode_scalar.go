package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"

	yaml "sigs.k8s.io/yaml/goyaml.v3"
)

// isStringTag reports a scalar that reads as a string: quoted, plain text, a timestamp (kubectl's
// YAML-to-JSON step keeps those as strings), a "<<" that merges nothing, or under a tag of the
// user's own.
func isStringTag(n *yaml.Node) bool {
	if n.Kind != yaml.ScalarNode {
		return false
	}
	tag := n.ShortTag()
	return tag == "!!str" || tag == "!!timestamp" || tag == "!!merge" || !strings.HasPrefix(tag, "!!")
}

// yaml11Bools are the plain scalars YAML 1.1 reads as booleans. kubectl's YAML parser follows 1.1,
// so these are booleans there; this decoder's parser follows 1.2 and would see strings.
var yaml11Bools = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "on": true, "On": true, "ON": true,
	"n": false, "N": false, "no": false, "No": false, "NO": false, "off": false, "Off": false, "OFF": false,
}

var yaml12Bools = map[string]bool{"true": true, "True": true, "TRUE": true, "false": false, "False": false, "FALSE": false}

// isPlain reports a scalar written without quotes or tag.
func isPlain(n *yaml.Node) bool { return n.Style == 0 && (n.Tag == "" || n.Tag == "!!str") }

func (d *decoder) stringValue(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.typeError(n, path, "a string")
		return "", false
	}
	what := ""
	switch tag := n.ShortTag(); {
	case tag == "!!int" || tag == "!!float":
		what = "a number"
	case tag == "!!bool":
		what = "a boolean"
	case isPlain(n) && inMap(yaml11Bools, n.Value):
		what = "a boolean in YAML 1.1, as kubectl reads it"
	case isStringTag(n) || tag == "!!binary":
		return n.Value, true
	default:
		d.typeError(n, path, "a string")
		return "", false
	}
	d.add(FieldError{Path: path, Line: d.lineFor(path, n), Reason: FieldValueTypeInvalid,
		Msg: "Invalid value: " + shorten(n.Value) + ": expected a string, got " + what + " (quote it: " + strconv.Quote(shorten(n.Value)) + ")"})
	return "", false
}

func inMap[V any](m map[string]V, k string) bool {
	_, ok := m[k]
	return ok
}

func (d *decoder) boolValue(n *yaml.Node, path string) (bool, bool) {
	if n.Kind == yaml.ScalarNode {
		if b, ok := yaml12Bools[n.Value]; ok && (n.ShortTag() == "!!bool") {
			return b, true
		}
		if b, ok := yaml11Bools[n.Value]; ok && isPlain(n) {
			return b, true
		}
	}
	d.typeError(n, path, "a boolean (true or false)")
	return false, false
}

func (d *decoder) intValue(n *yaml.Node, path string, bits int) (int64, bool) {
	if n.Kind == yaml.ScalarNode {
		text := strings.ReplaceAll(n.Value, "_", "")
		switch n.ShortTag() {
		case "!!int":
			i, err := strconv.ParseInt(text, 0, bits)
			if err == nil {
				return i, true
			}
			if errors.Is(err, strconv.ErrRange) {
				d.rangeError(n, path, bits, true)
				return 0, false
			}
		case "!!float":
			f, err := strconv.ParseFloat(text, 64)
			if err == nil && f == math.Trunc(f) {
				limit := math.Ldexp(1, bits-1)
				if f < -limit || f >= limit {
					d.rangeError(n, path, bits, true)
					return 0, false
				}
				return int64(f), true
			}
		}
	}
	d.typeError(n, path, "an integer")
	return 0, false
}

func (d *decoder) uintValue(n *yaml.Node, path string, bits int) (uint64, bool) {
	if n.Kind == yaml.ScalarNode {
		text := strings.ReplaceAll(n.Value, "_", "")
		switch n.ShortTag() {
		case "!!int":
			u, err := strconv.ParseUint(text, 0, bits)
			if err == nil {
				return u, true
			}
			if errors.Is(err, strconv.ErrRange) || strings.HasPrefix(text, "-") {
				d.rangeError(n, path, bits, false)
				return 0, false
			}
		case "!!float":
			f, err := strconv.ParseFloat(text, 64)
			if err == nil && f == math.Trunc(f) {
				if f < 0 || f >= math.Ldexp(1, bits) {
					d.rangeError(n, path, bits, false)
					return 0, false
				}
				return uint64(f), true
			}
		}
	}
	d.typeError(n, path, "a non-negative integer")
	return 0, false
}

func (d *decoder) rangeError(n *yaml.Node, path string, bits int, signed bool) {
	lo, hi := "0", strconv.FormatUint(1<<bits-1, 10)
	if bits == 64 {
		hi = strconv.FormatUint(math.MaxUint64, 10)
	}
	if signed {
		lo, hi = strconv.FormatInt(-1<<(bits-1), 10), strconv.FormatInt(1<<(bits-1)-1, 10)
	}
	d.add(FieldError{Path: path, Line: d.lineFor(path, n), Reason: FieldValueInvalid,
		Msg: "Invalid value: " + shorten(n.Value) + ": out of range: must be between " + lo + " and " + hi})
}

func (d *decoder) floatValue(n *yaml.Node, path string) (float64, bool) {
	if n.Kind == yaml.ScalarNode {
		if tag := n.ShortTag(); tag == "!!int" || tag == "!!float" {
			if f, ok := yamlNumber(n); ok {
				return f, true
			}
		}
	}
	d.typeError(n, path, "a finite number")
	return 0, false
}

// yamlNumber reads an !!int or !!float scalar as a finite float64.
func yamlNumber(n *yaml.Node) (float64, bool) {
	text := strings.ReplaceAll(n.Value, "_", "")
	if n.ShortTag() == "!!int" {
		if i, err := strconv.ParseInt(text, 0, 64); err == nil {
			return float64(i), true
		}
		if u, err := strconv.ParseUint(text, 0, 64); err == nil {
			return float64(u), true
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)

// toJSON renders n as JSON for a json.Unmarshaler (Quantity, IntOrString, Time). Numbers written
// as JSON numbers are kept digit for digit, so a quantity loses no precision.
func (d *decoder) toJSON(n *yaml.Node, path string) ([]byte, bool) {
	var buf bytes.Buffer
	ok := d.writeJSON(&buf, n, path)
	return buf.Bytes(), ok
}

func (d *decoder) writeJSON(buf *bytes.Buffer, n *yaml.Node, path string) bool {
	n = deref(n)
	switch {
	case isNull(n):
		buf.WriteString("null")
	case n.Kind == yaml.MappingNode:
		buf.WriteByte('{')
		for i, p := range d.pairs(n, path, pathKey) {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeJSONString(buf, p.key)
			buf.WriteByte(':')
			if !d.spend(p.val, path) || !d.writeJSON(buf, p.val, pathKey(path, p.key)) {
				return false
			}
		}
		buf.WriteByte('}')
	case n.Kind == yaml.SequenceNode:
		buf.WriteByte('[')
		for i, item := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if !d.spend(item, path) || !d.writeJSON(buf, item, pathIndex(path, i)) {
				return false
			}
		}
		buf.WriteByte(']')
	default:
		return d.writeJSONScalar(buf, n, path)
	}
	return true
}

func (d *decoder) writeJSONScalar(buf *bytes.Buffer, n *yaml.Node, path string) bool {
	switch tag := n.ShortTag(); tag {
	case "!!bool":
		buf.WriteString(strconv.FormatBool(yaml12Bools[n.Value]))
	case "!!int", "!!float":
		if jsonNumber.MatchString(n.Value) {
			buf.WriteString(n.Value)
			break
		}
		f, ok := yamlNumber(n)
		if !ok {
			d.typeError(n, path, "a finite number")
			return false
		}
		if i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil && tag == "!!int" {
			buf.WriteString(strconv.FormatInt(i, 10))
		} else {
			buf.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
		}
	default:
		writeJSONString(buf, n.Value)
	}
	return true
}

func writeJSONString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s)
	buf.Write(b)
}
