package api

import (
	"fmt"
	"strings"

	yaml "sigs.k8s.io/yaml/goyaml.v3"
)

// Document is one object of a manifest.
type Document struct {
	Index  int // 0-based among the stream's non-empty documents; the items of a List share its index
	Line   int // line where the object starts
	Kind   *Kind
	Object Object // typed: *Pod, *Deployment, ...

	lines  map[string]int // field path -> line of its key or list item
	prefix string         // "items[2]." for an item of a List, so messages point into the file
}

// LineOf is the line of the field at path ("spec.template.spec.containers[0].image"), or of its
// nearest ancestor present in the manifest (containers[0] when image is absent), or of the document.
func (d *Document) LineOf(path string) int {
	for p := path; p != ""; p = parentPath(p) {
		if line, ok := d.lines[p]; ok {
			return line
		}
	}
	return d.Line
}

// Locate turns problems found with the document's object (by Validate, say) into a ManifestError
// whose problems carry their lines, or nil when errs is empty.
func (d *Document) Locate(errs ErrorList) *ManifestError {
	if len(errs) == 0 {
		return nil
	}
	located := make(ErrorList, len(errs))
	for i, e := range errs {
		if e.Line == 0 {
			e.Line = d.LineOf(e.Path)
		}
		if d.prefix != "" {
			e.Path = strings.TrimSuffix(d.prefix+e.Path, ".")
		}
		located[i] = e
	}
	return &ManifestError{Doc: d.Index, Line: d.Line, Errs: located}
}

// Validate validates the document's object and places each problem on its line; nil when valid.
func (d *Document) Validate() *ManifestError { return d.Locate(Validate(d.Object)) }

// parentPath strips the last step of a field path: "a.b[0].c" -> "a.b[0]" -> "a.b" -> "a" -> "".
// Map keys in brackets may hold dots ("metadata.labels[app.kubernetes.io/name]").
func parentPath(p string) string {
	cut, depth := 0, 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '[':
			if depth == 0 {
				cut = i
			}
			depth++
		case ']':
			if depth > 0 {
				depth--
			}
		case '.':
			if depth == 0 {
				cut = i
			}
		}
	}
	return p[:cut]
}

// ManifestError is every problem of one document of a manifest.
type ManifestError struct {
	Source string // the file name, set by the caller
	Doc    int    // 0-based like Document.Index; printed 1-based
	Line   int    // line where the document starts
	Errs   ErrorList
}

// Error puts one problem on each line:
// "app.yaml: document 2 (line 14): spec.replicas: Invalid value: \"three\": expected an integer (line 19)".
func (e *ManifestError) Error() string {
	head := fmt.Sprintf("document %d", e.Doc+1)
	if e.Line > 0 {
		head += fmt.Sprintf(" (line %d)", e.Line)
	}
	if e.Source != "" {
		head = e.Source + ": " + head
	}
	if len(e.Errs) == 0 {
		return head + ": invalid"
	}
	lines := make([]string, len(e.Errs))
	for i, fe := range e.Errs {
		lines[i] = head + ": " + fe.Error()
		if fe.Line > 0 {
			lines[i] += fmt.Sprintf(" (line %d)", fe.Line)
		}
	}
	return strings.Join(lines, "\n")
}

// Unwrap gives the ErrorList, so errors.As finds it.
func (e *ManifestError) Unwrap() error {
	if len(e.Errs) == 0 {
		return nil
	}
	return e.Errs
}

// DecodeManifest decodes every document of a YAML stream ("---" separated) or of JSON (one object,
// several concatenated, or a List with items; the items of a List become documents of their own).
// Empty documents are skipped. Decoding is strict: every unknown field, type mismatch, duplicate
// key and missing or unknown apiVersion/kind is reported with its path and line. A document with
// problems yields a ManifestError instead of a Document; the others still decode.
func DecodeManifest(data []byte) ([]*Document, []*ManifestError) {
	var docs []*Document
	var errs []*ManifestError
	for i, root := range parseStream(data) {
		if root.err != nil {
			errs = append(errs, &ManifestError{Doc: i, Line: root.err.Line, Errs: ErrorList{*root.err}})
			continue
		}
		ds, fe := decodeRoot(root, i)
		if len(fe) > 0 {
			errs = append(errs, &ManifestError{Doc: i, Line: root.line(), Errs: fe})
			continue
		}
		docs = append(docs, ds...)
	}
	return docs, errs
}

// DecodeObject strictly decodes exactly one JSON or YAML object, as a request body. Its error is an
// ErrorList naming each problem's field.
func DecodeObject(data []byte) (Object, error) {
	roots := parseStream(data)
	switch {
	case len(roots) == 0:
		return nil, ErrorList{errRequired("", "no object: the body is empty")}
	case len(roots) > 1:
		return nil, ErrorList{{Reason: FieldValueInvalid, Msg: fmt.Sprintf("expected one object, found %d documents", len(roots))}}
	case roots[0].err != nil:
		return nil, ErrorList{*roots[0].err}
	}
	docs, errs := decodeRoot(roots[0], 0)
	if len(errs) > 0 {
		return nil, errs
	}
	if len(docs) != 1 || docs[0].prefix != "" {
		return nil, ErrorList{{Path: "kind", Reason: FieldValueNotSupported, Msg: "Unsupported value: a List is not accepted here: send one object"}}
	}
	return docs[0].Object, nil
}

// rootNode is one parsed document of a stream, or the syntax error that ended it.
type rootNode struct {
	node *yaml.Node
	off  int // added to node lines: where the node's chunk starts in the stream
	err  *FieldError
}

func (r rootNode) line() int { return r.node.Line + r.off }
