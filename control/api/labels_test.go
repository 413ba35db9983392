package api

import (
	"strings"
	"testing"
)

func TestParseSelector(t *testing.T) {
	web := map[string]string{"app": "web", "tier": "front", "cores": "8"}
	api := map[string]string{"app": "api", "canary": ""}
	none := map[string]string{}
	tests := []struct {
		in    string
		str   string // String() of the parsed selector
		match []map[string]string
		miss  []map[string]string
	}{
		{"", "", []map[string]string{web, api, none}, nil},
		{"app=web", "app=web", []map[string]string{web}, []map[string]string{api, none}},
		{"app==web", "app=web", []map[string]string{web}, []map[string]string{api}},
		{"app!=web", "app!=web", []map[string]string{api, none}, []map[string]string{web}},
		{"app in (web, api)", "app in (api,web)", []map[string]string{web, api}, []map[string]string{none}},
		{"app notin (web)", "app notin (web)", []map[string]string{api, none}, []map[string]string{web}},
		{"canary", "canary", []map[string]string{api}, []map[string]string{web}},
		{"!canary", "!canary", []map[string]string{web, none}, []map[string]string{api}},
		{"canary=", "canary=", []map[string]string{api}, []map[string]string{web}},
		{"tier=front, app", "app,tier=front", []map[string]string{web}, []map[string]string{api}},
		{"cores>4,cores<16", "cores>4,cores<16", []map[string]string{web}, []map[string]string{api}},
		{"app.kubernetes.io/name=MyApp", "app.kubernetes.io/name=MyApp", []map[string]string{{"app.kubernetes.io/name": "MyApp"}}, []map[string]string{web}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			s, err := ParseSelector(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if s.String() != tt.str {
				t.Errorf("String() = %q, want %q", s.String(), tt.str)
			}
			if s.Empty() != (tt.in == "") {
				t.Errorf("Empty() = %v", s.Empty())
			}
			for _, l := range tt.match {
				if !s.Matches(l) {
					t.Errorf("does not match %v", l)
				}
			}
			for _, l := range tt.miss {
				if s.Matches(l) {
					t.Errorf("matches %v", l)
				}
			}
			again, err := ParseSelector(s.String())
			if err != nil || again.String() != s.String() {
				t.Errorf("reparse of %q: %v, %v", s.String(), again, err)
			}
		})
	}
}

func TestParseSelectorErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"app in web", `label selector "app in web": expected '(' after "app in", found "web"`},
		{"app in (web", `label selector "app in (web": expected ',' or ')' after "web" in the parentheses after "app in", found end of input`},
		{"app in ()", `label selector "app in ()": expected at least one value in the parentheses after "app in"`},
		{"app=web,", `label selector "app=web,": expected a requirement after the last ','`},
		{",app", `label selector ",app": expected a label key, found ","`},
		{"app web", `label selector "app web": expected an operator (=, ==, !=, in, notin) or ',' after "app", found "web"`},
		{"app=web=x", `label selector "app=web=x": expected ',' or the end after "app=web", found "="`},
		{"!", `label selector "!": expected a label key after '!', found end of input`},
		{"-app=x", `label selector "-app=x": invalid label key "-app": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName', or 'my.name', or '123-abc')`},
		{"app=-x", `label selector "app=-x": invalid label value "-x" for key "app": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', or 'my_value', or '12345')`},
		{"cores>many", `label selector "cores>many": key "cores": value "many" must be an integer for '>' and '<'`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseSelector(tt.in)
			if err == nil || err.Error() != tt.want {
				t.Errorf("got  %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestLabelSelectorAsSelector(t *testing.T) {
	tests := []struct {
		name   string
		ls     *LabelSelector
		str    string
		format string
		err    string
	}{
		{"nil selects nothing", nil, "", "<none>", ""},
		{"empty selects everything", &LabelSelector{}, "", "<none>", ""},
		{"labels", &LabelSelector{MatchLabels: map[string]string{"tier": "front", "app": "web"}}, "app=web,tier=front", "app=web,tier=front", ""},
		{"expressions", &LabelSelector{
			MatchLabels: map[string]string{"app": "web"},
			MatchExpressions: []LabelSelectorRequirement{
				{Key: "env", Operator: "In", Values: []string{"prod", "dev"}},
				{Key: "canary", Operator: "DoesNotExist"},
				{Key: "zone", Operator: "NotIn", Values: []string{"b"}},
				{Key: "gpu", Operator: "Exists"},
			}}, "app=web,canary,!canary,env in (dev,prod),gpu,zone notin (b)", "", ""},
		{"bad operator", &LabelSelector{MatchExpressions: []LabelSelectorRequirement{{Key: "a", Operator: "in", Values: []string{"x"}}}},
			"", "<error>", `"in" is not a valid label selector operator (In, NotIn, Exists, DoesNotExist)`},
		{"In without values", &LabelSelector{MatchExpressions: []LabelSelectorRequirement{{Key: "a", Operator: "In"}}},
			"", "<error>", `key "a": values must be non-empty for 'in' and 'notin'`},
	}
	// "canary,!canary" cannot both hold; the selector is still well formed.
	tests[3].str = "app=web,!canary,env in (dev,prod),gpu,zone notin (b)"
	tests[3].format = tests[3].str
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := LabelSelectorAsSelector(tt.ls)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("got %v, want %s", err, tt.err)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if s.String() != tt.str {
				t.Errorf("String() = %q, want %q", s.String(), tt.str)
			}
			if got := FormatLabelSelector(tt.ls); got != tt.format {
				t.Errorf("FormatLabelSelector = %q, want %q", got, tt.format)
			}
		})
	}
	if s, _ := LabelSelectorAsSelector(nil); s.Matches(map[string]string{}) || s.Empty() {
		t.Error("nil selector matches")
	}
	if s, _ := LabelSelectorAsSelector(&LabelSelector{}); !s.Matches(map[string]string{"a": "b"}) || !s.Empty() {
		t.Error("empty selector does not match everything")
	}
	if !Everything().Matches(nil) || Nothing().Matches(nil) {
		t.Error("Everything or Nothing is wrong")
	}
	if s := SelectorFromSet(map[string]string{"b": "2", "a": "1"}); s.String() != "a=1,b=2" || !s.Matches(map[string]string{"a": "1", "b": "2", "c": "3"}) {
		t.Errorf("SelectorFromSet: %q", s)
	}
}

func TestSelectorMatchesManyLabels(t *testing.T) {
	s, err := ParseSelector("app=web,env notin (dev),!canary")
	if err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{"app": "web", "env": "prod"}
	for i := 0; i < 50; i++ {
		labels["k"+strings.Repeat("x", i)] = "v"
	}
	if !s.Matches(labels) {
		t.Error("no match")
	}
}
