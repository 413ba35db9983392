package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/wk-project/wk/control/api"
)

// ListOptions narrows a list or watch.
type ListOptions struct {
	LabelSelector   string
	FieldSelector   string
	ResourceVersion string // watch: start after this revision
}

func (o ListOptions) query(watch bool) string {
	q := url.Values{}
	if o.LabelSelector != "" {
		q.Set("labelSelector", o.LabelSelector)
	}
	if o.FieldSelector != "" {
		q.Set("fieldSelector", o.FieldSelector)
	}
	if o.ResourceVersion != "" {
		q.Set("resourceVersion", o.ResourceVersion)
	}
	if watch {
		q.Set("watch", "1")
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// Get reads one object.
func (c *Client) Get(ctx context.Context, k *api.Kind, ns, name string) (api.Object, error) {
	obj := k.New()
	if _, err := c.do(ctx, http.MethodGet, k.Path(ns, name), nil, "", obj); err != nil {
		return nil, err
	}
	return obj, nil
}

// List reads the objects of kind k in ns (every namespace when ns is ""), with the list's revision.
func (c *Client) List(ctx context.Context, k *api.Kind, ns string, opts ListOptions) ([]api.Object, string, error) {
	var list struct {
		Metadata api.ListMeta      `json:"metadata"`
		Items    []json.RawMessage `json:"items"`
	}
	if _, err := c.do(ctx, http.MethodGet, k.Path(ns, "")+opts.query(false), nil, "", &list); err != nil {
		return nil, "", err
	}
	items := make([]api.Object, 0, len(list.Items))
	for _, raw := range list.Items {
		obj := k.New()
		if err := json.Unmarshal(raw, obj); err != nil {
			return nil, "", fmt.Errorf("decode %s list item: %w", k.Kind, err)
		}
		items = append(items, obj)
	}
	return items, list.Metadata.ResourceVersion, nil
}

// Create stores a new object and returns it as stored.
func (c *Client) Create(ctx context.Context, obj api.Object) (api.Object, error) {
	return c.write(ctx, http.MethodPost, obj, false, "application/json")
}

// Update replaces an object; a resourceVersion in it makes the write conditional.
func (c *Client) Update(ctx context.Context, obj api.Object) (api.Object, error) {
	return c.write(ctx, http.MethodPut, obj, false, "application/json")
}

// UpdateStatus replaces an object's status only.
func (c *Client) UpdateStatus(ctx context.Context, obj api.Object) (api.Object, error) {
	return c.write(ctx, http.MethodPut, obj, true, "application/json")
}

// Apply creates or updates obj by name; the result is "created", "configured" or "unchanged".
func (c *Client) Apply(ctx context.Context, obj api.Object) (api.Object, string, error) {
	k := api.KindOf(obj)
	m := obj.GetObjectMeta()
	body, err := encode(obj)
	if err != nil {
		return nil, "", err
	}
	out := k.New()
	resp, err := c.do(ctx, http.MethodPatch, k.Path(m.Namespace, m.Name), body, "application/apply-patch+json", out)
	if err != nil {
		return nil, "", err
	}
	return out, resp.Header.Get("Wk-Apply-Result"), nil
}

func (c *Client) write(ctx context.Context, method string, obj api.Object, status bool, ct string) (api.Object, error) {
	k := api.KindOf(obj)
	if k == nil {
		return nil, fmt.Errorf("%T is not an API object", obj)
	}
	m := obj.GetObjectMeta()
	name := m.Name
	if method == http.MethodPost {
		name = ""
	}
	path := k.Path(m.Namespace, name)
	if method == http.MethodPost && k.Namespaced && m.Namespace == "" {
		path = k.Path("default", "")
	}
	if status {
		path += "/status"
	}
	body, err := encode(obj)
	if err != nil {
		return nil, err
	}
	out := k.New()
	if _, err := c.do(ctx, method, path, body, ct, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Delete removes an object and returns it as it was.
func (c *Client) Delete(ctx context.Context, k *api.Kind, ns, name string, opts *api.DeleteOptions) (api.Object, error) {
	var body *jsonBody
	if opts != nil {
		body = newJSONBody(opts)
	}
	out := k.New()
	if _, err := c.do(ctx, http.MethodDelete, k.Path(ns, name), body.reader(), "application/json", out); err != nil {
		return nil, err
	}
	return out, nil
}

// Raw sends a bodiless request to path and decodes the JSON answer into out.
func (c *Client) Raw(ctx context.Context, method, path string, out any) error {
	_, err := c.do(ctx, method, path, nil, "", out)
	return err
}
