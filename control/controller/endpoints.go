package controller

import (
	"context"
	"fmt"
	"net/netip"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/wk-project/wk/control/api"
)

// endpointsController keeps, for every Service with a selector, an Endpoints object of the same
// namespace and name that lists the pods the selector matches: the ready ones in addresses, the
// others in notReadyAddresses, grouped in subsets by the ports they serve. As in Kubernetes the
// Endpoints has no owner reference: it is deleted by name with its Service. A Service without a
// selector is left alone, so that its Endpoints can be written by hand.
type endpointsController struct {
	*loop
	c         Client
	pods      *Informer
	services  *Informer
	endpoints *Informer
}

func newEndpointsController(m *Manager) *endpointsController {
	e := &endpointsController{c: m.c, pods: m.pods, services: m.services, endpoints: m.endpoints}
	e.loop = newLoop("endpoints", m.log, e.sync)
	m.services.AddHandler(func(old, cur api.Object) { e.enqueue(either(old, cur)) })
	m.pods.AddHandler(e.podChanged)
	m.endpoints.AddHandler(func(old, cur api.Object) {
		// Someone else's change to an Endpoints this controller keeps is undone.
		if key := keyOf(either(old, cur)); e.services.GetKey(key) != nil {
			e.queue.Add(key)
		}
	})
	return e
}

// podChanged queues the Services whose selector matched the pod before or matches it now.
func (e *endpointsController) podChanged(old, cur api.Object) {
	o, _ := old.(*api.Pod)
	p, _ := cur.(*api.Pod)
	for _, s := range e.services.List(either(old, cur).GetObjectMeta().Namespace) {
		svc := s.(*api.Service)
		if len(svc.Spec.Selector) == 0 {
			continue
		}
		sel := api.SelectorFromSet(svc.Spec.Selector)
		if o != nil && sel.Matches(o.Labels) || p != nil && sel.Matches(p.Labels) {
			e.enqueue(svc)
		}
	}
}

func (e *endpointsController) sync(ctx context.Context, key string) error {
	ns, name := splitKey(key)
	cur, _ := e.endpoints.GetKey(key).(*api.Endpoints)
	obj := e.services.GetKey(key)
	if obj == nil {
		if cur == nil {
			return nil
		}
		return e.delete(ctx, cur)
	}
	svc := obj.(*api.Service)
	if len(svc.Spec.Selector) == 0 {
		return nil
	}
	sel := api.SelectorFromSet(svc.Spec.Selector)
	var pods []*api.Pod
	for _, o := range e.pods.List(ns) {
		if p := o.(*api.Pod); sel.Matches(p.Labels) {
			pods = append(pods, p)
		}
	}
	want := &api.Endpoints{
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: ns, Labels: endpointsLabels(svc)},
		Subsets:    endpointSubsets(svc, pods),
	}
	if cur == nil {
		return e.create(ctx, want)
	}
	if reflect.DeepEqual(cur.Subsets, want.Subsets) && reflect.DeepEqual(cur.Labels, want.Labels) {
		return nil
	}
	next := deepCopy(cur)
	next.Labels, next.Subsets = want.Labels, want.Subsets
	return e.update(ctx, next)
}

func (e *endpointsController) create(ctx context.Context, ep *api.Endpoints) error {
	out, err := e.c.Create(ctx, ep)
	if api.IsAlreadyExists(err) {
		// Written by hand, or not in the cache yet: read it and update it.
		got, gerr := e.c.Get(ctx, endpointsKind, ep.Namespace, ep.Name)
		if gerr != nil {
			return fmt.Errorf("get endpoints %s: %w", ep.Name, gerr)
		}
		next := got.(*api.Endpoints)
		next.Labels, next.Subsets = ep.Labels, ep.Subsets
		return e.update(ctx, next)
	}
	if err != nil {
		return fmt.Errorf("create endpoints %s: %w", ep.Name, err)
	}
	e.endpoints.Observe(out)
	return nil
}

func (e *endpointsController) update(ctx context.Context, ep *api.Endpoints) error {
	out, err := e.c.Update(ctx, ep)
	if err != nil {
		return fmt.Errorf("update endpoints %s: %w", ep.Name, err)
	}
	e.endpoints.Observe(out)
	return nil
}

func (e *endpointsController) delete(ctx context.Context, ep *api.Endpoints) error {
	out, err := e.c.Delete(ctx, endpointsKind, ep.Namespace, ep.Name, nil)
	switch {
	case api.IsNotFound(err):
		e.endpoints.ObserveDelete(ep)
		return nil
	case err != nil:
		return fmt.Errorf("delete endpoints %s of a deleted service: %w", ep.Name, err)
	}
	e.endpoints.ObserveDelete(out)
	return nil
}

