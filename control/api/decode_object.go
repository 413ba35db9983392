package api

import (
	"reflect"
	"sort"
	"strconv"
	"strings"

	yaml "sigs.k8s.io/yaml/goyaml.v3"
)

// decoder walks a YAML node tree against a Go type, collecting every problem instead of stopping
// at the first. One decoder serves one object; the budget is shared by a document's objects.
type decoder struct {
	off      int            // added to node lines
	lines    map[string]int // field path -> line
	errs     ErrorList
	dropped  int // problems past maxProblems
	hints    int // "did you mean" suggestions made, bounded: each costs a scan of the fields
	budget   *budget
	reported map[*yaml.Node]bool // duplicate keys already reported (merged mappings are walked again)
}

// budget bounds the nodes visited once aliases are expanded, against "billion laughs" documents.
type budget struct {
	left     int
	exceeded bool
}

func newDecoder(off int, b *budget) *decoder {
	return &decoder{off: off, lines: map[string]int{}, budget: b, reported: map[*yaml.Node]bool{}}
}

// newBudget allows ten visits per node written plus a flat allowance.
func newBudget(root *yaml.Node) *budget {
	count, stack := 0, []*yaml.Node{root}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = append(stack[:len(stack)-1], n.Content...)
		count++
	}
	return &budget{left: 10*count + 100_000}
}

func (d *decoder) line(n *yaml.Node) int { return n.Line + d.off }

// maxProblems bounds the problems kept for one document: enough for any person, and a hostile
// request body cannot make the answer huge.
const maxProblems = 1000

func (d *decoder) add(e FieldError) {
	if len(d.errs) >= maxProblems {
		d.dropped++
		return
	}
	d.errs = append(d.errs, e)
}

// lineFor is the line to report a problem of the value n at path: the line of its key when known.
func (d *decoder) lineFor(path string, n *yaml.Node) int {
	if l, ok := d.lines[path]; ok {
		return l
	}
	return d.line(n)
}

// spend takes one node from the budget, reporting once when it runs out.
func (d *decoder) spend(n *yaml.Node, path string) bool {
	if d.budget.left > 0 {
		d.budget.left--
		return true
	}
	if !d.budget.exceeded {
		d.budget.exceeded = true
		d.add(FieldError{Path: path, Line: d.line(n), Reason: FieldValueInvalid,
			Msg: "Invalid value: document contains excessive aliasing"})
	}
	return false
}

// deref follows aliases and unwraps a document node. decodeRoot refuses documents whose aliases
// form a cycle (the parser lets an alias inside its own anchored node through).
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && i < 100; i++ {
		switch {
		case n.Kind == yaml.AliasNode && n.Alias != nil:
			n = n.Alias
		case n.Kind == yaml.DocumentNode && len(n.Content) == 1:
			n = n.Content[0]
		default:
			return n
		}
	}
	return n
}

// aliasCycle returns an alias that leads back into a node that contains it, or nil. It walks the
// document depth first, following aliases, and visits each node once.
func aliasCycle(root *yaml.Node) *yaml.Node {
	const (
		unseen = iota
		open   // on the current path
		done
	)
	state := map[*yaml.Node]int{}
	type frame struct {
		n    *yaml.Node
		next int // the next child to visit
	}
	stack := []frame{{n: root}}
	state[root] = open
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		children := top.n.Content
		if top.n.Kind == yaml.AliasNode && top.n.Alias != nil {
			children = []*yaml.Node{top.n.Alias}
		}
		if top.next == len(children) {
			state[top.n] = done
			stack = stack[:len(stack)-1]
			continue
		}
		c := children[top.next]
		top.next++
		switch state[c] {
		case open:
			return top.n
		case unseen:
			state[c] = open
			stack = append(stack, frame{n: c})
		}
	}
	return nil
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || n.Kind == yaml.DocumentNode ||
		n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// decodeRoot decodes one document of a stream: an object, or a List whose items become documents.
func decodeRoot(r rootNode, index int) ([]*Document, ErrorList) {
	d := newDecoder(r.off, newBudget(r.node))
	if a := aliasCycle(r.node); a != nil {
		d.add(FieldError{Line: d.line(a), Reason: FieldValueInvalid,
			Msg: "Invalid value: alias *" + a.Value + " refers to a node that contains it"})
		return nil, d.errs
	}
	n := deref(r.node)
	if n.Kind != yaml.MappingNode {
		d.typeError(n, "", "an object with apiVersion and kind")
		return nil, d.errs
	}
	apiVersion, kind := d.typeMeta(n)
	if isListKind(kind) {
		return d.list(n, index, apiVersion, kind)
	}
	k, obj := d.object(n, "", "")
	if len(d.errs) > 0 {
		return nil, d.sorted()
	}
	return []*Document{{Index: index, Line: d.line(n), Kind: k, Object: obj, lines: d.lines}}, nil
}

// sorted orders the problems by line, so they read from the top of the file down.
func (d *decoder) sorted() ErrorList {
	sort.SliceStable(d.errs, func(i, j int) bool { return d.errs[i].Line < d.errs[j].Line })
	if d.dropped > 0 {
		d.errs = append(d.errs, FieldError{Reason: FieldValueInvalid, Msg: "and " + strconv.Itoa(d.dropped) + " more problems"})
		d.dropped = 0
	}
	return d.errs
}

