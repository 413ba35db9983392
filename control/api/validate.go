package api

import (
	"reflect"
	"slices"
	"strings"
)

// Validate checks an object against Kubernetes' rules and returns every problem with its field
// path. It accepts objects with or without defaults: a field SetDefaults fills in may be empty.
func Validate(obj Object) ErrorList {
	if isNil(obj) {
		return ErrorList{errRequired("", "no object")}
	}
	k := KindOf(obj)
	if k == nil {
		return ErrorList{errNotSupported("kind", obj.GetTypeMeta().Kind)}
	}
	errs := validateTypeMeta(obj.GetTypeMeta(), k)
	errs = append(errs, validateObjectMeta(obj.GetObjectMeta(), k, "metadata")...)
	switch o := obj.(type) {
	case *Pod:
		errs = append(errs, validatePodSpec(&o.Spec, "spec", false)...)
	case *Deployment:
		errs = append(errs, validateDeploymentSpec(&o.Spec, "spec")...)
	case *ReplicaSet:
		errs = append(errs, validateReplicaSetSpec(&o.Spec, "spec")...)
	case *DaemonSet:
		errs = append(errs, validateDaemonSetSpec(&o.Spec, "spec")...)
	case *Service:
		errs = append(errs, validateServiceSpec(&o.Spec, "spec")...)
	case *Endpoints:
		errs = append(errs, validateEndpoints(o)...)
	case *Ingress:
		errs = append(errs, validateIngressSpec(&o.Spec, "spec")...)
	case *ConfigMap:
		errs = append(errs, validateConfigMap(o)...)
	case *Secret:
		errs = append(errs, validateSecret(o)...)
	case *Namespace:
		errs = append(errs, validateNamespace(o)...)
	case *Node:
		errs = append(errs, validateNodeSpec(&o.Spec, "spec")...)
	case *Event:
		errs = append(errs, validateEvent(o)...)
	}
	return errs
}

// ValidateUpdate validates newObj and checks that it changes nothing immutable in oldObj: name,
// namespace and uid; the selector of a Deployment, ReplicaSet or DaemonSet; a Service's clusterIP
// once set (carry the old one over when the new object leaves it empty, as Kubernetes does); the
// data of a ConfigMap or Secret marked immutable.
func ValidateUpdate(newObj, oldObj Object) ErrorList {
	errs := Validate(newObj)
	if isNil(newObj) || isNil(oldObj) {
		return errs
	}
	if reflect.TypeOf(newObj) != reflect.TypeOf(oldObj) {
		return append(errs, errInvalid("kind", newObj.GetTypeMeta().Kind, "may not change the kind of an object"))
	}
	nm, om := newObj.GetObjectMeta(), oldObj.GetObjectMeta()
	errs = append(errs, immutable("metadata.name", nm.Name, om.Name)...)
	errs = append(errs, immutable("metadata.namespace", nm.Namespace, om.Namespace)...)
	if nm.UID != "" && om.UID != "" {
		errs = append(errs, immutable("metadata.uid", nm.UID, om.UID)...)
	}
	switch o := newObj.(type) {
	case *Deployment:
		errs = append(errs, immutableSelector(o.Spec.Selector, oldObj.(*Deployment).Spec.Selector)...)
	case *ReplicaSet:
		errs = append(errs, immutableSelector(o.Spec.Selector, oldObj.(*ReplicaSet).Spec.Selector)...)
	case *DaemonSet:
		errs = append(errs, immutableSelector(o.Spec.Selector, oldObj.(*DaemonSet).Spec.Selector)...)
	case *Service:
		errs = append(errs, validateServiceUpdate(o, oldObj.(*Service))...)
	case *ConfigMap:
		old := oldObj.(*ConfigMap)
		if isTrue(old.Immutable) {
			errs = append(errs, immutableData(o.Immutable, sameMap(o.Data, old.Data) && sameMap(o.BinaryData, old.BinaryData), "data")...)
		}
	case *Secret:
		old := oldObj.(*Secret)
		if isTrue(old.Immutable) {
			errs = append(errs, immutableData(o.Immutable, sameMap(o.Data, old.Data) && sameMap(o.StringData, old.StringData), "data")...)
		}
	}
	return errs
}

