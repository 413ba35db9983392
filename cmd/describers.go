package cmd

import (
	"fmt"
	"sort"
	"strings"

	"github.com/wk-project/wk/control/api"
)

// describers write the kind-specific part of wk describe.
var describers = map[string]func(d *describer, obj api.Object){
	"Pod": func(d *describer, obj api.Object) {
		p := obj.(*api.Pod)
		d.line(0, "Node:", orNone(p.Spec.NodeName))
		d.line(0, "Status:", podStatus(p))
		d.line(0, "IP:", orNone(p.Status.PodIP))
		if p.Spec.RuntimeClassName != nil {
			d.line(0, "Runtime Class Name:", *p.Spec.RuntimeClassName)
		}
		d.text(0, "Containers:")
		for _, c := range p.Spec.Containers {
			describeContainer(d, c, containerStatus(p, c.Name))
		}
		if len(p.Status.Conditions) > 0 {
			d.text(0, "Conditions:")
			d.line(1, "Type", "Status")
			for _, c := range p.Status.Conditions {
				d.line(1, c.Type, c.Status)
			}
		}
		describeVolumes(d, p.Spec.Volumes)
		d.line(0, "Restart Policy:", p.Spec.RestartPolicy)
		d.mapLines(0, "Node-Selectors:", p.Spec.NodeSelector)
		d.line(0, "Tolerations:", orNone(tolerations(p.Spec.Tolerations)))
	},
	"Deployment": func(d *describer, obj api.Object) {
		dep := obj.(*api.Deployment)
		s := dep.Status
		d.line(0, "Selector:", api.FormatLabelSelector(dep.Spec.Selector))
		d.line(0, "Replicas:", fmt.Sprintf("%d desired | %d updated | %d total | %d available | %d unavailable",
			deref32(dep.Spec.Replicas), s.UpdatedReplicas, s.Replicas, s.AvailableReplicas, s.UnavailableReplicas))
		d.line(0, "StrategyType:", dep.Spec.Strategy.Type)
		d.line(0, "MinReadySeconds:", dep.Spec.MinReadySeconds)
		if ru := dep.Spec.Strategy.RollingUpdate; ru != nil && ru.MaxUnavailable != nil && ru.MaxSurge != nil {
			d.line(0, "RollingUpdateStrategy:", fmt.Sprintf("%s max unavailable, %s max surge", ru.MaxUnavailable, ru.MaxSurge))
		}
		describeTemplate(d, &dep.Spec.Template)
		if len(s.Conditions) > 0 {
			d.text(0, "Conditions:")
			d.line(1, "Type\tStatus", "Reason")
			for _, c := range s.Conditions {
				d.line(1, c.Type+"\t"+c.Status, c.Reason)
			}
		}
	},
	"ReplicaSet": func(d *describer, obj api.Object) {
		rs := obj.(*api.ReplicaSet)
		d.line(0, "Selector:", api.FormatLabelSelector(rs.Spec.Selector))
		d.line(0, "Replicas:", fmt.Sprintf("%d current / %d desired", rs.Status.Replicas, deref32(rs.Spec.Replicas)))
		d.line(0, "Pods Status:", fmt.Sprintf("%d Ready", rs.Status.ReadyReplicas))
		describeTemplate(d, &rs.Spec.Template)
	},
	"DaemonSet": func(d *describer, obj api.Object) {
		ds := obj.(*api.DaemonSet)
		d.line(0, "Selector:", api.FormatLabelSelector(ds.Spec.Selector))
		d.line(0, "Desired Number of Nodes Scheduled:", ds.Status.DesiredNumberScheduled)
		d.line(0, "Current Number of Nodes Scheduled:", ds.Status.CurrentNumberScheduled)
		d.line(0, "Number of Nodes Scheduled with Up-to-date Pods:", ds.Status.UpdatedNumberScheduled)
		d.line(0, "Number of Nodes Misscheduled:", ds.Status.NumberMisscheduled)
		describeTemplate(d, &ds.Spec.Template)
	},
	"Service": func(d *describer, obj api.Object) {
		s := obj.(*api.Service)
		d.line(0, "Selector:", orNone(joinMap(s.Spec.Selector)))
		d.line(0, "Type:", s.Spec.Type)
		d.line(0, "IP:", orNone(s.Spec.ClusterIP))
		if len(s.Spec.ClusterIPs) > 0 {
			d.line(0, "IPs:", strings.Join(s.Spec.ClusterIPs, ","))
		}
		for _, p := range s.Spec.Ports {
			name := orUnset(p.Name)
			d.line(0, "Port:", fmt.Sprintf("%s  %d/%s", name, p.Port, p.Protocol))
			d.line(0, "TargetPort:", fmt.Sprintf("%s/%s", p.TargetPort.String(), p.Protocol))
			if p.NodePort != 0 {
				d.line(0, "NodePort:", fmt.Sprintf("%s  %d/%s", name, p.NodePort, p.Protocol))
			}
		}
		d.line(0, "Session Affinity:", s.Spec.SessionAffinity)
		if s.Spec.ExternalTrafficPolicy != "" {
			d.line(0, "External Traffic Policy:", s.Spec.ExternalTrafficPolicy)
		}
	},
	"Ingress": func(d *describer, obj api.Object) {
		in := obj.(*api.Ingress)
		class := "<none>"
		if in.Spec.IngressClassName != nil {
			class = *in.Spec.IngressClassName
		}
		d.line(0, "Ingress Class:", class)
		if b := in.Spec.DefaultBackend; b != nil {
			d.line(0, "Default backend:", backendString(*b))
		} else {
			d.line(0, "Default backend:", "<default>")
		}
		d.text(0, "Rules:")
		d.line(1, "Host\tPath", "Backends")
		d.line(1, "----\t----", "--------")
		for _, r := range in.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for i, p := range r.HTTP.Paths {
				host := orStar(r.Host)
				if i > 0 {
					host = ""
				}
				d.line(1, host+"\t"+orSlash(p.Path), backendString(p.Backend))
			}
		}
	},
	"Node": func(d *describer, obj api.Object) {
		n := obj.(*api.Node)
		d.line(0, "Roles:", nodeRoles(n))
		d.line(0, "Taints:", orNone(taints(n.Spec.Taints)))
		d.line(0, "Unschedulable:", n.Spec.Unschedulable)
		d.text(0, "Conditions:")
		d.line(1, "Type\tStatus\tLastHeartbeatTime\tReason", "Message")
		for _, c := range n.Status.Conditions {
			d.line(1, fmt.Sprintf("%s\t%s\t%s\t%s", c.Type, c.Status, c.LastHeartbeatTime.Format("Mon, 02 Jan 2006 15:04:05 -0700"), c.Reason), c.Message)
		}
		d.text(0, "Addresses:")
		for _, a := range n.Status.Addresses {
			d.line(1, a.Type+":", a.Address)
		}
		describeResources(d, "Capacity:", n.Status.Capacity)
		describeResources(d, "Allocatable:", n.Status.Allocatable)
		d.text(0, "System Info:")
		info := n.Status.NodeInfo
		d.line(1, "Operating System:", info.OperatingSystem)
		d.line(1, "Architecture:", info.Architecture)
		d.line(1, "Container Runtime Version:", info.ContainerRuntimeVersion)
		d.line(1, "Agent Version:", info.KubeletVersion)
		d.line(0, "PodCIDR:", orNone(n.Spec.PodCIDR))
	},
	"ConfigMap": func(d *describer, obj api.Object) {
		cm := obj.(*api.ConfigMap)
		d.text(0, "")
		d.text(0, "Data")
		d.text(0, "====")
		for _, k := range sortedKeys(cm.Data) {
			d.text(0, k+":")
			d.text(0, "----")
			d.text(0, cm.Data[k])
			d.text(0, "")
		}
		d.text(0, "")
		d.text(0, "BinaryData")
		d.text(0, "====")
		for k, v := range cm.BinaryData {
			d.text(0, fmt.Sprintf("%s: %d bytes", k, len(v)))
		}
		d.text(0, "")
	},
	"Secret": func(d *describer, obj api.Object) {
		s := obj.(*api.Secret)
		d.text(0, "")
		d.line(0, "Type:", s.Type)
		d.text(0, "")
		d.text(0, "Data")
		d.text(0, "====")
		keys := make([]string, 0, len(s.Data))
		for k := range s.Data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			d.line(0, k+":", fmt.Sprintf("%d bytes", len(s.Data[k])))
		}
	},
	"Namespace": func(d *describer, obj api.Object) {
		d.line(0, "Status:", obj.(*api.Namespace).Status.Phase)
	},
}

