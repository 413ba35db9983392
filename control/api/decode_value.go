package api

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"

	yaml "sigs.k8s.io/yaml/goyaml.v3"
)

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// value decodes n into v, which is settable, reporting problems under path. null leaves v as it is.
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	if !d.spend(n, path) {
		return
	}
	n = deref(n)
	if isNull(n) {
		return
	}
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
	}
	if reflect.PointerTo(v.Type()).Implements(unmarshalerType) {
		d.unmarshaler(n, v.Addr().Interface().(json.Unmarshaler), path)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.structValue(n, v, path)
	case reflect.Map:
		d.mapValue(n, v, path)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			d.bytesValue(n, v, path)
		} else {
			d.sliceValue(n, v, path)
		}
	case reflect.String:
		if s, ok := d.stringValue(n, path); ok {
			v.SetString(s)
		}
	case reflect.Bool:
		if b, ok := d.boolValue(n, path); ok {
			v.SetBool(b)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if i, ok := d.intValue(n, path, v.Type().Bits()); ok {
			v.SetInt(i)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if u, ok := d.uintValue(n, path, v.Type().Bits()); ok {
			v.SetUint(u)
		}
	case reflect.Float32, reflect.Float64:
		if f, ok := d.floatValue(n, path); ok {
			v.SetFloat(f)
		}
	case reflect.Interface:
		if js, ok := d.toJSON(n, path); ok {
			if err := json.Unmarshal(js, v.Addr().Interface()); err != nil {
				d.add(FieldError{Path: path, Line: d.lineFor(path, n), Reason: FieldValueInvalid, Msg: "Invalid value: " + err.Error()})
			}
		}
	default:
		d.add(FieldError{Path: path, Line: d.lineFor(path, n), Reason: FieldValueInvalid, Msg: "Invalid value: cannot decode into " + v.Type().String()})
	}
}

// pair is one entry of a mapping, after merge keys ("<<") are expanded.
type pair struct {
	key  string
	line int
	val  *yaml.Node
}

// pairs lists a mapping's entries, reporting duplicate and non-string keys; entry names an entry's
// path (pathChild for fields, pathKey for map keys). Entries written in the mapping win over merged
// ones; among merged mappings the first wins, as YAML specifies.
func (d *decoder) pairs(n *yaml.Node, path string, entry func(path, key string) string) []pair {
	out := make([]pair, 0, len(n.Content)/2)
	seen := make(map[string]int, len(n.Content)/2)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		k := deref(kn)
		if k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge" {
			merges = append(merges, vn)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.add(FieldError{Path: path, Line: d.line(kn), Reason: FieldValueTypeInvalid, Msg: "Invalid value: a mapping key must be a string"})
			continue
		}
		if first, dup := seen[k.Value]; dup {
			if !d.reported[kn] {
				d.reported[kn] = true
				d.add(FieldError{Path: entry(path, k.Value), Line: d.line(kn), Reason: FieldValueDuplicate,
					Msg: "Duplicate value: " + strconv.Quote(k.Value) + ": key already set on line " + strconv.Itoa(first)})
			}
			continue
		}
		seen[k.Value] = d.line(kn)
		out = append(out, pair{key: k.Value, line: d.line(kn), val: vn})
	}
	for _, m := range merges {
		for _, p := range d.merged(m, path, entry) {
			if _, dup := seen[p.key]; !dup {
				seen[p.key] = p.line
				out = append(out, p)
			}
		}
	}
	return out
}

// merged lists the entries a "<<" value brings: one mapping or a list of mappings.
func (d *decoder) merged(m *yaml.Node, path string, entry func(path, key string) string) []pair {
	if !d.spend(m, path) {
		return nil
	}
	m = deref(m)
	switch m.Kind {
	case yaml.MappingNode:
		return d.pairs(m, path, entry)
	case yaml.SequenceNode:
		var out []pair
		seen := map[string]bool{}
		for _, item := range m.Content {
			if it := deref(item); it.Kind != yaml.MappingNode {
				d.add(FieldError{Path: path, Line: d.line(item), Reason: FieldValueTypeInvalid, Msg: "Invalid value: a merge (<<) takes a mapping or a list of mappings"})
				continue
			}
			for _, p := range d.merged(item, path, entry) {
				if !seen[p.key] {
					seen[p.key] = true
					out = append(out, p)
				}
			}
		}
		return out
	}
	d.add(FieldError{Path: path, Line: d.line(m), Reason: FieldValueTypeInvalid, Msg: "Invalid value: a merge (<<) takes a mapping or a list of mappings"})
	return nil
}

func (d *decoder) structValue(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.typeError(n, path, "a mapping (an object)")
		return
	}
	fields := structFields(v.Type())
	for _, p := range d.pairs(n, path, pathChild) {
		idx, ok := fields[p.key]
		if !ok {
			d.unknownField(p, path, fields)
			continue
		}
		fp := pathChild(path, p.key)
		d.lines[fp] = p.line
		d.value(p.val, fieldByIndex(v, idx), fp)
	}
}

