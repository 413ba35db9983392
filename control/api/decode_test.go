package api

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// decodeOne decodes a manifest that must hold exactly one good document.
func decodeOne(t *testing.T, manifest string) Object {
	t.Helper()
	docs, errs := DecodeManifest([]byte(manifest))
	for _, e := range errs {
		t.Fatalf("decode: %v", e)
	}
	if len(docs) != 1 {
		t.Fatalf("decode: got %d documents, want 1", len(docs))
	}
	return docs[0].Object
}

func TestDecodeKubernetesExamples(t *testing.T) {
	tests := []struct {
		file  string
		kinds []string
		check func(t *testing.T, docs []*Document)
	}{
		{"nginx-deployment.yaml", []string{"Deployment"}, func(t *testing.T, docs []*Document) {
			d := docs[0].Object.(*Deployment)
			c := d.Spec.Template.Spec.Containers[0]
			if *d.Spec.Replicas != 3 || c.Image != "nginx:1.14.2" || c.Ports[0].ContainerPort != 80 {
				t.Errorf("got %+v", d.Spec)
			}
			if got := FormatLabelSelector(d.Spec.Selector); got != "app=nginx" {
				t.Errorf("selector %q", got)
			}
		}},
		{"my-service.yaml", []string{"Service"}, func(t *testing.T, docs []*Document) {
			s := docs[0].Object.(*Service)
			p := s.Spec.Ports[0]
			if p.Port != 80 || p.TargetPort != FromInt(9376) || p.Protocol != "TCP" || s.Spec.Selector["app.kubernetes.io/name"] != "MyApp" {
				t.Errorf("got %+v", s.Spec)
			}
		}},
		{"minimal-ingress.yaml", []string{"Ingress"}, func(t *testing.T, docs []*Document) {
			ing := docs[0].Object.(*Ingress)
			p := ing.Spec.Rules[0].HTTP.Paths[0]
			if *ing.Spec.IngressClassName != "nginx-example" || p.Path != "/testpath" || *p.PathType != "Prefix" ||
				p.Backend.Service.Name != "test" || p.Backend.Service.Port.Number != 80 ||
				ing.Annotations["nginx.ingress.kubernetes.io/rewrite-target"] != "/" {
				t.Errorf("got %+v", ing)
			}
		}},
		{"game-demo.yaml", []string{"ConfigMap", "Pod"}, func(t *testing.T, docs []*Document) {
			cm := docs[0].Object.(*ConfigMap)
			want := "enemy.types=aliens,monsters\nplayer.maximum-lives=5    \n"
			if cm.Data["game.properties"] != want || cm.Data["player_initial_lives"] != "3" {
				t.Errorf("got %q", cm.Data)
			}
			pod := docs[1].Object.(*Pod)
			if ref := pod.Spec.Containers[0].Env[0].ValueFrom.ConfigMapKeyRef; ref.Key != "player_initial_lives" {
				t.Errorf("got %+v", ref)
			}
			if docs[1].Index != 1 || docs[1].Line != 19 {
				t.Errorf("pod document: index %d line %d, want 1 and 19", docs[1].Index, docs[1].Line)
			}
		}},
		{"anchors.yaml", []string{"DaemonSet"}, func(t *testing.T, docs []*Document) {
			ds := docs[0].Object.(*DaemonSet)
			cs := ds.Spec.Template.Spec.Containers
			if len(cs) != 2 || cs[1].Name != "sidecar" || cs[1].Image != "registry.example.com/sidecar" ||
				cs[1].Resources.Requests["cpu"].MilliValue() != 50 || ds.Spec.Template.Labels["tier"] != "node" {
				t.Errorf("got %+v", cs)
			}
		}},
		{"hello-wasm.json", []string{"Pod", "Service", "Secret"}, func(t *testing.T, docs []*Document) {
			pod := docs[0].Object.(*Pod)
			limits := pod.Spec.Containers[0].Resources.Limits
			if limits["cpu"].MilliValue() != 500 || limits["memory"].Value() != 64<<20 {
				t.Errorf("limits %v", limits)
			}
			if docs[1].Index != 1 || docs[2].Index != 1 || docs[2].Line != 27 {
				t.Errorf("list items: index %d, %d, line %d", docs[1].Index, docs[2].Index, docs[2].Line)
			}
			if s := docs[2].Object.(*Secret); string(s.Data["ca.crt"]) != "hello" || s.StringData["token"] != "s3cret" {
				t.Errorf("secret %+v", s)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			docs, errs := DecodeManifest(readTestdata(t, tt.file))
			for _, e := range errs {
				e.Source = tt.file
				t.Fatal(e)
			}
			var kinds []string
			for _, d := range docs {
				kinds = append(kinds, d.Kind.Kind)
			}
			if strings.Join(kinds, ",") != strings.Join(tt.kinds, ",") {
				t.Fatalf("kinds %v, want %v", kinds, tt.kinds)
			}
			tt.check(t, docs)
			for _, d := range docs {
				if e := d.Validate(); e != nil {
					t.Errorf("validate: %v", e)
				}
				SetDefaults(d.Object)
				if errs := Validate(d.Object); errs != nil {
					t.Errorf("validate after defaults: %v", errs)
				}
			}
		})
	}
}

// checkManifest decodes and validates as "wk apply" does, returning every problem.
func checkManifest(data []byte, source string) []*ManifestError {
	docs, errs := DecodeManifest(data)
	for _, d := range docs {
		if e := d.Validate(); e != nil {
			errs = append(errs, e)
		}
	}
	for _, e := range errs {
		e.Source = source
	}
	return errs
}

func TestBadManifest(t *testing.T) {
	errs := checkManifest(readTestdata(t, "bad.yaml"), "bad.yaml")
	type problem struct {
		doc    int
		path   string
		line   int
		reason string
	}
	var got []problem
	var text []string
	for _, me := range errs {
		for _, fe := range me.Errs {
			got = append(got, problem{me.Doc, fe.Path, fe.Line, fe.Reason})
		}
		text = append(text, me.Error())
	}
	want := []problem{
		{0, "spec.replicas", 7, FieldValueTypeInvalid},
		{0, "spec.template.spec.containers[0].imagee", 18, FieldValueUnknown},
		{1, "spec.containers[0].image", 26, FieldValueRequired},
		{2, "spec.selector.matchExpressions[0].values", 37, FieldValueRequired},
		{3, "spec.containers[1].name", 56, FieldValueDuplicate},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(got), len(want), strings.Join(text, "\n"))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("problem %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	checkGolden(t, "bad.golden", strings.Join(text, "\n")+"\n")
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run with -update to accept):\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

func TestDecodeProblems(t *testing.T) {
	const pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n"
	tests := []struct {
		name     string
		manifest string
		want     string // the one problem, as FieldError.Error() prints it
		line     int
		reason   string
	}{
		{"quoted number where an integer belongs", "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: \"3\"\n",
			`spec.replicas: Invalid value: "3": expected an integer`, 4, FieldValueTypeInvalid},
		{"integer out of range", "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 4294967296\n",
			"spec.replicas: Invalid value: 4294967296: out of range: must be between -2147483648 and 2147483647", 4, FieldValueInvalid},
		{"fraction where an integer belongs", "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 1.5\n",
			"spec.replicas: Invalid value: 1.5: expected an integer", 4, FieldValueTypeInvalid},
		{"number where a string belongs", pod + "spec:\n  containers:\n  - name: a\n    env:\n    - name: PORT\n      value: 8080\n",
			`spec.containers[0].env[0].value: Invalid value: 8080: expected a string, got a number (quote it: "8080")`, 10, FieldValueTypeInvalid},
		{"YAML 1.1 boolean where a string belongs", pod + "spec:\n  nodeSelector:\n    gpu: yes\n",
			`spec.nodeSelector[gpu]: Invalid value: yes: expected a string, got a boolean in YAML 1.1, as kubectl reads it (quote it: "yes")`, 7, FieldValueTypeInvalid},
		{"list where a string belongs", pod + "spec:\n  nodeName: [a, b]\n",
			"spec.nodeName: Invalid value: [...]: expected a string", 6, FieldValueTypeInvalid},
		{"string where a list belongs", pod + "spec:\n  containers: web\n",
			`spec.containers: Invalid value: "web": expected a list`, 6, FieldValueTypeInvalid},
		{"string where a boolean belongs", pod + "spec:\n  hostNetwork: \"true\"\n",
			`spec.hostNetwork: Invalid value: "true": expected a boolean (true or false)`, 6, FieldValueTypeInvalid},
		{"unknown field with a suggestion", pod + "spec:\n  containers:\n  - name: a\n    Image: x\n",
			`spec.containers[0].Image: unknown field (did you mean "image"?)`, 8, FieldValueUnknown},
		{"unknown top-level field", pod + "specs: {}\n", "specs: unknown field (did you mean \"spec\"?)", 5, FieldValueUnknown},
		{"duplicate key", pod + "  name: q\n", `metadata.name: Duplicate value: "name": key already set on line 4`, 5, FieldValueDuplicate},
		{"duplicate map key", pod + "  labels: {a: b, a: c}\n", `metadata.labels[a]: Duplicate value: "a": key already set on line 5`, 5, FieldValueDuplicate},
		{"missing apiVersion", "kind: Pod\nmetadata: {name: p}\n", "apiVersion: Required value: apiVersion must be set", 1, FieldValueRequired},
		{"empty apiVersion", "apiVersion:\nkind: Pod\n", "apiVersion: Required value: apiVersion must be set", 1, FieldValueRequired},
		{"missing kind", "apiVersion: v1\nmetadata: {name: p}\n", "kind: Required value: kind must be set", 1, FieldValueRequired},
		{"unknown kind", "apiVersion: v1\nkind: CronJob\n",
			`kind: Unsupported value: "CronJob": no kind "CronJob" is known (known kinds: ConfigMap, DaemonSet, Deployment, Endpoints, Event, Ingress, Namespace, Node, Pod, ReplicaSet, Secret, Service)`, 2, FieldValueNotSupported},
		{"wrong apiVersion", "apiVersion: v1\nkind: Deployment\n",
			`apiVersion: Invalid value: "v1": no kind "Deployment" in version "v1" (use apiVersion "apps/v1")`, 1, FieldValueInvalid},
		{"kind not a string", "apiVersion: v1\nkind: [Pod]\n", "kind: Invalid value: [...]: expected a string", 2, FieldValueTypeInvalid},
		{"bad base64", "apiVersion: v1\nkind: Secret\ndata:\n  key: not base64!\n",
			`data[key]: Invalid value: "not base64!": not valid base64: illegal base64 data at input byte 3`, 4, FieldValueInvalid},
		{"bad quantity", pod + "spec:\n  containers:\n  - name: a\n    resources:\n      limits:\n        memory: 64MB\n",
			`spec.containers[0].resources.limits[memory]: Invalid value: "64MB": quantity "64MB" has an unknown suffix "MB"`, 10, FieldValueInvalid},
		{"bad int-or-string", "apiVersion: v1\nkind: Service\nspec:\n  ports:\n  - port: 80\n    targetPort: 1.5\n",
			"spec.ports[0].targetPort: Invalid value: 1.5: expected an integer or a string, got 1.5", 6, FieldValueInvalid},
		{"bad time", pod + "  creationTimestamp: yesterday\n",
			`metadata.creationTimestamp: Invalid value: "yesterday": parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"`, 5, FieldValueInvalid},
		{"document not a mapping", "- a\n- b\n", "Invalid value: [...]: expected an object with apiVersion and kind", 1, FieldValueTypeInvalid},
		{"merge of a scalar", pod + "spec:\n  <<: 5\n", "spec: Invalid value: a merge (<<) takes a mapping or a list of mappings", 6, FieldValueTypeInvalid},
		{"mapping key not a string", pod + "spec:\n  ? [a]\n  : b\n", "spec: Invalid value: a mapping key must be a string", 6, FieldValueTypeInvalid},
		{"YAML syntax", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n   labels: {}\n", "invalid YAML: mapping values are not allowed in this context", 5, FieldValueInvalid},
		{"YAML syntax in a flow mapping", "apiVersion: v1\nkind: Pod\nmetadata: {name: p\n", "invalid YAML: did not find expected ',' or '}'", 3, FieldValueInvalid},
		{"JSON syntax", "{\"apiVersion\": \"v1\",\n \"kind\": \"Pod\",\n \"metadata\": {]}\n", "invalid JSON: invalid character ']'", 3, FieldValueInvalid},
		{"JSON unknown field", "{\"apiVersion\": \"v1\",\n \"kind\": \"Pod\",\n \"spec\": {\"containerz\": []}}\n", `spec.containerz: unknown field (did you mean "containers"?)`, 3, FieldValueUnknown},
		{"List item", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  spec:\n    restartPolicy: 1\n",
			"items[0].spec.restartPolicy: Invalid value: 1: expected a string, got a number (quote it: \"1\")", 7, FieldValueTypeInvalid},
		{"PodList item without kind", "apiVersion: v1\nkind: PodList\nitems:\n- metadata: {name: a}\n  spex: {}\n",
			`items[0].spex: unknown field (did you mean "spec"?)`, 5, FieldValueUnknown},
		{"List with an unknown field", "apiVersion: v1\nkind: List\nitem: []\n", `item: unknown field (did you mean "items"?)`, 3, FieldValueUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, errs := DecodeManifest([]byte(tt.manifest))
			if len(docs) != 0 || len(errs) != 1 || len(errs[0].Errs) != 1 {
				t.Fatalf("got %d documents and errors %v, want one problem", len(docs), errs)
			}
			fe := errs[0].Errs[0]
			if fe.Error() != tt.want || fe.Line != tt.line || fe.Reason != tt.reason {
				t.Errorf("got  %q line %d %s\nwant %q line %d %s", fe.Error(), fe.Line, fe.Reason, tt.want, tt.line, tt.reason)
			}
		})
	}
}

func TestDecodeAcceptsWhatKubectlAccepts(t *testing.T) {
	docs, errs := DecodeManifest([]byte(`
# a comment-only document before the first separator
---
---
apiVersion: v1
kind: Pod
metadata:
  name: p
  labels: {a: "1", b: ""}
  creationTimestamp: null
  annotations:
    note: 2024-01-02
spec:
  hostNetwork: on
  terminationGracePeriodSeconds: 1e2
  activeDeadlineSeconds: 0x10
  priority: -5
  containers:
  - name: a
    image:
    ports: [{containerPort: 8_080}]
    resources: {requests: {cpu: 0.25, memory: 1e6}}
...
---
null
---
{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "json-in-yaml"}}
---
%YAML 1.1
---
apiVersion: v1
kind: Namespace
metadata: {name: after-a-directive}
`))
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	if len(docs) != 3 || docs[0].Index != 0 || docs[1].Index != 1 || docs[0].Line != 5 || docs[2].Line != 31 {
		t.Fatalf("got %d documents, lines %d, %d", len(docs), docs[0].Line, docs[len(docs)-1].Line)
	}
	p := docs[0].Object.(*Pod)
	if !p.Spec.HostNetwork || *p.Spec.TerminationGracePeriodSeconds != 100 || *p.Spec.ActiveDeadlineSeconds != 16 ||
		*p.Spec.Priority != -5 || p.Spec.Containers[0].Ports[0].ContainerPort != 8080 || p.Annotations["note"] != "2024-01-02" {
		t.Errorf("got %+v", p.Spec)
	}
	req := p.Spec.Containers[0].Resources.Requests
	if req["cpu"].MilliValue() != 250 || req["memory"].Value() != 1_000_000 {
		t.Errorf("requests %v", req)
	}
	if p.APIVersion != "v1" || p.Kind != "Pod" {
		t.Errorf("type meta %+v", p.TypeMeta)
	}
}

func TestDecodeYAMLFlowStyle(t *testing.T) {
	obj := decodeOne(t, "{apiVersion: v1, kind: Namespace, metadata: {name: flow}}\n")
	if obj.GetObjectMeta().Name != "flow" {
		t.Errorf("got %+v", obj)
	}
}

func TestQuantitiesDecode(t *testing.T) {
	tests := []struct {
		yaml  string
		milli int64
		str   string
	}{
		{"1", 1000, "1"},
		{"0.5", 500, "0.5"},
		{"100m", 100, "100m"},
		{"'1.5'", 1500, "1.5"},
		{"64Mi", 64 << 20 * 1000, "64Mi"},
		{"1e3", 1_000_000, "1e3"},
		{"2k", 2_000_000, "2k"},
		{"0x10", 16_000, "16"},
		{"1_000", 1_000_000, "1000"},
	}
	for _, tt := range tests {
		t.Run(tt.yaml, func(t *testing.T) {
			obj := decodeOne(t, "apiVersion: v1\nkind: Node\nmetadata: {name: node1}\nstatus:\n  capacity:\n    cpu: "+tt.yaml+"\n")
			q := obj.(*Node).Status.Capacity["cpu"]
			if q.MilliValue() != tt.milli || q.String() != tt.str {
				t.Errorf("got %d %q, want %d %q", q.MilliValue(), q.String(), tt.milli, tt.str)
			}
		})
	}
}

func TestLineOf(t *testing.T) {
	docs, errs := DecodeManifest(readTestdata(t, "game-demo.yaml"))
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	d := docs[1]
	tests := []struct {
		path string
		line int
	}{
		{"", 19},
		{"spec", 23},
		{"spec.containers[0]", 25},
		{"spec.containers[0].image", 26},
		{"spec.containers[0].livenessProbe.httpGet", 25},
		{"spec.containers[0].env[1].valueFrom.configMapKeyRef.key", 40},
		{"spec.volumes[0].configMap.items[1].path", 56},
		{"spec.volumes[0].configMap.items[7].path", 52},
		{"metadata.labels[app.kubernetes.io/name]", 21},
		{"nosuch", 19},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if got := d.LineOf(tt.path); got != tt.line {
				t.Errorf("LineOf(%q) = %d, want %d", tt.path, got, tt.line)
			}
		})
	}
	cm := docs[0]
	if got := cm.LineOf("data[game.properties]"); got != 11 {
		t.Errorf("LineOf(data[game.properties]) = %d, want 11", got)
	}
}

