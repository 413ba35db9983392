package netproxy

import (
	"testing"
	"time"

	"github.com/wk-project/wk/control/api"
)

func routeTestPath(path, pathType, svc string, port any) api.HTTPIngressPath {
	p := api.HTTPIngressPath{Path: path, Backend: *routeTestBackend(svc, port)}
	if pathType != "" {
		p.PathType = &pathType
	}
	return p
}

func routeTestBackend(svc string, port any) *api.IngressBackend {
	b := &api.IngressServiceBackend{Name: svc}
	switch p := port.(type) {
	case int:
		b.Port.Number = int32(p)
	case string:
		b.Port.Name = p
	}
	return &api.IngressBackend{Service: b}
}

func routeTestRule(host string, paths ...api.HTTPIngressPath) api.IngressRule {
	return api.IngressRule{Host: host, HTTP: &api.HTTPIngressRuleValue{Paths: paths}}
}

func routeTestIngress(name string, age int, class string, def *api.IngressBackend, rules ...api.IngressRule) *api.Ingress {
	ing := &api.Ingress{Spec: api.IngressSpec{DefaultBackend: def, Rules: rules}}
	ing.Name, ing.Namespace = name, "default"
	ing.CreationTimestamp.Time = time.Unix(1_700_000_000, 0).Add(time.Duration(age) * time.Hour)
	if class != "" {
		ing.Spec.IngressClassName = &class
	}
	return ing
}

func TestIngressTableMatch(t *testing.T) {
	const (
		exact  = api.PathTypeExact
		prefix = api.PathTypePrefix
		impl   = api.PathTypeImplementationSpecific
	)
	table := buildIngressTable([]*api.Ingress{
		// Listed newest first: the order given must not matter.
		routeTestIngress("newer", 5, "", nil,
			routeTestRule("", routeTestPath("/api", prefix, "newer", 80))),
		routeTestIngress("main", 1, "wk", nil,
			routeTestRule("",
				routeTestPath("/", prefix, "root", 80),
				routeTestPath("/api", prefix, "api", "http"),
				routeTestPath("/api/exact", exact, "exact", 80),
				routeTestPath("/api/v2/", prefix, "v2", 80),
				routeTestPath("/static", impl, "static", 80)),
			routeTestRule("foo.example.com",
				routeTestPath("/", prefix, "foo", 80),
				routeTestPath("/login", exact, "login", 80)),
			routeTestRule("*.example.com",
				routeTestPath("/", prefix, "wild", 80),
				routeTestPath("/wapi", prefix, "wapi", 80))),
		routeTestIngress("nginx", 0, "nginx", routeTestBackend("nginx-default", 80),
			routeTestRule("", routeTestPath("/nginx", prefix, "nginx", 80))),
	})
	tests := []routeTestCase{
		{"", "/", "default/root:80"},
		{"any.test", "/anything/else", "default/root:80"},
		{"any.test", "", "default/root:80"},
		{"any.test", "/api", "default/api:http"},
		{"any.test", "/api/", "default/api:http"},
		{"any.test", "/api/users", "default/api:http"},
		{"any.test", "/apix", "default/root:80"},
		{"any.test", "/api/exact", "default/exact:80"},
		{"any.test", "/api/exact/", "default/api:http"},
		{"any.test", "/api/v2", "default/v2:80"},
		{"any.test", "/api/v2/users", "default/v2:80"},
		{"any.test", "/static/app.js", "default/static:80"},
		{"any.test", "/nginx", "default/root:80"},
		{"foo.example.com", "/", "default/foo:80"},
		{"FOO.example.com.:8080", "/login", "default/login:80"},
		{"foo.example.com", "/login/x", "default/foo:80"},
		{"foo.example.com", "/api", "default/foo:80"},
		{"bar.example.com", "/", "default/wild:80"},
		{"bar.example.com", "/wapi/1", "default/wapi:80"},
		{"a.bar.example.com", "/wapi", "default/root:80"},
		{"example.com", "/wapi", "default/root:80"},
		{"[::1]:80", "/api", "default/api:http"},
	}
	routeTestMatch(t, table, tests)
}

func TestIngressTableDefaultBackend(t *testing.T) {
	table := buildIngressTable([]*api.Ingress{
		routeTestIngress("young", 2, "", routeTestBackend("young-default", 80)),
		routeTestIngress("old", 1, "", routeTestBackend("old-default", "web"),
			routeTestRule("only.test", routeTestPath("/x", api.PathTypePrefix, "x", 80))),
		routeTestIngress("other", 0, "traefik", routeTestBackend("traefik-default", 80)),
	})
	tests := []routeTestCase{
		{"only.test", "/x/1", "default/x:80"},
		{"only.test", "/y", "default/old-default:web"},
		{"other.test", "/x", "default/old-default:web"},
	}
	routeTestMatch(t, table, tests)
}

func TestIngressTableNoMatch(t *testing.T) {
	tests := []struct {
		name       string
		ingresses  []*api.Ingress
		host, path string
	}{
		{"empty", nil, "a.test", "/"},
		{"other host", []*api.Ingress{routeTestIngress("a", 0, "",
			nil, routeTestRule("a.test", routeTestPath("/", api.PathTypePrefix, "a", 80)))}, "b.test", "/"},
		{"exact only", []*api.Ingress{routeTestIngress("a", 0, "",
			nil, routeTestRule("", routeTestPath("/a", api.PathTypeExact, "a", 80)))}, "a.test", "/a/b"},
		{"other class", []*api.Ingress{routeTestIngress("a", 0, "nginx",
			routeTestBackend("d", 80), routeTestRule("", routeTestPath("/", api.PathTypePrefix, "a", 80)))}, "a.test", "/"},
		{"resource backend", []*api.Ingress{routeTestIngress("a", 0, "",
			&api.IngressBackend{Resource: &api.TypedLocalObjectReference{Kind: "Bucket", Name: "b"}})}, "a.test", "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, ok := buildIngressTable(tt.ingresses).match(tt.host, tt.path); ok {
				t.Errorf("match(%q, %q) = %v; want no match", tt.host, tt.path, got)
			}
		})
	}
}

// routeTestCase is a request and the backend it should be routed to.
type routeTestCase struct {
	host, path string
	want       string
}

func routeTestMatch(t *testing.T, table *ingressTable, tests []routeTestCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.host+tt.path, func(t *testing.T) {
			got, ok := table.match(tt.host, tt.path)
			if !ok || got.String() != tt.want {
				t.Errorf("match(%q, %q) = %v, %v; want %s", tt.host, tt.path, got, ok, tt.want)
			}
		})
	}
}
