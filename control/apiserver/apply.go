package apiserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/store"
)

// LastAppliedAnnotation keeps the manifest of the last apply, as kubectl does, so that a later apply
// can tell the labels and annotations it set from those others set.
const LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// ApplyResultHeader tells the client what an apply did: created, configured or unchanged.
const ApplyResultHeader = "Wk-Apply-Result"

// apply is create-or-update by name (PATCH with a whole manifest). The manifest replaces what the
// object declares; the server keeps status, identity, and the fields the cluster fills in (a pod's
// node, a service's cluster IP and node ports, replicas the manifest never set).
func (s *Server) apply(w http.ResponseWriter, r *http.Request, t target) error {
	desired, err := readObject(r, t.kind, s.cfg.MaxRequestBytes)
	if err != nil {
		return err
	}
	m := desired.GetObjectMeta()
	if m.Name != t.name {
		return api.NewStatusError(http.StatusBadRequest, api.ReasonBadRequest,
			"the name of the object (%s) does not match the name on the URL (%s)", m.Name, t.name)
	}
	if err := s.placeNamespace(t, m); err != nil {
		return err
	}
	m.ResourceVersion = ""
	setLastApplied(desired)
	for attempt := 0; ; attempt++ {
		obj, result, err := s.applyOnce(t, desired)
		if (api.IsConflict(err) || api.IsAlreadyExists(err)) && attempt < 8 {
			continue
		}
		if err != nil {
			return err
		}
		w.Header().Set(ApplyResultHeader, result)
		code := http.StatusOK
		if result == "created" {
			code = http.StatusCreated
		}
		writeJSON(w, code, obj)
		return nil
	}
}

func (s *Server) applyOnce(t target, desired api.Object) (api.Object, string, error) {
	m := desired.GetObjectMeta()
	kv, err := s.store.Get(t.kind.StoreKey(m.Namespace, m.Name))
	if errors.Is(err, store.ErrNotFound) {
		obj, err := s.createObject(t, cloneObject(desired))
		return obj, "created", err
	}
	if err != nil {
		return nil, "", storeError(err, t, m.Name)
	}
	old, err := fromKV(t.kind, kv)
	if err != nil {
		return nil, "", err
	}
	next := mergeApplied(old, desired)
	api.SetDefaults(next)
	next.GetObjectMeta().ResourceVersion = old.GetObjectMeta().ResourceVersion
	a, _ := toValue(next)
	b, _ := toValue(old)
	if bytes.Equal(a, b) {
		return old, "unchanged", nil
	}
	saved, err := s.replace(t, old, next, kv.Rev)
	return saved, "configured", err
}

func setLastApplied(obj api.Object) {
	m := obj.GetObjectMeta()
	delete(m.Annotations, LastAppliedAnnotation)
	b, _ := json.Marshal(obj)
	if m.Annotations == nil {
		m.Annotations = map[string]string{}
	}
	m.Annotations[LastAppliedAnnotation] = string(b)
}

// mergeApplied builds the object an apply of desired over old stores.
func mergeApplied(old, desired api.Object) api.Object {
	next := cloneObject(desired)
	prev := lastApplied(old)
	nm, om := next.GetObjectMeta(), old.GetObjectMeta()
	nm.Labels = keepForeign(nm.Labels, om.Labels, prev.Metadata.Labels)
	nm.Annotations = keepForeign(nm.Annotations, om.Annotations, prev.Metadata.Annotations)
	carryServerFields(next, old, true)
	if len(nm.OwnerReferences) == 0 {
		nm.OwnerReferences = om.OwnerReferences
	}
	if len(nm.Finalizers) == 0 {
		nm.Finalizers = om.Finalizers
	}
	keepClusterFilled(next, old, prev)
	return next
}

// applied is what the manifest last applied to an object said.
type applied struct {
	Metadata api.ObjectMeta `json:"metadata"`
	Spec     struct {
		Replicas *int32 `json:"replicas"`
	} `json:"spec"`
}

// lastApplied reads obj's last-applied annotation; empty when none.
func lastApplied(obj api.Object) applied {
	var prev applied
	json.Unmarshal([]byte(obj.GetObjectMeta().Annotations[LastAppliedAnnotation]), &prev)
	return prev
}

// keepForeign adds to desired the keys of current that the last apply did not set: someone else
// set them, and an apply that does not mention them leaves them alone.
func keepForeign(desired, current, applied map[string]string) map[string]string {
	for k, v := range current {
		if _, mine := applied[k]; mine {
			continue
		}
		if _, set := desired[k]; set {
			continue
		}
		if desired == nil {
			desired = map[string]string{}
		}
		desired[k] = v
	}
	return desired
}

// keepClusterFilled keeps the spec fields the cluster fills in when the manifest leaves them out.
func keepClusterFilled(next, old api.Object, prev applied) {
	replicasApplied := prev.Spec.Replicas != nil
	switch n := next.(type) {
	case *api.Pod:
		o := old.(*api.Pod)
		if n.Spec.NodeName == "" {
			n.Spec.NodeName = o.Spec.NodeName
		}
	case *api.Service:
		keepServiceAddresses(n, old)
	case *api.Deployment:
		if o := old.(*api.Deployment); n.Spec.Replicas == nil && !replicasApplied {
			n.Spec.Replicas = o.Spec.Replicas
		}
	case *api.ReplicaSet:
		if o := old.(*api.ReplicaSet); n.Spec.Replicas == nil && !replicasApplied {
			n.Spec.Replicas = o.Spec.Replicas
		}
	case *api.Node:
		o := old.(*api.Node)
		if n.Spec.PodCIDR == "" {
			n.Spec.PodCIDR, n.Spec.PodCIDRs = o.Spec.PodCIDR, o.Spec.PodCIDRs
		}
	}
}

// keepServiceAddresses keeps a Service's allocated cluster IP and node ports when an update or
// apply leaves them out, as Kubernetes does.
func keepServiceAddresses(next, old api.Object) {
	n, ok := next.(*api.Service)
	if !ok {
		return
	}
	o := old.(*api.Service)
	if n.Spec.Type == api.ServiceTypeExternalName {
		return
	}
	switch {
	case n.Spec.ClusterIP != "":
	case len(n.Spec.ClusterIPs) > 0:
		n.Spec.ClusterIP = n.Spec.ClusterIPs[0]
	default:
		n.Spec.ClusterIP, n.Spec.ClusterIPs = o.Spec.ClusterIP, o.Spec.ClusterIPs
	}
	if n.Spec.Type != api.ServiceTypeNodePort && n.Spec.Type != api.ServiceTypeLoadBalancer {
		return // a ClusterIP service has no node ports; a type change drops them
	}
	for i := range n.Spec.Ports {
		for _, op := range o.Spec.Ports {
			if n.Spec.Ports[i].NodePort == 0 && op.Port == n.Spec.Ports[i].Port {
				n.Spec.Ports[i].NodePort = op.NodePort
			}
		}
	}
}
