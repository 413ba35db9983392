package api

import (
	"strconv"
	"strings"
)

// validatePodSpec checks a pod spec at path ("spec", or "spec.template.spec" in a template, where
// restartPolicy must be Always).
func validatePodSpec(spec *PodSpec, path string, template bool) ErrorList {
	volumes, errs := validateVolumes(spec.Volumes, pathChild(path, "volumes"))
	if len(spec.Containers) == 0 {
		errs = append(errs, errRequired(pathChild(path, "containers"), ""))
	}
	names := map[string]bool{}
	hostPorts := map[string]bool{}
	for i := range spec.InitContainers {
		p := pathIndex(pathChild(path, "initContainers"), i)
		errs = append(errs, validateContainer(&spec.InitContainers[i], p, volumes, names, true)...)
	}
	for i := range spec.Containers {
		p := pathIndex(pathChild(path, "containers"), i)
		c := &spec.Containers[i]
		errs = append(errs, validateContainer(c, p, volumes, names, false)...)
		errs = append(errs, validateHostPorts(c, p, spec.HostNetwork, hostPorts)...)
	}
	if template {
		if spec.RestartPolicy != "" && spec.RestartPolicy != RestartAlways {
			errs = append(errs, errNotSupported(pathChild(path, "restartPolicy"), spec.RestartPolicy, RestartAlways))
		}
	} else {
		errs = append(errs, oneOf(pathChild(path, "restartPolicy"), spec.RestartPolicy, RestartAlways, RestartOnFailure, RestartNever)...)
	}
	errs = append(errs, oneOf(pathChild(path, "dnsPolicy"), spec.DNSPolicy, "ClusterFirst", "ClusterFirstWithHostNet", "Default", "None")...)
	if t := spec.TerminationGracePeriodSeconds; t != nil {
		errs = append(errs, nonNegative(pathChild(path, "terminationGracePeriodSeconds"), *t)...)
	}
	if a := spec.ActiveDeadlineSeconds; a != nil && *a < 1 {
		errs = append(errs, errInvalid(pathChild(path, "activeDeadlineSeconds"), rawValue(strconv.FormatInt(*a, 10)), "must be greater than or equal to 1"))
	}
	errs = append(errs, validateLabels(spec.NodeSelector, pathChild(path, "nodeSelector"))...)
	for _, f := range []struct {
		name, v string
		check   func(string) []string
	}{
		{"serviceAccountName", spec.ServiceAccountName, dns1123Subdomain},
		{"nodeName", spec.NodeName, dns1123Subdomain},
		{"hostname", spec.Hostname, dns1123Label},
		{"subdomain", spec.Subdomain, dns1123Label},
		{"schedulerName", spec.SchedulerName, dns1123Subdomain},
		{"priorityClassName", spec.PriorityClassName, dns1123Subdomain},
	} {
		if f.v != "" {
			errs = append(errs, invalidIf(pathChild(path, f.name), f.v, f.check(f.v))...)
		}
	}
	if rc := spec.RuntimeClassName; rc != nil && *rc != "wasm" && *rc != "runc" {
		errs = append(errs, errNotSupported(pathChild(path, "runtimeClassName"), *rc, "runc", "wasm"))
	}
	errs = append(errs, validateTolerations(spec.Tolerations, pathChild(path, "tolerations"))...)
	if spec.Affinity != nil && spec.Affinity.NodeAffinity != nil {
		errs = append(errs, validateNodeAffinity(spec.Affinity.NodeAffinity, pathChild(pathChild(path, "affinity"), "nodeAffinity"))...)
	}
	errs = append(errs, validateSecurityContext(spec.SecurityContext, pathChild(path, "securityContext"))...)
	return errs
}

