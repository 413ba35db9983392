package cmd

import (
	"fmt"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wk-project/wk/control/api"
)

// columns are a kind's table: its headers, its wide-only headers, and a row function.
type columns struct {
	head []string
	wide []string
	row  func(obj api.Object, now time.Time) (cells, wide []string)
}

// tableFor returns the table of kind k; kinds without one get NAME and AGE.
func tableFor(k *api.Kind) columns {
	if c, ok := tables[k.Kind]; ok {
		return c
	}
	return columns{head: []string{"NAME", "AGE"}, row: func(o api.Object, now time.Time) ([]string, []string) {
		return []string{o.GetObjectMeta().Name, age(now, o.GetObjectMeta().CreationTimestamp)}, nil
	}}
}

var tables = map[string]columns{
	"Pod": {
		head: []string{"NAME", "READY", "STATUS", "RESTARTS", "AGE"},
		wide: []string{"IP", "NODE"},
		row: func(o api.Object, now time.Time) ([]string, []string) {
			p := o.(*api.Pod)
			ready, restarts := 0, int32(0)
			for _, cs := range p.Status.ContainerStatuses {
				if cs.Ready {
					ready++
				}
				restarts += cs.RestartCount
			}
			return []string{p.Name, fmt.Sprintf("%d/%d", ready, len(p.Spec.Containers)), podStatus(p), strconv.Itoa(int(restarts)), age(now, p.CreationTimestamp)},
				[]string{orNone(p.Status.PodIP), orNone(p.Spec.NodeName)}
		},
	},
	"Deployment": {
		head: []string{"NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"},
		wide: []string{"CONTAINERS", "IMAGES", "SELECTOR"},
		row: func(o api.Object, now time.Time) ([]string, []string) {
			d := o.(*api.Deployment)
			s := d.Status
			return []string{d.Name, fmt.Sprintf("%d/%d", s.ReadyReplicas, deref32(d.Spec.Replicas)), itoa(s.UpdatedReplicas), itoa(s.AvailableReplicas), age(now, d.CreationTimestamp)},
				templateWide(&d.Spec.Template.Spec, d.Spec.Selector)
		},
	},
	"ReplicaSet": {
		head: []string{"NAME", "DESIRED", "CURRENT", "READY", "AGE"},
		wide: []string{"CONTAINERS", "IMAGES", "SELECTOR"},
		row: func(o api.Object, now time.Time) ([]string, []string) {
			r := o.(*api.ReplicaSet)
			return []string{r.Name, itoa(deref32(r.Spec.Replicas)), itoa(r.Status.Replicas), itoa(r.Status.ReadyReplicas), age(now, r.CreationTimestamp)},
				templateWide(&r.Spec.Template.Spec, r.Spec.Selector)
		},
	},
	"DaemonSet": {
		head: []string{"NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE"},
		wide: []string{"CONTAINERS", "IMAGES", "SELECTOR"},
		row: func(o api.Object, now time.Time) ([]string, []string) {
			d := o.(*api.DaemonSet)
			s := d.Status
			return []string{d.Name, itoa(s.DesiredNumberScheduled), itoa(s.CurrentNumberScheduled), itoa(s.NumberReady), itoa(s.UpdatedNumberScheduled), itoa(s.NumberAvailable), orNone(joinMap(d.Spec.Template.Spec.NodeSelector)), age(now, d.CreationTimestamp)},
				templateWide(&d.Spec.Template.Spec, d.Spec.Selector)
		},
	},
	"Service": {
		head: []string{"NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"},
		wide: []string{"SELECTOR"},
		row: func(o api.Object, now time.Time) ([]string, []string) {
			s := o.(*api.Service)
			return []string{s.Name, s.Spec.Type, orNone(s.Spec.ClusterIP), serviceExternalIP(s), servicePorts(s), age(now, s.CreationTimestamp)},
				[]string{orNone(joinMap(s.Spec.Selector))}
		},
	},
	"Endpoints": {
		head: []string{"NAME", "ENDPOINTS", "AGE"},
		row: func(o api.Object, now time.Time) ([]string, []string) {
			e := o.(*api.Endpoints)
			return []string{e.Name, endpointsString(e), age(now, e.CreationTimestamp)}, nil
		},
	},
	"Ingress": {
		head: []string{"NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"},
		row: func(o api.Object, now time.Time) ([]string, []string) {
			in := o.(*api.Ingress)
			class := "<none>"
			if in.Spec.IngressClassName != nil {
				class = *in.Spec.IngressClassName
			}
			var hosts, addrs []string
			for _, r := range in.Spec.Rules {
				hosts = append(hosts, orStar(r.Host))
			}
			for _, a := range in.Status.LoadBalancer.Ingress {
				addrs = append(addrs, a.IP+a.Hostname)
			}
			ports := "80"
			if len(in.Spec.TLS) > 0 {
				ports = "80, 443"
			}
			return []string{in.Name, class, orStar(strings.Join(hosts, ",")), strings.Join(addrs, ","), ports, age(now, in.CreationTimestamp)}, nil
		},
	},
	"Node": {
		head: []string{"NAME", "STATUS", "ROLES", "AGE", "VERSION"},
		wide: []string{"INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"},
		row: func(o api.Object, now time.Time) ([]string, []string) {
			n := o.(*api.Node)
			var internal, external []string
			for _, a := range n.Status.Addresses {
				switch a.Type {
				case api.NodeInternalIP:
					internal = append(internal, a.Address)
				case "ExternalIP":
					external = append(external, a.Address)
				}
			}
			return []string{n.Name, nodeStatus(n), nodeRoles(n), age(now, n.CreationTimestamp), n.Status.NodeInfo.KubeletVersion},
				[]string{orNone(strings.Join(internal, ",")), orNone(strings.Join(external, ",")), orUnknown(n.Status.NodeInfo.OSImage), orUnknown(n.Status.NodeInfo.KernelVersion), orUnknown(n.Status.NodeInfo.ContainerRuntimeVersion)}
		},
	},
	"ConfigMap": {
		head: []string{"NAME", "DATA", "AGE"},
		row: func(o api.Object, now time.Time) ([]string, []string) {
			c := o.(*api.ConfigMap)
			return []string{c.Name, strconv.Itoa(len(c.Data) + len(c.BinaryData)), age(now, c.CreationTimestamp)}, nil
		},
	},
	"Secret": {
		head: []string{"NAME", "TYPE", "DATA", "AGE"},
		row: func(o api.Object, now time.Time) ([]string, []string) {
			s := o.(*api.Secret)
			return []string{s.Name, s.Type, strconv.Itoa(len(s.Data)), age(now, s.CreationTimestamp)}, nil
		},
	},
	"Namespace": {
		head: []string{"NAME", "STATUS", "AGE"},
		row: func(o api.Object, now time.Time) ([]string, []string) {
			n := o.(*api.Namespace)
			return []string{n.Name, n.Status.Phase, age(now, n.CreationTimestamp)}, nil
		},
	},
	"Event": {
		head: []string{"LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"},
		row: func(o api.Object, now time.Time) ([]string, []string) {
			e := o.(*api.Event)
			last := e.LastTimestamp
			if last.IsZero() {
				last = e.CreationTimestamp
			}
			obj := strings.ToLower(e.InvolvedObject.Kind) + "/" + e.InvolvedObject.Name
			return []string{age(now, last), e.Type, e.Reason, obj, strings.TrimSpace(e.Message)}, nil
		},
	},
}

