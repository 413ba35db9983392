package apiserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
	"github.com/wk-project/wk/control/store"
)

// Local is a client of the server in its own process: each call runs the same code as the HTTP
// request it stands for (defaults, validation, compare-and-swap, selectors, watch semantics) and
// fails with the same *api.StatusError, but nothing is encoded for a socket and decoded again.
// It has the methods of *client.Client that the controllers use and Bind, and two that HTTP does
// not offer: BindAll and UpdateStatusAll, which commit many writes together.
//
// Objects passed in are copied before the server touches them, and objects returned by a call are
// the caller's own, so neither side shares memory with the other, as over HTTP. The exceptions are
// Watch, whose objects are decoded once for every watcher of the change, and BindAll and
// UpdateStatusAll, whose answers share their parts with those: they must be treated as read-only,
// as informers treat what they cache.
type Local struct{ s *Server }

// Local returns an in-process client of s.
func (s *Server) Local() *Local { return &Local{s: s} }

// Get reads one object.
func (l *Local) Get(ctx context.Context, k *api.Kind, ns, name string) (api.Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	obj, err := l.s.getObject(localTarget(k, ns, name, ""))
	return obj, asStatus(err)
}

// List reads the objects of kind k in ns (every namespace when ns is ""), with the list's revision.
func (l *Local) List(ctx context.Context, k *api.Kind, ns string, opts client.ListOptions) ([]api.Object, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	f, err := newFilter(opts.LabelSelector, opts.FieldSelector)
	if err != nil {
		return nil, "", asStatus(err)
	}
	items, rv, err := l.s.listObjects(localTarget(k, ns, "", ""), f)
	if err != nil {
		return nil, "", asStatus(err)
	}
	return items, strconv.FormatInt(rv, 10), nil
}

// Create stores a new object and returns it as stored.
func (l *Local) Create(ctx context.Context, obj api.Object) (api.Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	in, err := copyIn(obj)
	if err != nil {
		return nil, err
	}
	k := api.KindOf(in)
	ns := in.GetObjectMeta().Namespace
	if ns == "" {
		ns = "default"
	}
	out, err := l.s.createObject(localTarget(k, ns, "", ""), in)
	return out, asStatus(err)
}

// Update replaces an object; a resourceVersion in it makes the write conditional.
func (l *Local) Update(ctx context.Context, obj api.Object) (api.Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return l.update(obj, "")
}

// UpdateStatus replaces an object's status only.
func (l *Local) UpdateStatus(ctx context.Context, obj api.Object) (api.Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return l.update(obj, "status")
}

// UpdateStatusAll is UpdateStatus of every object, with the writes committed together: in as
// few durable commits as the store makes, instead of one each. Each succeeds or fails on its own;
// an object named twice fails the second time with a conflict. The objects answered share their
// parts with what the watchers get: do not modify them.
func (l *Local) UpdateStatusAll(ctx context.Context, objs []api.Object) ([]api.Object, []error) {
	if err := ctx.Err(); err != nil {
		return nil, repeatErr(len(objs), err)
	}
	return l.all(len(objs), func(i int) (write, error) {
		t, in, err := updateIn(objs[i], "status")
		if err != nil {
			return write{}, err
		}
		return l.s.prepareUpdate(t, in)
	})
}

func (l *Local) update(obj api.Object, sub string) (api.Object, error) {
	t, in, err := updateIn(obj, sub)
	if err != nil {
		return nil, asStatus(err)
	}
	out, err := l.s.updateObject(t, in)
	return out, asStatus(err)
}

// updateIn is the target and the server's copy of an update of obj (or, for sub "status", of
// its status).
func updateIn(obj api.Object, sub string) (target, api.Object, error) {
	copied := copyIn
	if sub == "status" {
		copied = copyStatusIn
	}
	in, err := copied(obj)
	if err != nil {
		return target{}, nil, err
	}
	k := api.KindOf(in)
	m := in.GetObjectMeta()
	if m.Name == "" {
		return target{}, nil, api.NewStatusError(http.StatusMethodNotAllowed, api.ReasonMethodNotAllowd, "PUT is not supported on %s", k.Path(m.Namespace, ""))
	}
	return localTarget(k, m.Namespace, m.Name, sub), in, nil
}

// Bind assigns the pod to node through the binding subresource: spec.nodeName and the
// PodScheduled condition in one write, on condition that the pod is still the one with p's UID
// and is not bound yet.
func (l *Local) Bind(ctx context.Context, p *api.Pod, node string) (api.Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out, err := l.s.bindPod(bindTarget(p), p.UID, "", api.ObjectReference{Kind: "Node", Name: node})
	return out, asStatus(err)
}

// BindAll is Bind of pods[i] to nodes[i] for every i, with the writes committed together, as the
// scheduler commits a round's bindings. The pods answered share their parts with what the watchers
// get: do not modify them.
func (l *Local) BindAll(ctx context.Context, pods []*api.Pod, nodes []string) ([]api.Object, []error) {
	if err := ctx.Err(); err != nil {
		return nil, repeatErr(len(pods), err)
	}
	return l.all(len(pods), func(i int) (write, error) {
		return l.s.prepareBind(bindTarget(pods[i]), pods[i].UID, "", api.ObjectReference{Kind: "Node", Name: nodes[i]})
	})
}