func validateContainer(c *Container, path string, volumes, names map[string]bool, init bool) ErrorList {
	var errs ErrorList
	namePath := pathChild(path, "name")
	switch {
	case c.Name == "":
		errs = append(errs, errRequired(namePath, ""))
	case names[c.Name]:
		errs = append(errs, errDuplicate(namePath, c.Name))
	default:
		errs = append(errs, invalidIf(namePath, c.Name, dns1123Label(c.Name))...)
	}
	names[c.Name] = true
	switch {
	case c.Image == "":
		errs = append(errs, errRequired(pathChild(path, "image"), ""))
	case strings.TrimSpace(c.Image) != c.Image:
		errs = append(errs, errInvalid(pathChild(path, "image"), c.Image, "must not have leading or trailing whitespace"))
	}
	errs = append(errs, validateContainerPorts(c.Ports, pathChild(path, "ports"))...)
	errs = append(errs, validateEnv(c.Env, pathChild(path, "env"))...)
	errs = append(errs, validateEnvFrom(c.EnvFrom, pathChild(path, "envFrom"))...)
	errs = append(errs, validateResources(&c.Resources, pathChild(path, "resources"))...)
	errs = append(errs, validateVolumeMounts(c.VolumeMounts, pathChild(path, "volumeMounts"), volumes)...)
	for _, p := range []struct {
		name  string
		probe *Probe
	}{{"livenessProbe", c.LivenessProbe}, {"readinessProbe", c.ReadinessProbe}, {"startupProbe", c.StartupProbe}} {
		switch {
		case p.probe == nil:
		case init:
			errs = append(errs, errForbidden(pathChild(path, p.name), "may not be set for init containers"))
		default:
			errs = append(errs, validateProbe(p.probe, pathChild(path, p.name), p.name != "readinessProbe")...)
		}
	}
	errs = append(errs, oneOf(pathChild(path, "imagePullPolicy"), c.ImagePullPolicy, "Always", "IfNotPresent", "Never")...)
	errs = append(errs, oneOf(pathChild(path, "terminationMessagePolicy"), c.TerminationMessagePolicy, "File", "FallbackToLogsOnError")...)
	errs = append(errs, validateSecurityContext(c.SecurityContext, pathChild(path, "securityContext"))...)
	return errs
}

func validateContainerPorts(ports []ContainerPort, path string) ErrorList {
	var errs ErrorList
	names := map[string]bool{}
	for i, p := range ports {
		pp := pathIndex(path, i)
		if p.Name != "" {
			np := pathChild(pp, "name")
			if names[p.Name] {
				errs = append(errs, errDuplicate(np, p.Name))
			} else {
				errs = append(errs, invalidIf(np, p.Name, portName(p.Name))...)
			}
			names[p.Name] = true
		}
		if p.ContainerPort == 0 {
			errs = append(errs, errRequired(pathChild(pp, "containerPort"), ""))
		} else {
			errs = append(errs, portRange(pathChild(pp, "containerPort"), p.ContainerPort)...)
		}
		if p.HostPort != 0 {
			errs = append(errs, portRange(pathChild(pp, "hostPort"), p.HostPort)...)
		}
		errs = append(errs, oneOf(pathChild(pp, "protocol"), p.Protocol, ProtocolTCP, ProtocolUDP, ProtocolSCTP)...)
		if p.HostIP != "" && !validIP(p.HostIP) {
			errs = append(errs, errInvalid(pathChild(pp, "hostIP"), p.HostIP, "must be a valid IP address"))
		}
	}
	return errs
}

// validateHostPorts rejects a host port taken twice in the pod, and with hostNetwork a host port
// other than the container port.
func validateHostPorts(c *Container, path string, hostNetwork bool, seen map[string]bool) ErrorList {
	var errs ErrorList
	for i, p := range c.Ports {
		pp := pathChild(pathIndex(pathChild(path, "ports"), i), "hostPort")
		if hostNetwork && p.HostPort != 0 && p.HostPort != p.ContainerPort {
			errs = append(errs, errInvalid(pp, rawValue(strconv.Itoa(int(p.HostPort))), "must match `containerPort` when `hostNetwork` is true"))
		}
		port := p.HostPort
		if hostNetwork {
			port = p.ContainerPort
		}
		if port == 0 {
			continue
		}
		proto := p.Protocol
		if proto == "" {
			proto = ProtocolTCP
		}
		k := strconv.Itoa(int(port)) + "/" + proto
		if seen[k] {
			errs = append(errs, errDuplicate(pp, k))
		}
		seen[k] = true
	}
	return errs
}

var envFieldPaths = []string{"metadata.name", "metadata.namespace", "metadata.uid", "metadata.labels", "metadata.annotations",
	"spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"}

