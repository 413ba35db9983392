package api

import (
	"net/netip"
	"strconv"
)

// maxConfigSize bounds the data of a ConfigMap or Secret, as in Kubernetes.
const maxConfigSize = 1 << 20

func validateConfigMap(cm *ConfigMap) ErrorList {
	var errs ErrorList
	size := 0
	for _, k := range sortedKeys(cm.Data) {
		errs = append(errs, invalidIf(pathKey("data", k), k, configKey(k))...)
		size += len(cm.Data[k])
	}
	for _, k := range sortedKeys(cm.BinaryData) {
		errs = append(errs, invalidIf(pathKey("binaryData", k), k, configKey(k))...)
		if _, dup := cm.Data[k]; dup {
			errs = append(errs, errInvalid(pathKey("binaryData", k), k, "duplicate of key present in `data`"))
		}
		size += len(cm.BinaryData[k])
	}
	if size > maxConfigSize {
		errs = append(errs, errTooLong("data", maxConfigSize))
	}
	return errs
}

func validateSecret(s *Secret) ErrorList {
	var errs ErrorList
	size := 0
	for _, k := range sortedKeys(s.Data) {
		errs = append(errs, invalidIf(pathKey("data", k), k, configKey(k))...)
		size += len(s.Data[k])
	}
	for _, k := range sortedKeys(s.StringData) {
		errs = append(errs, invalidIf(pathKey("stringData", k), k, configKey(k))...)
		if _, dup := s.Data[k]; !dup {
			size += len(s.StringData[k])
		}
	}
	if size > maxConfigSize {
		errs = append(errs, errTooLong("data", maxConfigSize))
	}
	has := func(k string) bool {
		_, inData := s.Data[k]
		_, inString := s.StringData[k]
		return inData || inString
	}
	var required []string
	switch s.Type {
	case "kubernetes.io/tls":
		required = []string{"tls.crt", "tls.key"}
	case "kubernetes.io/dockerconfigjson":
		required = []string{".dockerconfigjson"}
	case "kubernetes.io/basic-auth":
		if !has("username") && !has("password") {
			errs = append(errs, errRequired("data[username]", "a basic-auth secret needs `username` or `password`"))
		}
	}
	for _, k := range required {
		if !has(k) {
			errs = append(errs, errRequired(pathKey("data", k), ""))
		}
	}
	return errs
}

func validateNamespace(ns *Namespace) ErrorList {
	var errs ErrorList
	for i, f := range ns.Spec.Finalizers {
		errs = append(errs, invalidIf(pathIndex("spec.finalizers", i), f, qualifiedName(f))...)
	}
	return append(errs, oneOf("status.phase", ns.Status.Phase, "Active", "Terminating")...)
}

func validateNodeSpec(spec *NodeSpec, path string) ErrorList {
	var errs ErrorList
	seen := map[string]bool{}
	for i, t := range spec.Taints {
		p := pathIndex(pathChild(path, "taints"), i)
		if t.Key == "" {
			errs = append(errs, errRequired(pathChild(p, "key"), ""))
		} else {
			errs = append(errs, invalidIf(pathChild(p, "key"), t.Key, qualifiedName(t.Key))...)
		}
		errs = append(errs, invalidIf(pathChild(p, "value"), t.Value, labelValue(t.Value))...)
		if t.Effect == "" {
			errs = append(errs, errRequired(pathChild(p, "effect"), ""))
		} else {
			errs = append(errs, oneOf(pathChild(p, "effect"), t.Effect, TaintNoSchedule, TaintPreferNoSched, TaintNoExecute)...)
		}
		k := t.Key + ":" + t.Effect
		if seen[k] {
			errs = append(errs, errDuplicate(p, k))
		}
		seen[k] = true
	}
	if spec.PodCIDR != "" {
		errs = append(errs, validCIDR(pathChild(path, "podCIDR"), spec.PodCIDR)...)
	}
	for i, c := range spec.PodCIDRs {
		errs = append(errs, validCIDR(pathIndex(pathChild(path, "podCIDRs"), i), c)...)
	}
	return errs
}

func validCIDR(path, s string) ErrorList {
	if _, err := netip.ParsePrefix(s); err != nil {
		return ErrorList{errInvalid(path, s, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)")}
	}
	return nil
}

func validateEvent(ev *Event) ErrorList {
	var errs ErrorList
	errs = append(errs, oneOf("type", ev.Type, EventNormal, EventWarning)...)
	if ev.Count < 0 {
		errs = append(errs, errInvalid("count", rawValue(strconv.Itoa(int(ev.Count))), "must be greater than or equal to 0"))
	}
	if ns := ev.InvolvedObject.Namespace; ns != "" && ev.Namespace != "" && ns != ev.Namespace {
		errs = append(errs, errInvalid("involvedObject.namespace", ns, "does not match event.namespace"))
	}
	return errs
}
