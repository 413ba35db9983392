package client

import (
	"context"
	"net/http"

	"github.com/wk-project/wk/control/api"
)

// Bind assigns the pod to node through the pods/NAME/binding subresource, as kube-scheduler does:
// spec.nodeName and the PodScheduled condition are set in one write, on condition that the pod
// still has p's UID and no node yet (a conflict otherwise). It returns the bound pod.
func (c *Client) Bind(ctx context.Context, p *api.Pod, node string) (api.Object, error) {
	type ref struct {
		APIVersion string `json:"apiVersion,omitempty"`
		Kind       string `json:"kind,omitempty"`
		Name       string `json:"name"`
	}
	body := newJSONBody(struct {
		api.TypeMeta `json:",inline"`
		Metadata     api.ObjectMeta `json:"metadata"`
		Target       ref            `json:"target"`
	}{
		TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Binding"},
		Metadata: api.ObjectMeta{Name: p.Name, Namespace: p.Namespace, UID: p.UID},
		Target:   ref{APIVersion: "v1", Kind: "Node", Name: node},
	})
	out := &api.Pod{}
	path := api.KindOf(p).Path(p.Namespace, p.Name) + "/binding"
	if _, err := c.do(ctx, http.MethodPost, path, body.reader(), "application/json", out); err != nil {
		return nil, err
	}
	return out, nil
}