func bindTarget(p *api.Pod) target {
	return localTarget(api.KindOf(p), p.Namespace, p.Name, "binding")
}

// all prepares n writes and commits those that could be prepared together.
func (l *Local) all(n int, prepare func(i int) (write, error)) ([]api.Object, []error) {
	objs, errs := make([]api.Object, n), make([]error, n)
	ws, at := make([]write, 0, n), make([]int, 0, n)
	for i := range n {
		w, err := prepare(i)
		if err != nil {
			errs[i] = asStatus(err)
			continue
		}
		ws, at = append(ws, w), append(at, i)
	}
	if len(ws) == 0 {
		return objs, errs
	}
	out, failed := l.s.commitAll(ws, true)
	for j, i := range at {
		objs[i], errs[i] = out[j], asStatus(failed[j])
	}
	return objs, errs
}

// Delete removes an object and returns it as it was.
func (l *Local) Delete(ctx context.Context, k *api.Kind, ns, name string, opts *api.DeleteOptions) (api.Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var o api.DeleteOptions
	if opts != nil {
		o = *opts
	}
	out, err := l.s.deleteObject(localTarget(k, ns, name, ""), o)
	return out, asStatus(err)
}

// Watch streams the changes to kind k in ns as the HTTP watch does: without opts.ResourceVersion
// the current objects first, as ADDED; a BOOKMARK every 30 s. The channel closes when ctx ends or
// the store ends the watch (the caller resumes from the last resourceVersion it saw). The objects
// of the changes are shared with the other watchers: do not modify them.
func (l *Local) Watch(ctx context.Context, k *api.Kind, ns string, opts client.ListOptions) (<-chan client.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t := localTarget(k, ns, "", "")
	f, err := newFilter(opts.LabelSelector, opts.FieldSelector)
	if err != nil {
		return nil, asStatus(err)
	}
	from, err := rev(opts.ResourceVersion)
	if err != nil {
		return nil, asStatus(err)
	}
	initial, from, events, err := l.s.openWatch(ctx, t, f, from)
	if err != nil {
		return nil, asStatus(err)
	}
	out := make(chan client.Event, 64)
	go l.s.localWatch(ctx, t, f, initial, from, events, out)
	return out, nil
}

func (s *Server) localWatch(ctx context.Context, t target, f filter, initial []api.Object, last int64, events <-chan store.Event, out chan<- client.Event) {
	defer close(out)
	send := func(ev client.Event) bool {
		select {
		case out <- ev:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for _, obj := range initial {
		if !send(client.Event{Type: api.Added, Object: obj}) {
			return
		}
	}
	keepalive := time.NewTicker(30 * time.Second)
	defer keepalive.Stop()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return
			}
			last = ev.KV.Rev
			we, ok, err := s.watchEvent(t.kind, f, ev)
			if err != nil {
				return
			}
			if ok && !send(client.Event{Type: we.Type, Object: we.Object}) {
				return
			}
		case <-keepalive.C:
			if !send(client.Event{Type: api.Bookmark, Object: bookmark(t.kind, last)}) {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// localTarget is the target of the REST path the HTTP client would use.
func localTarget(k *api.Kind, ns, name, sub string) target {
	if !k.Namespaced {
		ns = ""
	}
	return target{kind: k, namespace: ns, name: name, sub: sub}
}

// copyIn copies an object as sending it over HTTP would (see jsonCopy), so that the server's
// defaulting never writes into the caller's memory.
func copyIn(obj api.Object) (api.Object, error) {
	if api.KindOf(obj) == nil {
		return nil, fmt.Errorf("%T is not an API object", obj)
	}
	c, err := jsonCopy(obj)
	if err != nil {
		return nil, api.NewStatusError(http.StatusBadRequest, api.ReasonBadRequest, "%v", err)
	}
	api.SetTypeMeta(c)
	return c, nil
}

// copyStatusIn is copyIn for a status update, which reads nothing of obj but its name, namespace,
// resourceVersion and status: it copies the metadata shallowly (the server only sets its
// namespace, on the copy) and the status deeply.
func copyStatusIn(obj api.Object) (api.Object, error) {
	k := api.KindOf(obj)
	if k == nil {
		return nil, fmt.Errorf("%T is not an API object", obj)
	}
	c := k.New()
	*c.GetObjectMeta() = *obj.GetObjectMeta()
	if src := reflect.ValueOf(obj).Elem().FieldByName("Status"); src.IsValid() {
		if err := copyJSON(reflect.ValueOf(c).Elem().FieldByName("Status"), src); err != nil {
			return nil, api.NewStatusError(http.StatusBadRequest, api.ReasonBadRequest, "copy %s status: %v", k.Kind, err)
		}
	}
	api.SetTypeMeta(c)
	return c, nil
}

// repeatErr is n copies of err, for a batch that fails as a whole.
func repeatErr(n int, err error) []error {
	errs := make([]error, n)
	for i := range errs {
		errs[i] = err
	}
	return errs
}

// asStatus is err as the HTTP client would see it: a *api.StatusError, a 500 for anything else.
func asStatus(err error) error {
	if err == nil {
		return nil
	}
	var se *api.StatusError
	if errors.As(err, &se) {
		return se
	}
	return api.NewStatusError(http.StatusInternalServerError, api.ReasonInternal, "%v", err)
}