func describeTemplate(d *describer, t *api.PodTemplateSpec) {
	d.text(0, "Pod Template:")
	d.mapLines(1, "Labels:", t.Labels)
	d.text(1, "Containers:")
	for _, c := range t.Spec.Containers {
		describeContainer(d, c, nil)
	}
	describeVolumes(d, t.Spec.Volumes)
}

func describeContainer(d *describer, c api.Container, cs *api.ContainerStatus) {
	d.text(1, c.Name+":")
	d.line(2, "Image:", c.Image)
	var ports []string
	for _, p := range c.Ports {
		ports = append(ports, fmt.Sprintf("%d/%s", p.ContainerPort, p.Protocol))
	}
	d.line(2, "Port:", orNone(strings.Join(ports, ", ")))
	if len(c.Command) > 0 {
		d.line(2, "Command:", strings.Join(c.Command, " "))
	}
	if len(c.Args) > 0 {
		d.line(2, "Args:", strings.Join(c.Args, " "))
	}
	if cs != nil {
		describeState(d, "State:", cs.State)
		if cs.LastState.Terminated != nil {
			describeState(d, "Last State:", cs.LastState)
		}
		d.line(2, "Ready:", cs.Ready)
		d.line(2, "Restart Count:", cs.RestartCount)
	}
	if len(c.Resources.Limits) > 0 {
		describeResourcesAt(d, 2, "Limits:", c.Resources.Limits)
	}
	if len(c.Resources.Requests) > 0 {
		describeResourcesAt(d, 2, "Requests:", c.Resources.Requests)
	}
	if len(c.Env) == 0 {
		d.line(2, "Environment:", "<none>")
	} else {
		d.text(2, "Environment:")
		for _, e := range c.Env {
			v := e.Value
			if e.ValueFrom != nil {
				v = "<set from another object>"
			}
			d.line(3, e.Name+":", v)
		}
	}
	if len(c.VolumeMounts) == 0 {
		d.line(2, "Mounts:", "<none>")
	} else {
		d.text(2, "Mounts:")
		for _, m := range c.VolumeMounts {
			mode := "rw"
			if m.ReadOnly {
				mode = "ro"
			}
			d.text(3, fmt.Sprintf("%s from %s (%s)", m.MountPath, m.Name, mode))
		}
	}
}