func isListKind(kind string) bool {
	return kind == "List" || strings.HasSuffix(kind, "List") && kindNamed(kind) == nil
}

func kindNamed(name string) *Kind {
	for _, k := range kinds {
		if k.Kind == name {
			return k
		}
	}
	return nil
}

// typeMeta peeks at apiVersion and kind; the full decode reports their problems.
func (d *decoder) typeMeta(n *yaml.Node) (apiVersion, kind string) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode || v.Kind != yaml.ScalarNode || !isStringTag(v) {
			continue
		}
		switch {
		case k.Value == "apiVersion" && apiVersion == "":
			apiVersion = v.Value
		case k.Value == "kind" && kind == "":
			kind = v.Value
		}
	}
	return apiVersion, kind
}

// object decodes a mapping as the object its apiVersion and kind name; defVersion and defKind stand
// in for missing ones (the items of a PodList).
func (d *decoder) object(n *yaml.Node, defVersion, defKind string) (*Kind, Object) {
	apiVersion, kind := d.typeMeta(n)
	if apiVersion == "" {
		apiVersion = defVersion
	}
	if kind == "" {
		kind = defKind
	}
	if apiVersion == "" || kind == "" {
		bad := d.typeMetaErrors(n)
		for _, f := range []struct{ name, v string }{{"apiVersion", apiVersion}, {"kind", kind}} {
			if f.v == "" && !bad[f.name] {
				line := d.keyLine(n, f.name)
				if line == 0 {
					line = d.line(n)
				}
				d.add(FieldError{Path: f.name, Line: line, Reason: FieldValueRequired, Msg: "Required value: " + f.name + " must be set"})
			}
		}
		return nil, nil
	}
	k, err := KindFor(apiVersion, kind)
	if err != nil {
		path, reason, head := "kind", FieldValueNotSupported, "Unsupported value: "+strconv.Quote(kind)
		if kindNamed(kind) != nil {
			path, reason, head = "apiVersion", FieldValueInvalid, "Invalid value: "+strconv.Quote(apiVersion)
		}
		line := d.keyLine(n, path)
		if line == 0 {
			line = d.line(n)
		}
		d.add(FieldError{Path: path, Line: line, Reason: reason, Msg: head + ": " + err.Error()})
		return nil, nil
	}
	obj := k.New()
	d.value(n, reflect.ValueOf(obj).Elem(), "")
	tm := obj.GetTypeMeta()
	tm.APIVersion, tm.Kind = k.APIVersion(), k.Kind
	return k, obj
}

// typeMetaErrors reports an apiVersion or kind that is not a string, and says which.
func (d *decoder) typeMetaErrors(n *yaml.Node) map[string]bool {
	bad := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := deref(n.Content[i])
		if k.Kind != yaml.ScalarNode || k.Value != "apiVersion" && k.Value != "kind" {
			continue
		}
		before := len(d.errs)
		d.lines[k.Value] = d.line(n.Content[i])
		d.value(n.Content[i+1], reflect.ValueOf(new(string)).Elem(), k.Value)
		if len(d.errs) > before {
			bad[k.Value] = true
		}
	}
	return bad
}

// keyLine is the line of the key name in mapping n, or 0.
func (d *decoder) keyLine(n *yaml.Node, name string) int {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := deref(n.Content[i]); k.Kind == yaml.ScalarNode && k.Value == name {
			return d.line(n.Content[i])
		}
	}
	return 0
}

// list decodes "kind: List" (or PodList, ...): each item becomes a Document; problems of items are
// reported under items[i].
func (d *decoder) list(n *yaml.Node, index int, apiVersion, kind string) ([]*Document, ErrorList) {
	var itemKind, itemVersion string
	if k := kindNamed(strings.TrimSuffix(kind, "List")); k != nil {
		itemKind, itemVersion = k.Kind, k.APIVersion()
	}
	var items *yaml.Node
	for _, p := range d.pairs(n, "", pathChild) {
		d.lines[p.key] = p.line
		switch p.key {
		case "apiVersion", "kind":
			d.value(p.val, reflect.ValueOf(new(string)).Elem(), p.key)
		case "metadata":
			d.value(p.val, reflect.ValueOf(&ListMeta{}).Elem(), p.key)
		case "items":
			items = deref(p.val)
		default:
			d.unknownField(p, "", listFields)
		}
	}
	if items == nil || isNull(items) {
		return nil, d.sorted()
	}
	if items.Kind != yaml.SequenceNode {
		d.typeError(items, "items", "a list")
		return nil, d.sorted()
	}
	var docs []*Document
	for i, it := range items.Content {
		prefix := pathIndex("items", i)
		item := newDecoder(d.off, d.budget)
		itn := deref(it)
		if itn.Kind != yaml.MappingNode {
			item.typeError(itn, "", "an object with apiVersion and kind")
		} else if k, obj := item.object(itn, itemVersion, itemKind); len(item.errs) == 0 {
			docs = append(docs, &Document{Index: index, Line: d.line(it), Kind: k, Object: obj, lines: item.lines, prefix: prefix + "."})
		}
		for _, e := range item.sorted() {
			e.Path = strings.TrimSuffix(prefix+"."+e.Path, ".")
			d.add(e)
		}
	}
	if len(d.errs) > 0 {
		return nil, d.sorted()
	}
	return docs, nil
}

var listFields = map[string][]int{"apiVersion": nil, "kind": nil, "metadata": nil, "items": nil}