func TestDecodeObject(t *testing.T) {
	obj, err := DecodeObject([]byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"x"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := obj.(*Pod); !ok || p.Spec.Containers[0].Image != "x" {
		t.Fatalf("got %#v", obj)
	}
	tests := []struct {
		name, body, want string
	}{
		{"unknown field", `{"apiVersion":"v1","kind":"Pod","spec":{"nodename":"n"}}`, `spec.nodename: unknown field (did you mean "nodeName"?)`},
		{"wrong type", `{"apiVersion":"v1","kind":"Pod","spec":{"priority":"high"}}`, `spec.priority: Invalid value: "high": expected an integer`},
		{"case matters", `{"apiVersion":"v1","kind":"Pod","Spec":{}}`, `Spec: unknown field (did you mean "spec"?)`},
		{"empty", ``, "Required value: no object: the body is empty"},
		{"two objects", `{"apiVersion":"v1","kind":"Pod"} {"apiVersion":"v1","kind":"Pod"}`, "expected one object, found 2 documents"},
		{"a list", `{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod"}]}`, "kind: Unsupported value: a List is not accepted here: send one object"},
		{"syntax", `{"apiVersion":`, "invalid JSON: unexpected end of input"},
		{"yaml body", "apiVersion: v1\nkind: Pod\nspec: 5\n", "spec: Invalid value: 5: expected a mapping (an object)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeObject([]byte(tt.body))
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("got %v, want an ErrorList", err)
			}
			if err.Error() != tt.want {
				t.Errorf("got  %q\nwant %q", err.Error(), tt.want)
			}
		})
	}
}

