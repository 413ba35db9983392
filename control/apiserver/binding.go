package apiserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/wk-project/wk/control/api"
)

// Binding is the body of POST /api/v1/namespaces/NS/pods/NAME/binding, Kubernetes' v1.Binding:
// it assigns the pod to the node target.name. metadata.uid and metadata.resourceVersion, when set,
// are preconditions on the pod.
type Binding struct {
	api.TypeMeta `json:",inline"`
	Metadata     api.ObjectMeta      `json:"metadata"`
	Target       api.ObjectReference `json:"target"`
}

// bind serves the binding subresource. As in Kubernetes it is a create on the pods/binding
// resource, answered 201; the body is the bound pod (client-go ignores the body).
func (s *Server) bind(w http.ResponseWriter, r *http.Request, t target) error {
	b, err := readBinding(r, s.cfg.MaxRequestBytes)
	if err != nil {
		return err
	}
	if b.Metadata.Name != "" && b.Metadata.Name != t.name {
		return api.NewStatusError(http.StatusBadRequest, api.ReasonBadRequest,
			"the name of the binding (%s) does not match the name on the URL (%s)", b.Metadata.Name, t.name)
	}
	pod, err := s.bindPod(t, b.Metadata.UID, b.Metadata.ResourceVersion, b.Target)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, pod)
	return nil
}

func readBinding(r *http.Request, max int64) (Binding, error) {
	var b Binding
	body, err := readBody(r, max)
	if err != nil {
		return b, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return b, api.NewStatusError(http.StatusBadRequest, api.ReasonBadRequest, "decode Binding: %v", err)
	}
	if b.Kind != "" && b.Kind != "Binding" {
		return b, api.NewStatusError(http.StatusBadRequest, api.ReasonBadRequest, "the body is a %s, but the path is for a Binding", b.Kind)
	}
	return b, nil
}

// bindPod sets the pod's spec.nodeName and its PodScheduled=True condition in one write, as
// Kubernetes' binding does: it is a conflict when the pod is already bound or being deleted, or
// when uid or resourceVersion are given and differ from the pod's.
func (s *Server) bindPod(t target, uid, resourceVersion string, node api.ObjectReference) (api.Object, error) {
	w, err := s.prepareBind(t, uid, resourceVersion, node)
	if err != nil {
		return nil, err
	}
	return s.commit(w)
}

// prepareBind is bindPod up to the write.
func (s *Server) prepareBind(t target, uid, resourceVersion string, node api.ObjectReference) (write, error) {
	if node.Kind != "" && node.Kind != "Node" {
		return write{}, api.NewInvalid(t.kind, t.name, api.ErrorList{{Path: "target.kind", Reason: api.FieldValueNotSupported,
			Msg: fmt.Sprintf("Unsupported value: %q: must be empty or \"Node\"", node.Kind)}})
	}
	if node.Name == "" {
		return write{}, api.NewInvalid(t.kind, t.name, api.ErrorList{{Path: "target.name", Reason: api.FieldValueRequired, Msg: "Required value"}})
	}
	want, err := rev(resourceVersion)
	if err != nil {
		return write{}, err
	}
	kv, err := s.store.Get(t.key())
	if err != nil {
		return write{}, storeError(err, t, t.name)
	}
	old, err := s.decodeStored(t.kind, kv)
	if err != nil {
		return write{}, err
	}
	p := bindingOf(old.(*api.Pod))
	switch {
	case uid != "" && p.UID != uid, want != 0 && want != kv.Rev:
		return write{}, api.NewConflict(t.kind, t.name)
	case p.Spec.NodeName != "":
		return write{}, api.NewStatusError(http.StatusConflict, api.ReasonConflict, "pod %s is already assigned to node %q", t.name, p.Spec.NodeName)
	case p.DeletionTimestamp != nil:
		return write{}, api.NewStatusError(http.StatusConflict, api.ReasonConflict, "pod %s is being deleted, cannot be assigned to a host", t.name)
	}
	p.Spec.NodeName = node.Name
	setScheduled(p, api.NewTime(time.Now()))
	return s.prepareReplace(t, old, p, kv.Rev)
}

// bindingOf is a copy of p to bind: a shallow one, but for the conditions, since binding
// changes nothing else below the top level.
func bindingOf(p *api.Pod) *api.Pod {
	cp := *p
	cp.Status.Conditions = append([]api.PodCondition(nil), p.Status.Conditions...)
	return &cp
}

// setScheduled sets PodScheduled=True, keeping the transition time when it already was.
func setScheduled(p *api.Pod, now api.Time) {
	c := api.PodCondition{Type: api.PodScheduled, Status: api.ConditionTrue, LastTransitionTime: now}
	for i := range p.Status.Conditions {
		if old := &p.Status.Conditions[i]; old.Type == api.PodScheduled {
			if old.Status == c.Status {
				c.LastTransitionTime = old.LastTransitionTime
			}
			*old = c
			return
		}
	}
	p.Status.Conditions = append(p.Status.Conditions, c)
}
