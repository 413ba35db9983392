package api

import "testing"

func TestFieldSelector(t *testing.T) {
	pod := &Pod{ObjectMeta: ObjectMeta{Name: "web-1", Namespace: "default"},
		Spec: PodSpec{NodeName: "node-1"}, Status: PodStatus{Phase: PodRunning, PodIP: "10.88.1.5"}}
	node := &Node{ObjectMeta: ObjectMeta{Name: "node-1"}, Spec: NodeSpec{Unschedulable: true}}
	ev := &Event{ObjectMeta: ObjectMeta{Name: "e", Namespace: "default"}, Reason: "Scheduled", Type: EventNormal,
		InvolvedObject: ObjectReference{Kind: "Pod", Name: "web-1", Namespace: "default", UID: "u1"}}
	secret := &Secret{ObjectMeta: ObjectMeta{Name: "s"}, Type: "kubernetes.io/tls"}
	tests := []struct {
		sel   string
		obj   Object
		match bool
	}{
		{"", pod, true},
		{"metadata.name=web-1", pod, true},
		{"metadata.name==web-2", pod, false},
		{"metadata.namespace!=kube-system", pod, true},
		{"spec.nodeName=node-1,status.phase=Running", pod, true},
		{"spec.nodeName=node-1,status.phase!=Running", pod, false},
		{"spec.nodeName=", pod, false},
		{"status.podIP=10.88.1.5", pod, true},
		{"spec.unschedulable=true", node, true},
		{"spec.unschedulable=false", node, false},
		{"involvedObject.kind=Pod,involvedObject.name=web-1,involvedObject.namespace=default,involvedObject.uid=u1", ev, true},
		{"reason=Scheduled,type=Normal", ev, true},
		{"type=Warning", ev, false},
		{"type=kubernetes.io/tls", secret, true},
		{"spec.nodeName=", node, true}, // a field the kind lacks reads as ""
		{` metadata.name = web-1 , `, pod, true},
	}
	for _, tt := range tests {
		t.Run(tt.sel, func(t *testing.T) {
			f, err := ParseFieldSelector(tt.sel)
			if err != nil {
				t.Fatal(err)
			}
			if f.Matches(tt.obj) != tt.match {
				t.Errorf("Matches = %v, want %v", !tt.match, tt.match)
			}
			again, err := ParseFieldSelector(f.String())
			if err != nil || again.String() != f.String() {
				t.Errorf("reparse of %q: %v", f.String(), err)
			}
		})
	}
}

func TestFieldSelectorErrors(t *testing.T) {
	tests := []struct{ sel, want string }{
		{"spec.foo=bar", "field label not supported: spec.foo"},
		{"metadata.name", `field selector "metadata.name": term "metadata.name" needs an operator (=, == or !=)`},
		{"=x", `field selector "=x": term "=x" has no field name`},
		{`metadata.name=a\b`, `field selector "metadata.name=a\\b": invalid escape sequence in "a\\b": use \\, \, or \=`},
	}
	for _, tt := range tests {
		t.Run(tt.sel, func(t *testing.T) {
			_, err := ParseFieldSelector(tt.sel)
			if err == nil || err.Error() != tt.want {
				t.Errorf("got  %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestFieldSelectorEscapesAndKinds(t *testing.T) {
	f, err := ParseFieldSelector(`metadata.name=a\,b\=c\\d`)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Matches(&Pod{ObjectMeta: ObjectMeta{Name: `a,b=c\d`}}) || f.String() != `metadata.name=a\,b\=c\\d` {
		t.Errorf("escapes: %q", f.String())
	}
	nodes, _ := ResourceFor("nodes")
	pods, _ := ResourceFor("pods")
	f, _ = ParseFieldSelector("spec.nodeName=n1")
	if err := f.ValidFor(nodes); err == nil || err.Error() != "field label not supported: spec.nodeName" {
		t.Errorf("ValidFor(nodes) = %v", err)
	}
	if err := f.ValidFor(pods); err != nil {
		t.Errorf("ValidFor(pods) = %v", err)
	}
	if v, ok := f.RequiresExactMatch("spec.nodeName"); !ok || v != "n1" {
		t.Errorf("RequiresExactMatch = %q, %v", v, ok)
	}
	if (FieldSelector{}).Empty() != true || f.Empty() {
		t.Error("Empty is wrong")
	}
}
