package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"

	yaml "sigs.k8s.io/yaml/goyaml.v3"
)

// maxJSONDepth bounds nesting as the YAML parser does.
const maxJSONDepth = 10000

// parseJSONStream reads concatenated JSON values into YAML nodes with line numbers, so that JSON
// and YAML manifests share one strict decoder. A syntax error ends the stream.
func parseJSONStream(data []byte) []rootNode {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	lc := &lineCounter{data: data}
	var roots []rootNode
	for {
		n, err := readJSONValue(dec, lc)
		if errors.Is(err, io.EOF) {
			return roots
		}
		if err != nil {
			return append(roots, rootNode{err: jsonSyntaxError(err, dec, lc)})
		}
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			continue
		}
		roots = append(roots, rootNode{node: n})
	}
}

// readJSONValue reads one complete value, iteratively so that deep nesting cannot exhaust the stack.
func readJSONValue(dec *json.Decoder, lc *lineCounter) (*yaml.Node, error) {
	var stack []*yaml.Node
	for {
		tok, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) && len(stack) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		line := lc.lineAt(int(dec.InputOffset()))
		n := &yaml.Node{Kind: yaml.ScalarNode, Line: line}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				n.Kind, n.Tag = yaml.MappingNode, "!!map"
			case '[':
				n.Kind, n.Tag = yaml.SequenceNode, "!!seq"
			default:
				done := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				if len(stack) == 0 {
					return done, nil
				}
				continue
			}
		case string:
			n.Tag, n.Value, n.Style = "!!str", t, yaml.DoubleQuotedStyle
		case json.Number:
			n.Tag, n.Value = "!!int", string(t)
			if strings.ContainsAny(n.Value, ".eE") {
				n.Tag = "!!float"
			}
		case bool:
			n.Tag, n.Value = "!!bool", "false"
			if t {
				n.Value = "true"
			}
		case nil:
			n.Tag, n.Value = "!!null", "null"
		}
		if len(stack) > 0 {
			parent := stack[len(stack)-1]
			parent.Content = append(parent.Content, n)
		}
		if n.Kind == yaml.ScalarNode {
			if len(stack) == 0 {
				return n, nil
			}
			continue
		}
		if len(stack) >= maxJSONDepth {
			return nil, errors.New("exceeded max depth of 10000")
		}
		stack = append(stack, n)
	}
}

func jsonSyntaxError(err error, dec *json.Decoder, lc *lineCounter) *FieldError {
	off := int(dec.InputOffset())
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = int(se.Offset)
	}
	msg := err.Error()
	if errors.Is(err, io.ErrUnexpectedEOF) {
		msg = "unexpected end of input"
	}
	return &FieldError{Line: lc.lineAt(off), Reason: FieldValueInvalid, Msg: "invalid JSON: " + msg}
}

// lineCounter turns byte offsets into 1-based line numbers; offsets must not go backwards by much.
type lineCounter struct {
	data []byte
	pos  int
	line int // newlines before pos
}

func (c *lineCounter) lineAt(off int) int {
	off = min(max(off, 0), len(c.data))
	if off < c.pos {
		c.pos, c.line = 0, 0
	}
	c.line += bytes.Count(c.data[c.pos:off], []byte{'\n'})
	c.pos = off
	return c.line + 1
}