func validateEnv(env []EnvVar, path string) ErrorList {
	var errs ErrorList
	for i, e := range env {
		p := pathIndex(path, i)
		if e.Name == "" {
			errs = append(errs, errRequired(pathChild(p, "name"), ""))
		} else {
			errs = append(errs, invalidIf(pathChild(p, "name"), e.Name, envVarName(e.Name))...)
		}
		if e.ValueFrom == nil {
			continue
		}
		vp := pathChild(p, "valueFrom")
		if e.Value != "" {
			errs = append(errs, errInvalid(vp, "", "may not be specified when `value` is not empty"))
		}
		errs = append(errs, validateEnvSource(e.ValueFrom, vp)...)
	}
	return errs
}

func validateEnvSource(s *EnvVarSource, path string) ErrorList {
	var errs ErrorList
	n := 0
	if f := s.FieldRef; f != nil {
		n++
		fp := pathChild(pathChild(path, "fieldRef"), "fieldPath")
		switch {
		case f.FieldPath == "":
			errs = append(errs, errRequired(fp, ""))
		case !supportedEnvField(f.FieldPath):
			errs = append(errs, errNotSupported(fp, f.FieldPath, envFieldPaths...))
		}
	}
	for _, ref := range []struct {
		name string
		sel  *KeySelector
	}{{"configMapKeyRef", s.ConfigMapKeyRef}, {"secretKeyRef", s.SecretKeyRef}} {
		if ref.sel == nil {
			continue
		}
		n++
		rp := pathChild(path, ref.name)
		if ref.sel.Name == "" {
			errs = append(errs, errRequired(pathChild(rp, "name"), ""))
		} else {
			errs = append(errs, invalidIf(pathChild(rp, "name"), ref.sel.Name, dns1123Subdomain(ref.sel.Name))...)
		}
		if ref.sel.Key == "" {
			errs = append(errs, errRequired(pathChild(rp, "key"), ""))
		} else {
			errs = append(errs, invalidIf(pathChild(rp, "key"), ref.sel.Key, configKey(ref.sel.Key))...)
		}
	}
	switch {
	case n == 0:
		errs = append(errs, errInvalid(path, "", "must specify one of: `fieldRef`, `configMapKeyRef` or `secretKeyRef`"))
	case n > 1:
		errs = append(errs, errInvalid(path, "", "may not have more than one field specified at a time"))
	}
	return errs
}

// supportedEnvField accepts the downward API's fields, and single labels or annotations
// ("metadata.labels['app']").
func supportedEnvField(f string) bool {
	for _, s := range envFieldPaths {
		if f == s {
			return true
		}
	}
	for _, prefix := range []string{"metadata.labels['", "metadata.annotations['"} {
		if rest, ok := strings.CutPrefix(f, prefix); ok {
			k, ok := strings.CutSuffix(rest, "']")
			return ok && qualifiedName(k) == nil
		}
	}
	return false
}

func validateEnvFrom(sources []EnvFromSource, path string) ErrorList {
	var errs ErrorList
	for i, s := range sources {
		p := pathIndex(path, i)
		if s.Prefix != "" {
			errs = append(errs, invalidIf(pathChild(p, "prefix"), s.Prefix, envVarName(s.Prefix))...)
		}
		n := 0
		for _, ref := range []struct {
			name string
			obj  *LocalObjectName
		}{{"configMapRef", s.ConfigMapRef}, {"secretRef", s.SecretRef}} {
			if ref.obj == nil {
				continue
			}
			n++
			np := pathChild(pathChild(p, ref.name), "name")
			if ref.obj.Name == "" {
				errs = append(errs, errRequired(np, ""))
			} else {
				errs = append(errs, invalidIf(np, ref.obj.Name, dns1123Subdomain(ref.obj.Name))...)
			}
		}
		switch {
		case n == 0:
			errs = append(errs, errInvalid(p, "", "must specify one of: `configMapRef` or `secretRef`"))
		case n > 1:
			errs = append(errs, errInvalid(p, "", "may not have more than one field specified at a time"))
		}
	}
	return errs
}

var standardResources = map[string]bool{"cpu": true, "memory": true, "ephemeral-storage": true, "storage": true, "pods": true}

// validResourceName accepts the standard resources, hugepages-<size> and qualified extended ones.
func validResourceName(name string) bool {
	if standardResources[name] {
		return true
	}
	if size, ok := strings.CutPrefix(name, "hugepages-"); ok {
		_, err := ParseQuantity(size)
		return err == nil
	}
	return strings.Contains(name, "/") && qualifiedName(name) == nil
}

