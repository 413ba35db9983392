package api

import (
	"fmt"
	"strings"
)

// ParseSelector reads a selector as kubectl -l takes it: comma-separated terms, each one of
// "k=v", "k==v", "k!=v", "k in (a,b)", "k notin (a,b)", "k" (has the label), "!k" (lacks it),
// "k>5" or "k<5". An empty string selects everything.
func ParseSelector(s string) (Selector, error) {
	p := &selectorParser{toks: lexSelector(s)}
	reqs, err := p.parse()
	if err != nil {
		return nil, fmt.Errorf("label selector %q: %w", s, err)
	}
	return newLabelSelector(reqs), nil
}

type tokenKind int

const (
	tokEnd tokenKind = iota
	tokIdent
	tokComma
	tokOpen
	tokClose
	tokNot
	tokEquals
	tokDoubleEquals
	tokNotEquals
	tokGreater
	tokLess
	tokIn
	tokNotIn
)

type token struct {
	kind tokenKind
	text string
}

func (t token) String() string {
	if t.kind == tokEnd {
		return "end of input"
	}
	return fmt.Sprintf("%q", t.text)
}

var singleTokens = map[byte]tokenKind{'!': tokNot, '=': tokEquals, '<': tokLess, '>': tokGreater, '(': tokOpen, ')': tokClose, ',': tokComma}

const selectorSpecials = " \t\n\r!=<>(),"

// lexSelector splits a selector into tokens. An identifier runs up to blank space or one of
// "!=<>(),".
func lexSelector(s string) []token {
	var toks []token
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.HasPrefix(s[i:], "!="):
			toks = append(toks, token{tokNotEquals, "!="})
			i += 2
		case strings.HasPrefix(s[i:], "=="):
			toks = append(toks, token{tokDoubleEquals, "=="})
			i += 2
		case strings.IndexByte(selectorSpecials, c) >= 0:
			toks = append(toks, token{singleTokens[c], string(c)})
			i++
		default:
			j := i
			for j < len(s) && strings.IndexByte(selectorSpecials, s[j]) < 0 {
				j++
			}
			kind := tokIdent
			switch s[i:j] {
			case "in":
				kind = tokIn
			case "notin":
				kind = tokNotIn
			}
			toks = append(toks, token{kind, s[i:j]})
			i = j
		}
	}
	return append(toks, token{kind: tokEnd})
}

type selectorParser struct {
	toks []token
	pos  int
}

func (p *selectorParser) peek() token { return p.toks[p.pos] }

func (p *selectorParser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEnd {
		p.pos++
	}
	return t
}

func (p *selectorParser) parse() ([]requirement, error) {
	var reqs []requirement
	if p.peek().kind == tokEnd {
		return nil, nil
	}
	for {
		r, err := p.requirement()
		if err != nil {
			return nil, err
		}
		if err := r.validate(); err != nil {
			return nil, err
		}
		reqs = append(reqs, r)
		switch t := p.next(); t.kind {
		case tokEnd:
			return reqs, nil
		case tokComma:
			if p.peek().kind == tokEnd {
				return nil, fmt.Errorf("expected a requirement after the last ','")
			}
		default:
			return nil, fmt.Errorf("expected ',' or the end after %q, found %s", r.String(), t)
		}
	}
}

func (p *selectorParser) requirement() (requirement, error) {
	t := p.next()
	if t.kind == tokNot {
		key := p.next()
		if key.kind != tokIdent {
			return requirement{}, fmt.Errorf("expected a label key after '!', found %s", key)
		}
		return requirement{key: key.text, op: opDoesNotExist}, nil
	}
	if t.kind != tokIdent {
		return requirement{}, fmt.Errorf("expected a label key, found %s", t)
	}
	r := requirement{key: t.text}
	switch op := p.peek(); op.kind {
	case tokEnd, tokComma:
		r.op = opExists
		return r, nil
	case tokEquals, tokDoubleEquals, tokNotEquals:
		p.next()
		r.op = opEquals
		if op.kind == tokNotEquals {
			r.op = opNotEquals
		}
		r.values = []string{p.value()}
		return r, nil
	case tokGreater, tokLess:
		p.next()
		r.op = opGreaterThan
		if op.kind == tokLess {
			r.op = opLessThan
		}
		v := p.next()
		if v.kind != tokIdent {
			return r, fmt.Errorf("expected a number after %q, found %s", r.key+op.text, v)
		}
		r.values = []string{v.text}
		return r, nil
	case tokIn, tokNotIn:
		p.next()
		r.op = op.text
		values, err := p.valueSet(r.key + " " + op.text)
		r.values = values
		return r, err
	default:
		return r, fmt.Errorf("expected an operator (=, ==, !=, in, notin) or ',' after %q, found %s", r.key, op)
	}
}

// value reads the value after "=", "==" or "!="; it may be empty ("tier=").
func (p *selectorParser) value() string {
	switch t := p.peek(); t.kind {
	case tokIdent, tokIn, tokNotIn:
		p.next()
		return t.text
	}
	return ""
}

// valueSet reads "(a,b,...)".
func (p *selectorParser) valueSet(after string) ([]string, error) {
	if t := p.next(); t.kind != tokOpen {
		return nil, fmt.Errorf("expected '(' after %q, found %s", after, t)
	}
	var values []string
	for {
		t := p.next()
		switch t.kind {
		case tokIdent, tokIn, tokNotIn:
			values = append(values, t.text)
		case tokClose:
			if len(values) == 0 {
				return nil, fmt.Errorf("expected at least one value in the parentheses after %q", after)
			}
			return nil, fmt.Errorf("expected a value after ',' in the parentheses after %q", after)
		default:
			return nil, fmt.Errorf("expected a value in the parentheses after %q, found %s", after, t)
		}
		switch t := p.next(); t.kind {
		case tokComma:
		case tokClose:
			return values, nil
		default:
			return nil, fmt.Errorf("expected ',' or ')' after %q in the parentheses after %q, found %s", values[len(values)-1], after, t)
		}
	}
}