func TestManifestErrorFormat(t *testing.T) {
	e := &ManifestError{Source: "app.yaml", Doc: 1, Line: 14, Errs: ErrorList{
		{Path: "spec.replicas", Line: 19, Reason: FieldValueTypeInvalid, Msg: `Invalid value: "three": expected an integer`},
		{Path: "spec.template.spec.containers[0].image", Line: 25, Reason: FieldValueRequired, Msg: "Required value"},
	}}
	want := `app.yaml: document 2 (line 14): spec.replicas: Invalid value: "three": expected an integer (line 19)
app.yaml: document 2 (line 14): spec.template.spec.containers[0].image: Required value (line 25)`
	if e.Error() != want {
		t.Errorf("got\n%s\nwant\n%s", e.Error(), want)
	}
	var list ErrorList
	if !errors.As(e, &list) || len(list) != 2 {
		t.Errorf("errors.As found %v", list)
	}
}

func TestAliasBomb(t *testing.T) {
	manifest := `apiVersion: v1
kind: Pod
metadata: {name: bomb}
x:
  a: &a [s, s, s, s, s, s, s, s, s, s]
  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
  f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
  g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
  h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]
spec:
  containers:
  - name: a
    resources:
      limits: {cpu: *h}
`
	_, errs := DecodeManifest([]byte(manifest))
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "excessive aliasing") {
		t.Fatalf("got %v", errs)
	}
}