func validateResources(r *ResourceRequirements, path string) ErrorList {
	var errs ErrorList
	for _, list := range []struct {
		name string
		rl   ResourceList
	}{{"limits", r.Limits}, {"requests", r.Requests}} {
		for _, name := range sortedKeys(list.rl) {
			p := pathKey(pathChild(path, list.name), name)
			q := list.rl[name]
			if !validResourceName(name) {
				errs = append(errs, errInvalid(p, name, "must be a standard resource type or fully qualified"))
			}
			if q.MilliValue() < 0 {
				errs = append(errs, errInvalid(p, q.String(), "must be greater than or equal to 0"))
			}
		}
	}
	for _, name := range sortedKeys(r.Requests) {
		req := r.Requests[name]
		if limit, ok := r.Limits[name]; ok && req.MilliValue() > limit.MilliValue() {
			errs = append(errs, errInvalid(pathKey(pathChild(path, "requests"), name), req.String(),
				"must be less than or equal to "+name+" limit of "+limit.String()))
		}
	}
	return errs
}

func validateVolumes(volumes []Volume, path string) (map[string]bool, ErrorList) {
	var errs ErrorList
	names := map[string]bool{}
	for i := range volumes {
		v := &volumes[i]
		p := pathIndex(path, i)
		np := pathChild(p, "name")
		switch {
		case v.Name == "":
			errs = append(errs, errRequired(np, ""))
		case names[v.Name]:
			errs = append(errs, errDuplicate(np, v.Name))
		default:
			errs = append(errs, invalidIf(np, v.Name, dns1123Label(v.Name))...)
		}
		names[v.Name] = true
		errs = append(errs, validateVolumeSource(v, p)...)
	}
	return names, errs
}

func validateVolumeSource(v *Volume, path string) ErrorList {
	var errs ErrorList
	var types []string
	if e := v.EmptyDir; e != nil {
		types = append(types, "emptyDir")
		p := pathChild(path, "emptyDir")
		errs = append(errs, oneOf(pathChild(p, "medium"), e.Medium, "Memory")...)
		if e.SizeLimit != nil && e.SizeLimit.MilliValue() < 0 {
			errs = append(errs, errInvalid(pathChild(p, "sizeLimit"), e.SizeLimit.String(), "must be greater than or equal to 0"))
		}
	}
	if h := v.HostPath; h != nil {
		types = append(types, "hostPath")
		p := pathChild(path, "hostPath")
		if h.Path == "" {
			errs = append(errs, errRequired(pathChild(p, "path"), ""))
		} else if hasDotDot(h.Path) {
			errs = append(errs, errInvalid(pathChild(p, "path"), h.Path, "must not contain '..'"))
		}
		errs = append(errs, oneOf(pathChild(p, "type"), h.Type, "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice")...)
	}
	if c := v.ConfigMap; c != nil {
		types = append(types, "configMap")
		p := pathChild(path, "configMap")
		if c.Name == "" {
			errs = append(errs, errRequired(pathChild(p, "name"), ""))
		} else {
			errs = append(errs, invalidIf(pathChild(p, "name"), c.Name, dns1123Subdomain(c.Name))...)
		}
		errs = append(errs, validateKeyToPaths(c.Items, c.DefaultMode, p)...)
	}
	if s := v.Secret; s != nil {
		types = append(types, "secret")
		p := pathChild(path, "secret")
		if s.SecretName == "" {
			errs = append(errs, errRequired(pathChild(p, "secretName"), ""))
		} else {
			errs = append(errs, invalidIf(pathChild(p, "secretName"), s.SecretName, dns1123Subdomain(s.SecretName))...)
		}
		errs = append(errs, validateKeyToPaths(s.Items, s.DefaultMode, p)...)
	}
	switch {
	case len(types) == 0:
		errs = append(errs, errRequired(path, "must specify a volume type"))
	case len(types) > 1:
		errs = append(errs, errForbidden(pathChild(path, types[1]), "may not specify more than 1 volume type"))
	}
	return errs
}

func validateKeyToPaths(items []KeyToPath, defaultMode *int32, path string) ErrorList {
	var errs ErrorList
	errs = append(errs, validateMode(defaultMode, pathChild(path, "defaultMode"))...)
	for i, it := range items {
		p := pathIndex(pathChild(path, "items"), i)
		if it.Key == "" {
			errs = append(errs, errRequired(pathChild(p, "key"), ""))
		}
		errs = append(errs, validateRelativePath(it.Path, pathChild(p, "path"))...)
		errs = append(errs, validateMode(it.Mode, pathChild(p, "mode"))...)
	}
	return errs
}