func itoa(i int32) string { return strconv.Itoa(int(i)) }

func deref32(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}

func orStar(s string) string {
	if s == "" {
		return "*"
	}
	return s
}

func orUnknown(s string) string {
	if s == "" {
		return "<unknown>"
	}
	return s
}

// joinMap formats a map as k=v,k=v in key order.
func joinMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ",")
}

func templateWide(spec *api.PodSpec, sel *api.LabelSelector) []string {
	var names, images []string
	for _, c := range spec.Containers {
		names = append(names, c.Name)
		images = append(images, c.Image)
	}
	return []string{strings.Join(names, ","), strings.Join(images, ","), orNone(api.FormatLabelSelector(sel))}
}

func servicePorts(s *api.Service) string {
	var parts []string
	for _, p := range s.Spec.Ports {
		part := strconv.Itoa(int(p.Port))
		if p.NodePort != 0 {
			part += ":" + strconv.Itoa(int(p.NodePort))
		}
		parts = append(parts, part+"/"+p.Protocol)
	}
	return orNone(strings.Join(parts, ","))
}

// endpointsString is the ENDPOINTS column of kubectl get endpoints: the ready addresses with
// each port, at most three, then how many more.
func endpointsString(e *api.Endpoints) string {
	const max = 3
	var list []string
	count := 0
	add := func(s string) {
		count++
		if len(list) < max {
			list = append(list, s)
		}
	}
	for _, s := range e.Subsets {
		if len(s.Ports) == 0 {
			for _, a := range s.Addresses {
				add(a.IP)
			}
			continue
		}
		for _, p := range s.Ports {
			for _, a := range s.Addresses {
				add(net.JoinHostPort(a.IP, strconv.Itoa(int(p.Port))))
			}
		}
	}
	out := orNone(strings.Join(list, ","))
	if count > max {
		out += fmt.Sprintf(" + %d more...", count-max)
	}
	return out
}

