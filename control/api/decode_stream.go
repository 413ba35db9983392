package api

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"

	yaml "sigs.k8s.io/yaml/goyaml.v3"
)

// parseStream parses a manifest into its non-empty documents. JSON (the first byte past blanks is
// "{" or "[") is read as a sequence of values; anything else is YAML, cut into documents at "---"
// lines first, as kubectl does, so that a syntax error costs only its own document.
func parseStream(data []byte) []rootNode {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		roots := parseJSONStream(data)
		if !hasSyntaxError(roots) {
			return roots
		}
		// YAML flow style ({apiVersion: v1, ...}) looks like JSON but is not
		if yamlRoots := parseYAMLStream(data); !hasSyntaxError(yamlRoots) {
			return yamlRoots
		}
		return roots
	}
	return parseYAMLStream(data)
}

func parseYAMLStream(data []byte) []rootNode {
	var roots []rootNode
	for _, c := range splitYAML(data) {
		roots = append(roots, parseYAMLChunk(c.data, c.off)...)
	}
	return roots
}

func hasSyntaxError(roots []rootNode) bool {
	for _, r := range roots {
		if r.err != nil {
			return true
		}
	}
	return false
}

type yamlChunk struct {
	data []byte
	off  int // lines before the chunk
}

// splitYAML cuts a stream at lines that are "---" alone or followed by a comment. A "---" followed
// by content ("--- {a: 1}") stays in its chunk; the YAML parser reads it as a document start.
func splitYAML(data []byte) []yamlChunk {
	var chunks []yamlChunk
	start, startLine, line := 0, 0, 0
	for pos := 0; pos < len(data); line++ {
		end := bytes.IndexByte(data[pos:], '\n')
		next := len(data)
		if end >= 0 {
			next = pos + end + 1
		}
		if isSeparator(data[pos:next]) && !onlyDirectives(data[start:pos]) {
			chunks = append(chunks, yamlChunk{data: data[start:pos], off: startLine})
			start, startLine = next, line+1
		}
		pos = next
	}
	return append(chunks, yamlChunk{data: data[start:], off: startLine})
}

// onlyDirectives reports a chunk holding "%YAML" or "%TAG" directives, which belong to the
// document after the separator, and nothing else but comments.
func onlyDirectives(chunk []byte) bool {
	found := false
	for _, line := range bytes.Split(chunk, []byte("\n")) {
		line = bytes.TrimSpace(line)
		switch {
		case len(line) == 0 || line[0] == '#':
		case line[0] == '%':
			found = true
		default:
			return false
		}
	}
	return found
}

func isSeparator(line []byte) bool {
	rest, ok := bytes.CutPrefix(line, []byte("---"))
	if !ok {
		return false
	}
	rest = bytes.TrimSpace(rest)
	return len(rest) == 0 || rest[0] == '#'
}

var yamlErrLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAMLChunk parses the documents of one chunk; a syntax error ends the chunk.
func parseYAMLChunk(data []byte, off int) []rootNode {
	var roots []rootNode
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		err := decodeNode(dec, &n)
		if errors.Is(err, io.EOF) {
			return roots
		}
		if err != nil {
			return append(roots, rootNode{err: yamlSyntaxError(err, off)})
		}
		if isEmptyDocument(&n) {
			continue
		}
		roots = append(roots, rootNode{node: &n, off: off})
	}
}

// decodeNode runs the YAML parser, turning a panic of it into an error: no input may crash us.
func decodeNode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("yaml: the parser failed on this document")
		}
	}()
	return dec.Decode(n)
}

func yamlSyntaxError(err error, off int) *FieldError {
	msg, line := err.Error(), off+1
	if m := yamlErrLine.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		msg, line = m[2], off+n
		if isParserError(msg) {
			line++ // the parser counts the construct's line from 0, the scanner from 1
		}
	} else if rest, ok := bytes.CutPrefix([]byte(msg), []byte("yaml: ")); ok {
		msg = string(rest)
	}
	return &FieldError{Line: line, Reason: FieldValueInvalid, Msg: "invalid YAML: " + msg}
}

func isParserError(msg string) bool {
	switch msg {
	case "found undefined tag handle", "found duplicate %YAML directive", "found incompatible YAML document", "found duplicate %TAG directive":
		return true
	}
	return strings.HasPrefix(msg, "did not find expected")
}

// isEmptyDocument reports a document of only comments, or a bare null.
func isEmptyDocument(n *yaml.Node) bool {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return true
		}
		n = n.Content[0]
	}
	return n.Kind == 0 || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}