func validateMode(mode *int32, path string) ErrorList {
	if mode != nil && (*mode < 0 || *mode > 0o777) {
		return ErrorList{errInvalid(path, rawValue(strconv.Itoa(int(*mode))), "must be a number between 0 and 0777 (octal), both inclusive")}
	}
	return nil
}

func validateRelativePath(p, path string) ErrorList {
	switch {
	case p == "":
		return ErrorList{errRequired(path, "")}
	case strings.HasPrefix(p, "/"):
		return ErrorList{errInvalid(path, p, "must be a relative path")}
	case hasDotDot(p):
		return ErrorList{errInvalid(path, p, "must not contain '..'")}
	}
	return nil
}

func hasDotDot(p string) bool {
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return true
		}
	}
	return false
}

func validateVolumeMounts(mounts []VolumeMount, path string, volumes map[string]bool) ErrorList {
	var errs ErrorList
	paths := map[string]bool{}
	for i, m := range mounts {
		p := pathIndex(path, i)
		switch {
		case m.Name == "":
			errs = append(errs, errRequired(pathChild(p, "name"), ""))
		case !volumes[m.Name]:
			errs = append(errs, errNotFound(pathChild(p, "name"), m.Name))
		}
		mp := pathChild(p, "mountPath")
		switch {
		case m.MountPath == "":
			errs = append(errs, errRequired(mp, ""))
		case paths[m.MountPath]:
			errs = append(errs, errInvalid(mp, m.MountPath, "must be unique"))
		}
		paths[m.MountPath] = true
		if m.SubPath != "" {
			if strings.HasPrefix(m.SubPath, "/") {
				errs = append(errs, errInvalid(pathChild(p, "subPath"), m.SubPath, "must be a relative path"))
			} else if hasDotDot(m.SubPath) {
				errs = append(errs, errInvalid(pathChild(p, "subPath"), m.SubPath, "must not contain '..'"))
			}
		}
	}
	return errs
}

// validateProbe checks a probe; liveness and startup probes must have successThreshold 1.
func validateProbe(p *Probe, path string, mustSucceedOnce bool) ErrorList {
	var errs ErrorList
	var handlers []string
	if e := p.Exec; e != nil {
		handlers = append(handlers, "exec")
		if len(e.Command) == 0 {
			errs = append(errs, errRequired(pathChild(pathChild(path, "exec"), "command"), ""))
		}
	}
	if h := p.HTTPGet; h != nil {
		handlers = append(handlers, "httpGet")
		hp := pathChild(path, "httpGet")
		errs = append(errs, portNumOrName(pathChild(hp, "port"), h.Port)...)
		errs = append(errs, oneOf(pathChild(hp, "scheme"), h.Scheme, "HTTP", "HTTPS")...)
		for i, hdr := range h.HTTPHeaders {
			if hdr.Name == "" {
				errs = append(errs, errRequired(pathChild(pathIndex(pathChild(hp, "httpHeaders"), i), "name"), ""))
			}
		}
	}
	if t := p.TCPSocket; t != nil {
		handlers = append(handlers, "tcpSocket")
		errs = append(errs, portNumOrName(pathChild(pathChild(path, "tcpSocket"), "port"), t.Port)...)
	}
	switch {
	case len(handlers) == 0:
		errs = append(errs, errRequired(path, "must specify a handler type"))
	case len(handlers) > 1:
		errs = append(errs, errForbidden(pathChild(path, handlers[1]), "may not specify more than 1 handler type"))
	}
	for _, f := range []struct {
		name string
		v    int32
	}{{"initialDelaySeconds", p.InitialDelaySeconds}, {"timeoutSeconds", p.TimeoutSeconds}, {"periodSeconds", p.PeriodSeconds},
		{"successThreshold", p.SuccessThreshold}, {"failureThreshold", p.FailureThreshold}} {
		errs = append(errs, nonNegative(pathChild(path, f.name), int64(f.v))...)
	}
	if mustSucceedOnce && p.SuccessThreshold > 1 {
		errs = append(errs, errInvalid(pathChild(path, "successThreshold"), rawValue(strconv.Itoa(int(p.SuccessThreshold))), "must be 1"))
	}
	if t := p.TerminationGracePeriodSeconds; t != nil && *t < 1 {
		errs = append(errs, errInvalid(pathChild(path, "terminationGracePeriodSeconds"), rawValue(strconv.FormatInt(*t, 10)), "must be greater than 0"))
	}
	return errs
}