func (d *decoder) unknownField(p pair, path string, fields map[string][]int) {
	msg := "unknown field"
	if d.hints < 20 {
		d.hints++
		if s := suggestField(p.key, fields); s != "" {
			msg += " (did you mean " + strconv.Quote(s) + "?)"
		}
	}
	d.add(FieldError{Path: pathChild(path, p.key), Line: p.line, Reason: FieldValueUnknown, Msg: msg})
}

// suggestField finds a known field one or two edits away, or differing only in case.
func suggestField(name string, fields map[string][]int) string {
	best, bestDist := "", 3
	for f := range fields {
		dist := editDistance(strings.ToLower(name), strings.ToLower(f))
		if strings.EqualFold(name, f) {
			dist = 0
		}
		if dist < bestDist || dist == bestDist && best != "" && f < best {
			best, bestDist = f, dist
		}
	}
	if bestDist > 2 || bestDist >= len(name) {
		return ""
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 || len(a)-len(b) > 2 || len(b)-len(a) > 2 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func (d *decoder) mapValue(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.typeError(n, path, "a mapping (an object)")
		return
	}
	if v.Type().Key().Kind() != reflect.String {
		d.add(FieldError{Path: path, Line: d.lineFor(path, n), Reason: FieldValueInvalid, Msg: "Invalid value: cannot decode into " + v.Type().String()})
		return
	}
	ps := d.pairs(n, path, pathKey)
	if v.IsNil() {
		v.Set(reflect.MakeMapWithSize(v.Type(), len(ps)))
	}
	et := v.Type().Elem()
	for _, p := range ps {
		kp := pathKey(path, p.key)
		d.lines[kp] = p.line
		elem := reflect.New(et).Elem()
		d.value(p.val, elem, kp)
		v.SetMapIndex(reflect.ValueOf(p.key).Convert(v.Type().Key()), elem)
	}
}

func (d *decoder) sliceValue(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.typeError(n, path, "a list")
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		ip := pathIndex(path, i)
		d.lines[ip] = d.line(item)
		d.value(item, s.Index(i), ip)
	}
	v.Set(s)
}

func (d *decoder) bytesValue(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode || !isStringTag(n) && n.ShortTag() != "!!binary" {
		d.typeError(n, path, "a base64-encoded string")
		return
	}
	b, err := base64.StdEncoding.DecodeString(n.Value)
	if err != nil {
		d.add(FieldError{Path: path, Line: d.lineFor(path, n), Reason: FieldValueInvalid,
			Msg: "Invalid value: " + scalarText(n) + ": not valid base64: " + err.Error()})
		return
	}
	v.SetBytes(b)
}

func (d *decoder) unmarshaler(n *yaml.Node, u json.Unmarshaler, path string) {
	js, ok := d.toJSON(n, path)
	if !ok {
		return
	}
	if err := u.UnmarshalJSON(js); err != nil {
		d.add(FieldError{Path: path, Line: d.lineFor(path, n), Reason: FieldValueInvalid, Msg: "Invalid value: " + nodeText(n) + ": " + err.Error()})
	}
}

// typeError reports that n is not the kind of value path takes ("an integer").
func (d *decoder) typeError(n *yaml.Node, path, want string) {
	d.add(FieldError{Path: path, Line: d.lineFor(path, n), Reason: FieldValueTypeInvalid, Msg: "Invalid value: " + nodeText(n) + ": expected " + want})
}

// nodeText shows a node in a message: a scalar as written (strings quoted), a mapping or list by shape.
func nodeText(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "{...}"
	case yaml.SequenceNode:
		return "[...]"
	}
	return scalarText(n)
}

func scalarText(n *yaml.Node) string {
	if isStringTag(n) {
		return strconv.Quote(shorten(n.Value))
	}
	return shorten(n.Value)
}

// fieldByIndex is reflect's FieldByIndex, allocating nil embedded pointers on the way.
func fieldByIndex(v reflect.Value, idx []int) reflect.Value {
	for i, x := range idx {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v
}

var fieldCache sync.Map // reflect.Type -> map[string][]int

// structFields maps the JSON names of a struct's fields to their indexes. Embedded structs without a
// JSON name are inlined; a shallower field wins over a deeper one of the same name, as in
// encoding/json.
func structFields(t reflect.Type) map[string][]int {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string][]int)
	}
	type found struct {
		name  string
		index []int
	}
	var all []found
	var walk func(t reflect.Type, idx []int)
	walk = func(t reflect.Type, idx []int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			index := append(append([]int(nil), idx...), i)
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
				walk(ft, index)
				continue
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			all = append(all, found{name, index})
		}
	}
	walk(t, nil)
	sort.SliceStable(all, func(i, j int) bool { return len(all[i].index) < len(all[j].index) })
	m := make(map[string][]int, len(all))
	for _, f := range all {
		if _, ok := m[f.name]; !ok {
			m[f.name] = f.index
		}
	}
	fieldCache.Store(t, m)
	return m
}
