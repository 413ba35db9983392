package client

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/wk-project/wk/control/api"
)

// Event is one change seen by a watch.
type Event struct {
	Type   string // api.Added, api.Modified, api.Deleted, api.Bookmark
	Object api.Object
}

// Watch streams the changes to kind k in ns. Without opts.ResourceVersion the stream starts with
// every current object as ADDED. The channel closes when ctx ends or the server ends the stream;
// the caller resumes from the last object's resourceVersion (a 410 from Watch means list again).
func (c *Client) Watch(ctx context.Context, k *api.Kind, ns string, opts ListOptions) (<-chan Event, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+k.Path(ns, "")+opts.query(true), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.stream.Do(req)
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", k.Resource, unwrapURLError(err))
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, decodeStatus(resp)
	}
	out := make(chan Event, 64)
	go func() {
		defer close(out)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			var raw struct {
				Type   string          `json:"type"`
				Object json.RawMessage `json:"object"`
			}
			if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
				return
			}
			obj := k.New()
			if err := json.Unmarshal(raw.Object, obj); err != nil {
				return
			}
			select {
			case out <- Event{Type: raw.Type, Object: obj}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}