func TestDecodeNeverPanics(t *testing.T) {
	inputs := []string{
		"", "---", "--- |\n  text", "\x00", "[", "{", "{}", "[]", "null", "~", "!!binary x", "*a", "&a [*a]",
		"apiVersion: v1\nkind: Pod\nspec: &s {containers: [{name: a}]}\nstatus: *s\n",
		"apiVersion: v1\nkind: Pod\nspec:\n  <<: [{hostNetwork: true}, 5]\n",
		"apiVersion: v1\nkind: Pod\nmetadata: !!map {name: !!str 5}\n",
		"apiVersion: v1\nkind: Pod\nspec: {priority: .inf, activeDeadlineSeconds: -.nan}\n",
		"apiVersion: v1\nkind: Pod\nmetadata: {creationTimestamp: 9999-12-31T23:59:59-02:00}\n",
		"apiVersion: v1\nkind: List\nitems: 5\n", "apiVersion: v1\nkind: List\nitems: [5, null, {kind: List}]\n",
		"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":{\"containers\":[{\"resources\":{\"limits\":{\"cpu\":[1]}}}]}}",
		strings.Repeat("[", 20000), strings.Repeat("{\"a\":", 20000),
	}
	for _, in := range inputs {
		DecodeManifest([]byte(in))
		DecodeObject([]byte(in))
	}
}

// FuzzDecodeManifest checks that no input panics, and that whatever decodes re-encodes as JSON and
// decodes again to the same thing.
func FuzzDecodeManifest(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.*"))
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, _ := DecodeManifest(data)
		for _, d := range docs {
			first, err := json.Marshal(d.Object)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			again, err := DecodeObject(first)
			if err != nil {
				t.Fatalf("decode %s: %v", first, err)
			}
			second, _ := json.Marshal(again)
			if string(first) != string(second) {
				t.Fatalf("round trip changed the object:\n%s\n%s", first, second)
			}
			for _, fe := range Validate(d.Object) {
				d.LineOf(fe.Path)
			}
			SetDefaults(d.Object)
			once, _ := json.Marshal(d.Object)
			SetDefaults(d.Object)
			twice, _ := json.Marshal(d.Object)
			if string(once) != string(twice) {
				t.Fatalf("SetDefaults is not idempotent:\n%s\n%s", once, twice)
			}
			ValidateUpdate(d.Object, again)
		}
	})
}