func describeState(d *describer, label string, s api.ContainerState) {
	switch {
	case s.Running != nil:
		d.line(2, label, "Running")
		d.line(3, "Started:", s.Running.StartedAt.Format("Mon, 02 Jan 2006 15:04:05 -0700"))
	case s.Waiting != nil:
		d.line(2, label, "Waiting")
		d.line(3, "Reason:", s.Waiting.Reason)
		if s.Waiting.Message != "" {
			d.line(3, "Message:", s.Waiting.Message)
		}
	case s.Terminated != nil:
		d.line(2, label, "Terminated")
		d.line(3, "Reason:", s.Terminated.Reason)
		d.line(3, "Exit Code:", s.Terminated.ExitCode)
	default:
		d.line(2, label, "Waiting")
	}
}

func describeVolumes(d *describer, vols []api.Volume) {
	if len(vols) == 0 {
		d.line(0, "Volumes:", "<none>")
		return
	}
	d.text(0, "Volumes:")
	for _, v := range vols {
		d.text(1, v.Name+":")
		switch {
		case v.EmptyDir != nil:
			d.line(2, "Type:", "EmptyDir (a temporary directory that shares a pod's lifetime)")
		case v.HostPath != nil:
			d.line(2, "Type:", "HostPath (bare host directory volume)")
			d.line(2, "Path:", v.HostPath.Path)
		case v.ConfigMap != nil:
			d.line(2, "Type:", "ConfigMap (a volume populated by a ConfigMap)")
			d.line(2, "Name:", v.ConfigMap.Name)
		case v.Secret != nil:
			d.line(2, "Type:", "Secret (a volume populated by a Secret)")
			d.line(2, "SecretName:", v.Secret.SecretName)
		}
	}
}

func describeResources(d *describer, label string, rl api.ResourceList) {
	describeResourcesAt(d, 0, label, rl)
}

func describeResourcesAt(d *describer, indent int, label string, rl api.ResourceList) {
	d.text(indent, label)
	keys := make([]string, 0, len(rl))
	for k := range rl {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		q := rl[k]
		d.line(indent+1, k+":", q.String())
	}
}

func containerStatus(p *api.Pod, name string) *api.ContainerStatus {
	for i := range p.Status.ContainerStatuses {
		if p.Status.ContainerStatuses[i].Name == name {
			return &p.Status.ContainerStatuses[i]
		}
	}
	return nil
}

func backendString(b api.IngressBackend) string {
	if b.Service == nil {
		return "<none>"
	}
	port := b.Service.Port.Name
	if port == "" {
		port = fmt.Sprint(b.Service.Port.Number)
	}
	return b.Service.Name + ":" + port
}

func tolerations(ts []api.Toleration) string {
	var parts []string
	for _, t := range ts {
		s := t.Key
		if t.Operator == "Equal" || t.Value != "" {
			s += "=" + t.Value
		}
		if t.Effect != "" {
			s += ":" + t.Effect
		}
		if t.Key == "" && t.Operator == "Exists" {
			s = "op=Exists"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

func taints(ts []api.Taint) string {
	var parts []string
	for _, t := range ts {
		s := t.Key
		if t.Value != "" {
			s += "=" + t.Value
		}
		parts = append(parts, s+":"+t.Effect)
	}
	return strings.Join(parts, ", ")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func orUnset(s string) string {
	if s == "" {
		return "<unset>"
	}
	return s
}

func orSlash(s string) string {
	if s == "" {
		return "/"
	}
	return s
}