// endpointsLabels are the Service's labels, plus service.kubernetes.io/headless on a headless
// Service's, as Kubernetes writes them.
func endpointsLabels(svc *api.Service) map[string]string {
	labels := copyMap(svc.Labels)
	if svc.Spec.ClusterIP == "None" {
		if labels == nil {
			labels = map[string]string{}
		}
		labels["service.kubernetes.io/headless"] = ""
	}
	if len(labels) == 0 {
		return nil
	}
	return labels
}

// endpointSubsets is the subsets of svc's Endpoints given the pods its selector matches. A pod
// counts when it has an IP and is not terminating or finished; it serves each service port whose
// targetPort it resolves (a number, or the name of one of its container ports). Pods serving the
// same ports share a subset, so pods that give a named port different numbers land in different
// subsets. Subsets are sorted by their ports, addresses by IP then pod name.
func endpointSubsets(svc *api.Service, pods []*api.Pod) []api.EndpointSubset {
	byPorts := map[string]*api.EndpointSubset{}
	var keys []string
	for _, p := range pods {
		if p.Status.PodIP == "" || !isPodActive(p) {
			continue
		}
		ports, ok := podEndpointPorts(svc, p)
		if !ok {
			continue
		}
		key := portsKey(ports)
		sub := byPorts[key]
		if sub == nil {
			sub = &api.EndpointSubset{Ports: ports}
			byPorts[key] = sub
			keys = append(keys, key)
		}
		addr := endpointAddress(p)
		if isPodReady(p) {
			sub.Addresses = append(sub.Addresses, addr)
		} else {
			sub.NotReadyAddresses = append(sub.NotReadyAddresses, addr)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	sort.Strings(keys)
	out := make([]api.EndpointSubset, len(keys))
	for i, k := range keys {
		s := byPorts[k]
		sortAddresses(s.Addresses)
		sortAddresses(s.NotReadyAddresses)
		out[i] = *s
	}
	return out
}

// podEndpointPorts resolves svc's ports on p. ok is false when p serves none of them; a Service
// without ports (headless) lists its pods without ports.
func podEndpointPorts(svc *api.Service, p *api.Pod) (ports []api.EndpointPort, ok bool) {
	if len(svc.Spec.Ports) == 0 {
		return nil, true
	}
	for _, sp := range svc.Spec.Ports {
		n, found := resolveTargetPort(sp, p)
		if !found {
			continue
		}
		ports = append(ports, api.EndpointPort{Name: sp.Name, Port: n, Protocol: sp.Protocol, AppProtocol: sp.AppProtocol})
	}
	return ports, len(ports) > 0
}

// resolveTargetPort is the pod port a service port forwards to: targetPort as a number, or the
// container port of that name and protocol; the service port itself when targetPort is unset.
func resolveTargetPort(sp api.ServicePort, p *api.Pod) (int32, bool) {
	tp := sp.TargetPort
	switch {
	case tp.IsZero():
		return sp.Port, true
	case !tp.IsString:
		return tp.IntVal, true
	}
	proto := sp.Protocol
	if proto == "" {
		proto = api.ProtocolTCP
	}
	for _, c := range p.Spec.Containers {
		for _, cp := range c.Ports {
			cproto := cp.Protocol
			if cproto == "" {
				cproto = api.ProtocolTCP
			}
			if cp.Name == tp.StrVal && cproto == proto {
				return cp.ContainerPort, true
			}
		}
	}
	if n, err := strconv.Atoi(tp.StrVal); err == nil {
		return int32(n), true // a number written as a string
	}
	return 0, false
}

func endpointAddress(p *api.Pod) api.EndpointAddress {
	a := api.EndpointAddress{
		IP:        p.Status.PodIP,
		TargetRef: &api.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID},
	}
	if p.Spec.NodeName != "" {
		node := p.Spec.NodeName
		a.NodeName = &node
	}
	return a
}

func portsKey(ports []api.EndpointPort) string {
	parts := make([]string, len(ports))
	for i, p := range ports {
		parts[i] = fmt.Sprintf("%s=%d/%s", p.Name, p.Port, p.Protocol)
	}
	return strings.Join(parts, ",")
}

func sortAddresses(addrs []api.EndpointAddress) {
	sort.Slice(addrs, func(i, j int) bool {
		if c := compareIPs(addrs[i].IP, addrs[j].IP); c != 0 {
			return c < 0
		}
		return addrs[i].TargetRef.Name < addrs[j].TargetRef.Name
	})
}

// compareIPs orders addresses numerically, anything unparsable after them as text.
func compareIPs(a, b string) int {
	x, errx := netip.ParseAddr(a)
	y, erry := netip.ParseAddr(b)
	if errx == nil && erry == nil {
		return x.Compare(y)
	}
	return strings.Compare(a, b)
}
