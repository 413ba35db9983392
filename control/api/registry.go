package api

import (
	"fmt"
	"sort"
	"strings"
)

// Kind describes one kind of object: its schema name, its REST resource and how to make one.
type Kind struct {
	Kind       string
	Resource   string // plural, lower case: "pods"
	Singular   string
	Group      string // "" for the core group
	Version    string
	Namespaced bool
	ShortNames []string
	New        func() Object
}

// APIVersion is the kind's apiVersion field: "v1" or "apps/v1".
func (k *Kind) APIVersion() string {
	if k.Group == "" {
		return k.Version
	}
	return k.Group + "/" + k.Version
}

// PathPrefix is the REST path up to the namespace: "/api/v1" or "/apis/apps/v1".
func (k *Kind) PathPrefix() string {
	if k.Group == "" {
		return "/api/" + k.Version
	}
	return "/apis/" + k.Group + "/" + k.Version
}

// Path is the REST path of the collection in ns, or of one object when name is set.
func (k *Kind) Path(ns, name string) string {
	p := k.PathPrefix()
	if k.Namespaced && ns != "" {
		p += "/namespaces/" + ns
	}
	p += "/" + k.Resource
	if name != "" {
		p += "/" + name
	}
	return p
}

// StoreKey is where an object lives in the store; StoreKey(ns, "") is the prefix of a collection
// (of every namespace when ns is also empty).
func (k *Kind) StoreKey(ns, name string) string {
	p := "/" + k.Resource + "/"
	if k.Namespaced && ns != "" {
		p += ns + "/"
	}
	return p + name
}

var kinds = []*Kind{
	{Kind: "Namespace", Resource: "namespaces", Version: "v1", ShortNames: []string{"ns"}, New: func() Object { return &Namespace{} }},
	{Kind: "Node", Resource: "nodes", Version: "v1", ShortNames: []string{"no"}, New: func() Object { return &Node{} }},
	{Kind: "Pod", Resource: "pods", Version: "v1", Namespaced: true, ShortNames: []string{"po"}, New: func() Object { return &Pod{} }},
	{Kind: "Service", Resource: "services", Version: "v1", Namespaced: true, ShortNames: []string{"svc"}, New: func() Object { return &Service{} }},
	{Kind: "Endpoints", Resource: "endpoints", Singular: "endpoints", Version: "v1", Namespaced: true, ShortNames: []string{"ep"}, New: func() Object { return &Endpoints{} }},
	{Kind: "ConfigMap", Resource: "configmaps", Version: "v1", Namespaced: true, ShortNames: []string{"cm"}, New: func() Object { return &ConfigMap{} }},
	{Kind: "Secret", Resource: "secrets", Version: "v1", Namespaced: true, ShortNames: []string{"secret"}, New: func() Object { return &Secret{} }},
	{Kind: "Event", Resource: "events", Version: "v1", Namespaced: true, ShortNames: []string{"ev"}, New: func() Object { return &Event{} }},
	{Kind: "Deployment", Resource: "deployments", Group: "apps", Version: "v1", Namespaced: true, ShortNames: []string{"deploy"}, New: func() Object { return &Deployment{} }},
	{Kind: "ReplicaSet", Resource: "replicasets", Group: "apps", Version: "v1", Namespaced: true, ShortNames: []string{"rs"}, New: func() Object { return &ReplicaSet{} }},
	{Kind: "DaemonSet", Resource: "daemonsets", Group: "apps", Version: "v1", Namespaced: true, ShortNames: []string{"ds"}, New: func() Object { return &DaemonSet{} }},
	{Kind: "Ingress", Resource: "ingresses", Group: "networking.k8s.io", Version: "v1", Namespaced: true, ShortNames: []string{"ing"}, New: func() Object { return &Ingress{} }},
}

func init() {
	for _, k := range kinds {
		if k.Singular == "" {
			k.Singular = strings.ToLower(k.Kind)
		}
	}
}

// Kinds lists every kind, in a stable order.
func Kinds() []*Kind { return kinds }

// KindFor finds a kind by apiVersion and kind, as written in a manifest.
func KindFor(apiVersion, kind string) (*Kind, error) {
	for _, k := range kinds {
		if k.Kind != kind {
			continue
		}
		if k.APIVersion() != apiVersion {
			return nil, fmt.Errorf("no kind %q in version %q (use apiVersion %q)", kind, apiVersion, k.APIVersion())
		}
		return k, nil
	}
	return nil, fmt.Errorf("no kind %q is known (known kinds: %s)", kind, strings.Join(kindNames(), ", "))
}

// KindOf returns the kind of an object by its Go type.
func KindOf(obj Object) *Kind {
	name := fmt.Sprintf("%T", obj)
	name = name[strings.LastIndex(name, ".")+1:]
	for _, k := range kinds {
		if k.Kind == name {
			return k
		}
	}
	return nil
}

// ResourceFor finds a kind by the name a user types: plural, singular, kind or short name, any case,
// optionally qualified by group ("deployments.apps").
func ResourceFor(name string) (*Kind, error) {
	n := strings.ToLower(name)
	if i := strings.Index(n, "."); i >= 0 {
		n = n[:i]
	}
	for _, k := range kinds {
		if n == k.Resource || n == k.Singular || n == strings.ToLower(k.Kind) {
			return k, nil
		}
		for _, s := range k.ShortNames {
			if n == s {
				return k, nil
			}
		}
	}
	return nil, fmt.Errorf("the server doesn't have a resource type %q", name)
}

func kindNames() []string {
	var names []string
	for _, k := range kinds {
		names = append(names, k.Kind)
	}
	sort.Strings(names)
	return names
}

// SetTypeMeta fills apiVersion and kind from the object's Go type.
func SetTypeMeta(obj Object) {
	if k := KindOf(obj); k != nil {
		tm := obj.GetTypeMeta()
		tm.APIVersion, tm.Kind = k.APIVersion(), k.Kind
	}
}
