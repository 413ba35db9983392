package netproxy

import (
	"cmp"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/wk-project/wk/control/api"
)

// IngressClassName is the ingressClassName wk serves. Ingresses naming another class are left to
// other controllers; Ingresses naming none are served too.
const IngressClassName = "wk"

// ingressPath is one path of one rule, ready to match.
type ingressPath struct {
	exact   bool
	path    string   // as written, for Exact
	elems   []string // the path's elements, for Prefix
	length  int      // specificity: the length of the matched path
	backend serviceTarget
}

// ingressTable is an immutable routing snapshot built from every Ingress wk serves.
type ingressTable struct {
	exactHosts    map[string][]ingressPath // host -> paths, most specific first
	wildcardHosts map[string][]ingressPath // parent domain ("example.com" for "*.example.com") -> paths
	anyHost       []ingressPath
	defaultBack   *serviceTarget
}

// buildIngressTable merges the rules of every Ingress of class "wk" (or none). On equal host, path
// and path type the oldest Ingress wins (then namespace/name), as ingress-nginx does; the default
// backend is the oldest Ingress's spec.defaultBackend.
func buildIngressTable(ingresses []*api.Ingress) *ingressTable {
	ings := slices.Clone(ingresses)
	ings = slices.DeleteFunc(ings, func(ing *api.Ingress) bool { return ing == nil || !servesIngressClass(ing) })
	slices.SortStableFunc(ings, func(a, b *api.Ingress) int {
		if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	t := &ingressTable{exactHosts: map[string][]ingressPath{}, wildcardHosts: map[string][]ingressPath{}}
	for _, ing := range ings {
		if t.defaultBack == nil && ing.Spec.DefaultBackend != nil {
			if b, ok := toIngressBackend(ing.Namespace, ing.Spec.DefaultBackend); ok {
				t.defaultBack = &b
			}
		}
		for _, rule := range ing.Spec.Rules {
			if rule.HTTP == nil {
				continue
			}
			for _, p := range rule.HTTP.Paths {
				ip, ok := toIngressPath(ing.Namespace, p)
				if !ok {
					continue
				}
				host := strings.ToLower(rule.Host)
				switch {
				case host == "":
					t.anyHost = append(t.anyHost, ip)
				case strings.HasPrefix(host, "*."):
					t.wildcardHosts[host[2:]] = append(t.wildcardHosts[host[2:]], ip)
				default:
					t.exactHosts[host] = append(t.exactHosts[host], ip)
				}
			}
		}
	}
	sortIngressPaths(t.anyHost)
	for _, ps := range t.exactHosts {
		sortIngressPaths(ps)
	}
	for _, ps := range t.wildcardHosts {
		sortIngressPaths(ps)
	}
	return t
}

func servesIngressClass(ing *api.Ingress) bool {
	c := ing.Spec.IngressClassName
	return c == nil || *c == "" || *c == IngressClassName
}

// toIngressBackend keeps Service backends; resource backends are not supported.
func toIngressBackend(namespace string, b *api.IngressBackend) (serviceTarget, bool) {
	if b == nil || b.Service == nil || b.Service.Name == "" {
		return serviceTarget{}, false
	}
	port := b.Service.Port.Name
	if b.Service.Port.Number != 0 {
		port = strconv.Itoa(int(b.Service.Port.Number))
	}
	if port == "" {
		return serviceTarget{}, false
	}
	return serviceTarget{namespace: namespace, name: b.Service.Name, port: port}, true
}

// toIngressPath reads one path: Exact matches the path as written, Prefix and
// ImplementationSpecific match by path elements, an empty path is "/".
func toIngressPath(namespace string, p api.HTTPIngressPath) (ingressPath, bool) {
	b, ok := toIngressBackend(namespace, &p.Backend)
	if !ok {
		return ingressPath{}, false
	}
	path := p.Path
	if path == "" {
		path = "/"
	}
	if p.PathType != nil && *p.PathType == api.PathTypeExact {
		return ingressPath{exact: true, path: path, length: len(path), backend: b}, true
	}
	elems := ingressPathElements(path)
	return ingressPath{elems: elems, length: len("/" + strings.Join(elems, "/")), backend: b}, true
}

// sortIngressPaths puts the longest paths first and, on equal length, Exact before Prefix; the
// sort is stable so that older Ingresses win ties.
func sortIngressPaths(ps []ingressPath) {
	slices.SortStableFunc(ps, func(a, b ingressPath) int {
		if a.length != b.length {
			return cmp.Compare(b.length, a.length)
		}
		switch {
		case a.exact && !b.exact:
			return -1
		case !a.exact && b.exact:
			return 1
		}
		return 0
	})
}

// ingressPathElements splits a path into its non-empty elements: "/a//b/" is [a b].
func ingressPathElements(p string) []string {
	return strings.FieldsFunc(p, func(r rune) bool { return r == '/' })
}

// match finds the backend of a request: the rules of the exact host first, then of the wildcard
// host, then the rules without a host, each by longest path; then the default backend.
func (t *ingressTable) match(host, path string) (serviceTarget, bool) {
	host = normalizeIngressHost(host)
	if path == "" {
		path = "/"
	}
	elems := ingressPathElements(path)
	if b, ok := matchIngressPaths(t.exactHosts[host], path, elems); ok {
		return b, true
	}
	if _, parent, ok := strings.Cut(host, "."); ok {
		if b, ok := matchIngressPaths(t.wildcardHosts[parent], path, elems); ok {
			return b, true
		}
	}
	if b, ok := matchIngressPaths(t.anyHost, path, elems); ok {
		return b, true
	}
	if t.defaultBack != nil {
		return *t.defaultBack, true
	}
	return serviceTarget{}, false
}

func matchIngressPaths(ps []ingressPath, path string, elems []string) (serviceTarget, bool) {
	for _, p := range ps {
		if p.exact && p.path == path {
			return p.backend, true
		}
		if !p.exact && len(p.elems) <= len(elems) && slices.Equal(p.elems, elems[:len(p.elems)]) {
			return p.backend, true
		}
	}
	return serviceTarget{}, false
}

// normalizeIngressHost drops the port, IPv6 brackets, a trailing dot, and lowers the case.
func normalizeIngressHost(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return strings.ToLower(strings.TrimSuffix(host, "."))
}