func immutable(path, newV, oldV string) ErrorList {
	if newV != oldV {
		return ErrorList{errInvalid(path, newV, "field is immutable")}
	}
	return nil
}

func isNil(obj Object) bool {
	if obj == nil {
		return true
	}
	v := reflect.ValueOf(obj)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

func immutableSelector(newSel, oldSel *LabelSelector) ErrorList {
	if !sameSelector(newSel, oldSel) {
		return ErrorList{errInvalid("spec.selector", rawValue(FormatLabelSelector(newSel)), "field is immutable")}
	}
	return nil
}

// sameSelector compares selectors with nil lists and maps equal to empty ones.
func sameSelector(a, b *LabelSelector) bool {
	if a == nil || b == nil {
		return a == b
	}
	if !sameMap(a.MatchLabels, b.MatchLabels) || len(a.MatchExpressions) != len(b.MatchExpressions) {
		return false
	}
	for i, ra := range a.MatchExpressions {
		rb := b.MatchExpressions[i]
		if ra.Key != rb.Key || ra.Operator != rb.Operator || !slices.Equal(ra.Values, rb.Values) {
			return false
		}
	}
	return true
}

func immutableData(newImmutable *bool, same bool, path string) ErrorList {
	var errs ErrorList
	if !isTrue(newImmutable) {
		errs = append(errs, errForbidden("immutable", "field is immutable when `immutable` is set"))
	}
	if !same {
		errs = append(errs, errForbidden(path, "field is immutable when `immutable` is set"))
	}
	return errs
}

func isTrue(b *bool) bool { return b != nil && *b }

// sameMap compares maps with nil equal to empty.
func sameMap[V any](a, b map[string]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, va := range a {
		vb, ok := b[k]
		if !ok || !reflect.DeepEqual(va, vb) {
			return false
		}
	}
	return true
}

func validateTypeMeta(tm *TypeMeta, k *Kind) ErrorList {
	var errs ErrorList
	if tm.Kind != "" && tm.Kind != k.Kind {
		errs = append(errs, errInvalid("kind", tm.Kind, "must be "+k.Kind))
	}
	if tm.APIVersion != "" && tm.APIVersion != k.APIVersion() {
		errs = append(errs, errInvalid("apiVersion", tm.APIVersion, "must be "+k.APIVersion()+" for kind "+k.Kind))
	}
	return errs
}

// nameCheck is how a kind's objects must be named.
func nameCheck(k *Kind) func(string) []string {
	switch k.Kind {
	case "Namespace":
		return dns1123Label
	case "Service":
		return dns1035Label
	}
	return dns1123Subdomain
}

func validateObjectMeta(m *ObjectMeta, k *Kind, path string) ErrorList {
	var errs ErrorList
	check := nameCheck(k)
	switch {
	case m.Name != "":
		errs = append(errs, invalidIf(pathChild(path, "name"), m.Name, check(m.Name))...)
	case m.GenerateName == "":
		errs = append(errs, errRequired(pathChild(path, "name"), "name or generateName is required"))
	}
	if m.GenerateName != "" {
		// a prefix may end in "-": the generated suffix follows it
		masked := strings.TrimSuffix(m.GenerateName, "-") + "a"
		errs = append(errs, invalidIf(pathChild(path, "generateName"), m.GenerateName, check(masked))...)
	}
	if k.Namespaced {
		if m.Namespace != "" {
			errs = append(errs, invalidIf(pathChild(path, "namespace"), m.Namespace, dns1123Label(m.Namespace))...)
		}
	} else if m.Namespace != "" {
		errs = append(errs, errForbidden(pathChild(path, "namespace"), "not allowed on this type"))
	}
	errs = append(errs, nonNegative(pathChild(path, "generation"), m.Generation)...)
	errs = append(errs, validateLabels(m.Labels, pathChild(path, "labels"))...)
	errs = append(errs, validateAnnotations(m.Annotations, pathChild(path, "annotations"))...)
	errs = append(errs, validateOwnerReferences(m.OwnerReferences, pathChild(path, "ownerReferences"))...)
	for i, f := range m.Finalizers {
		errs = append(errs, invalidIf(pathIndex(pathChild(path, "finalizers"), i), f, qualifiedName(f))...)
	}
	return errs
}

// validateTemplateMeta checks a pod template's metadata: labels and annotations; names are made.
func validateTemplateMeta(m *ObjectMeta, path string) ErrorList {
	errs := validateLabels(m.Labels, pathChild(path, "labels"))
	return append(errs, validateAnnotations(m.Annotations, pathChild(path, "annotations"))...)
}

func validateLabels(labels map[string]string, path string) ErrorList {
	var errs ErrorList
	for _, k := range sortedKeys(labels) {
		errs = append(errs, invalidIf(pathKey(path, k), k, qualifiedName(k))...)
		errs = append(errs, invalidIf(pathKey(path, k), labels[k], labelValue(labels[k]))...)
	}
	return errs
}

const maxAnnotationsSize = 256 * 1024

func validateAnnotations(annotations map[string]string, path string) ErrorList {
	var errs ErrorList
	size := 0
	for _, k := range sortedKeys(annotations) {
		errs = append(errs, invalidIf(pathKey(path, k), k, qualifiedName(strings.ToLower(k)))...)
		size += len(k) + len(annotations[k])
	}
	if size > maxAnnotationsSize {
		errs = append(errs, errTooLong(path, maxAnnotationsSize))
	}
	return errs
}

func validateOwnerReferences(refs []OwnerReference, path string) ErrorList {
	var errs ErrorList
	controllers := 0
	for i, r := range refs {
		p := pathIndex(path, i)
		for _, f := range []struct{ name, v string }{{"apiVersion", r.APIVersion}, {"kind", r.Kind}, {"name", r.Name}, {"uid", r.UID}} {
			if f.v == "" {
				errs = append(errs, errRequired(pathChild(p, f.name), ""))
			}
		}
		if isTrue(r.Controller) {
			controllers++
			if controllers > 1 {
				errs = append(errs, errInvalid(pathChild(p, "controller"), rawValue("true"), "only one reference can have Controller set to true"))
			}
		}
	}
	return errs
}

// validateLabelSelector checks a selector's keys, values and operators: a bad label selector.
func validateLabelSelector(ls *LabelSelector, path string) ErrorList {
	if ls == nil {
		return nil
	}
	errs := validateLabels(ls.MatchLabels, pathChild(path, "matchLabels"))
	for i, r := range ls.MatchExpressions {
		p := pathIndex(pathChild(path, "matchExpressions"), i)
		errs = append(errs, invalidIf(pathChild(p, "key"), r.Key, qualifiedName(r.Key))...)
		errs = append(errs, validateOperator(p, r.Operator, r.Values, "In", "NotIn", "Exists", "DoesNotExist")...)
		for j, v := range r.Values {
			errs = append(errs, invalidIf(pathIndex(pathChild(p, "values"), j), v, labelValue(v))...)
		}
	}
	return errs
}

// validateOperator checks a selector operator and the number of values it takes.
func validateOperator(path, op string, values []string, supported ...string) ErrorList {
	switch op {
	case "In", "NotIn":
		if len(values) == 0 {
			return ErrorList{errRequired(pathChild(path, "values"), "must be specified when `operator` is 'In' or 'NotIn'")}
		}
	case "Exists", "DoesNotExist":
		if len(values) > 0 {
			return ErrorList{errForbidden(pathChild(path, "values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'")}
		}
	case "Gt", "Lt":
		if len(values) != 1 {
			return ErrorList{errRequired(pathChild(path, "values"), "must be specified single value when `operator` is 'Lt' or 'Gt'")}
		}
		if !isInteger(values[0]) {
			return ErrorList{errInvalid(pathIndex(pathChild(path, "values"), 0), values[0], "must be an integer when `operator` is 'Lt' or 'Gt'")}
		}
	default:
		return ErrorList{errNotSupported(pathChild(path, "operator"), op, supported...)}
	}
	for _, s := range supported {
		if s == op {
			return nil
		}
	}
	return ErrorList{errNotSupported(pathChild(path, "operator"), op, supported...)}
}

func isInteger(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '-' || s[0] == '+' {
		s = s[1:]
	}
	return s != "" && strings.Trim(s, "0123456789") == ""
}