// serviceExternalIP is the EXTERNAL-IP column of kubectl get services.
func serviceExternalIP(s *api.Service) string {
	switch s.Spec.Type {
	case api.ServiceTypeExternalName:
		return s.Spec.ExternalName
	case api.ServiceTypeLoadBalancer:
		ips := slices.Clone(s.Spec.ExternalIPs)
		for _, in := range s.Status.LoadBalancer.Ingress {
			ips = append(ips, in.IP+in.Hostname)
		}
		if len(ips) == 0 {
			return "<pending>"
		}
		return strings.Join(ips, ",")
	}
	return orNone(strings.Join(s.Spec.ExternalIPs, ","))
}

// podStatus is the STATUS column of kubectl get pods.
func podStatus(p *api.Pod) string {
	if p.DeletionTimestamp != nil {
		return "Terminating"
	}
	reason := p.Status.Phase
	if p.Status.Reason != "" {
		reason = p.Status.Reason
	}
	for i := len(p.Status.ContainerStatuses) - 1; i >= 0; i-- {
		cs := p.Status.ContainerStatuses[i]
		switch {
		case cs.State.Waiting != nil && cs.State.Waiting.Reason != "":
			reason = cs.State.Waiting.Reason
		case cs.State.Terminated != nil && cs.State.Terminated.Reason != "":
			reason = cs.State.Terminated.Reason
		case cs.State.Terminated != nil:
			reason = fmt.Sprintf("ExitCode:%d", cs.State.Terminated.ExitCode)
		}
	}
	if reason == "" {
		return api.PodPending
	}
	return reason
}

// nodeStatus is Ready or NotReady, with SchedulingDisabled when cordoned.
func nodeStatus(n *api.Node) string {
	s := "Unknown"
	if c := n.Condition(api.NodeReady); c != nil {
		s = "NotReady"
		if c.Status == api.ConditionTrue {
			s = "Ready"
		}
	}
	if n.Spec.Unschedulable {
		s += ",SchedulingDisabled"
	}
	return s
}

// nodeRoles lists the node-role.kubernetes.io/ROLE labels.
func nodeRoles(n *api.Node) string {
	var roles []string
	for k := range n.Labels {
		if r, ok := strings.CutPrefix(k, "node-role.kubernetes.io/"); ok && r != "" {
			roles = append(roles, r)
		}
	}
	sort.Strings(roles)
	return orNone(strings.Join(roles, ","))
}