func validateSecurityContext(sc *SecurityContext, path string) ErrorList {
	if sc == nil {
		return nil
	}
	var errs ErrorList
	for _, f := range []struct {
		name string
		v    *int64
	}{{"runAsUser", sc.RunAsUser}, {"runAsGroup", sc.RunAsGroup}, {"fsGroup", sc.FSGroup}} {
		if f.v != nil && (*f.v < 0 || *f.v > 2147483647) {
			errs = append(errs, errInvalid(pathChild(path, f.name), rawValue(strconv.FormatInt(*f.v, 10)), "must be between 0 and 2147483647, inclusive"))
		}
	}
	return errs
}

func validateTolerations(tols []Toleration, path string) ErrorList {
	var errs ErrorList
	for i, t := range tols {
		p := pathIndex(path, i)
		if t.Key != "" {
			errs = append(errs, invalidIf(pathChild(p, "key"), t.Key, qualifiedName(t.Key))...)
		} else if t.Operator != "Exists" {
			errs = append(errs, errInvalid(pathChild(p, "operator"), t.Operator, "operator must be Exists when `key` is empty, which means \"match all values and all keys\""))
		}
		switch t.Operator {
		case "", "Equal":
			errs = append(errs, invalidIf(pathChild(p, "value"), t.Value, labelValue(t.Value))...)
		case "Exists":
			if t.Value != "" {
				errs = append(errs, errInvalid(pathChild(p, "operator"), t.Value, "value must be empty when `operator` is 'Exists'"))
			}
		default:
			errs = append(errs, errNotSupported(pathChild(p, "operator"), t.Operator, "Equal", "Exists"))
		}
		errs = append(errs, oneOf(pathChild(p, "effect"), t.Effect, TaintNoSchedule, TaintPreferNoSched, TaintNoExecute)...)
		if t.TolerationSeconds != nil && t.Effect != TaintNoExecute {
			errs = append(errs, errInvalid(pathChild(p, "effect"), t.Effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"))
		}
	}
	return errs
}

func validateNodeAffinity(na *NodeAffinity, path string) ErrorList {
	var errs ErrorList
	if req := na.RequiredDuringSchedulingIgnoredDuringExecution; req != nil {
		p := pathChild(pathChild(path, "requiredDuringSchedulingIgnoredDuringExecution"), "nodeSelectorTerms")
		if len(req.NodeSelectorTerms) == 0 {
			errs = append(errs, errRequired(p, "must have at least one node selector term"))
		}
		for i := range req.NodeSelectorTerms {
			errs = append(errs, validateNodeSelectorTerm(&req.NodeSelectorTerms[i], pathIndex(p, i))...)
		}
	}
	for i, pref := range na.PreferredDuringSchedulingIgnoredDuringExecution {
		p := pathIndex(pathChild(path, "preferredDuringSchedulingIgnoredDuringExecution"), i)
		if pref.Weight < 1 || pref.Weight > 100 {
			errs = append(errs, errInvalid(pathChild(p, "weight"), rawValue(strconv.Itoa(int(pref.Weight))), "must be in the range 1-100"))
		}
		errs = append(errs, validateNodeSelectorTerm(&pref.Preference, pathChild(p, "preference"))...)
	}
	return errs
}

func validateNodeSelectorTerm(term *NodeSelectorTerm, path string) ErrorList {
	var errs ErrorList
	for i, r := range term.MatchExpressions {
		p := pathIndex(pathChild(path, "matchExpressions"), i)
		errs = append(errs, invalidIf(pathChild(p, "key"), r.Key, qualifiedName(r.Key))...)
		errs = append(errs, validateOperator(p, r.Operator, r.Values, "In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")...)
	}
	for i, r := range term.MatchFields {
		p := pathIndex(pathChild(path, "matchFields"), i)
		if r.Key != "metadata.name" {
			errs = append(errs, errNotSupported(pathChild(p, "key"), r.Key, "metadata.name"))
		}
		switch {
		case r.Operator != "In" && r.Operator != "NotIn":
			errs = append(errs, errNotSupported(pathChild(p, "operator"), r.Operator, "In", "NotIn"))
		case len(r.Values) != 1:
			errs = append(errs, errRequired(pathChild(p, "values"), "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"))
		}
	}
	return errs
}
