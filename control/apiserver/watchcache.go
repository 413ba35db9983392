package apiserver

import (
	"bytes"
	"strconv"
	"sync"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/store"
)

// decodedEvents shares the decoding of recent store events among watchers: every watch of a kind
// sees the same change, and decoding it once instead of once per watcher matters when many
// watch (the controllers' informers and thousands of node agents watch pods). A revision names
// one change, so objects are kept by revision, the last eventCacheSize of them.
//
// The server's own writes of a watched kind spare the watchers even that one decoding: before
// committing, a write leaves a copy of the object it stores (cheaper than decoding it, and equal
// to what decoding gives, see jsonCopy) with the value it stores; the first watcher to see a change
// of that key with those very bytes takes the copy, stamped with the change's revision.
//
// The objects are shared: the HTTP watch only encodes them, and in-process watchers must not
// modify them, as informers never modify what they cache.
type decodedEvents struct {
	mu      sync.Mutex
	objs    map[int64]api.Object
	ring    [eventCacheSize]int64 // the revisions in objs, oldest at next
	next    int
	watched map[*api.Kind]bool        // kinds that have been watched
	pending map[string]*expectedWrite // by store key
}

// expectedWrite is a write being committed: the value it stores and a copy of its object.
type expectedWrite struct {
	kind  *api.Kind
	value []byte
	obj   api.Object // without its revision until taken
	taken bool
}

const eventCacheSize = 4096

// watching notes that kind k is watched.
func (c *decodedEvents) watching(k *api.Kind) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.watched == nil {
		c.watched = map[*api.Kind]bool{}
	}
	c.watched[k] = true
}

// object is the decoded object of the store event kv (of kind k): the one kept for its revision,
// else the copy a write left for it, else a decoding of its own.
func (c *decodedEvents) object(k *api.Kind, kv store.KV) (api.Object, error) {
	c.mu.Lock()
	if obj, ok := c.objs[kv.Rev]; ok && api.KindOf(obj) == k {
		c.mu.Unlock()
		return obj, nil
	}
	if w := c.pending[kv.Key]; w != nil && !w.taken && w.kind == k && bytes.Equal(w.value, kv.Value) {
		obj := c.take(w, kv.Rev)
		c.mu.Unlock()
		return obj, nil
	}
	c.mu.Unlock()
	obj, err := fromKV(k, kv)
	if err != nil {
		return nil, err
	}
	return c.add(k, kv.Rev, obj), nil
}

// expect leaves a copy of obj, about to be stored as value under key, for the watchers; nil when
// nobody watches kind k or another write of the key is under way.
func (c *decodedEvents) expect(k *api.Kind, key string, value []byte, obj api.Object) *expectedWrite {
	if !c.expecting(k, key) {
		return nil
	}
	cp, err := jsonCopy(obj)
	if err != nil {
		return nil
	}
	return c.expectShared(k, key, value, cp)
}

func (c *decodedEvents) expecting(k *api.Kind, key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.watched[k] && c.pending[key] == nil
}

// expectShared is expect without the copy: obj itself goes to the watchers, and nobody may change
// it any more. obj must be what decoding value gives (the server's writes start from a decoding
// and change it in ways that JSON carries exactly).
func (c *decodedEvents) expectShared(k *api.Kind, key string, value []byte, obj api.Object) *expectedWrite {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.watched[k] || c.pending[key] != nil {
		return nil
	}
	if c.pending == nil {
		c.pending = map[string]*expectedWrite{}
	}
	w := &expectedWrite{kind: k, value: value, obj: obj}
	c.pending[key] = w
	return w
}

// committed ends an expected write: committed at revision rev, or failed when rev is 0.
func (c *decodedEvents) committed(key string, w *expectedWrite, rev int64) {
	if w == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending[key] == w {
		delete(c.pending, key)
	}
	if rev > 0 && !w.taken {
		c.take(w, rev)
	}
}

// take keeps an expected write's object as revision rev's. c.mu is held.
func (c *decodedEvents) take(w *expectedWrite, rev int64) api.Object {
	w.taken = true
	w.obj.GetObjectMeta().ResourceVersion = strconv.FormatInt(rev, 10)
	return c.addLocked(w.kind, rev, w.obj)
}

// add keeps obj as revision rev's, unless another is kept already, and returns the one kept.
func (c *decodedEvents) add(k *api.Kind, rev int64, obj api.Object) api.Object {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.addLocked(k, rev, obj)
}

func (c *decodedEvents) addLocked(k *api.Kind, rev int64, obj api.Object) api.Object {
	if first, ok := c.objs[rev]; ok && api.KindOf(first) == k {
		return first
	}
	if c.objs == nil {
		c.objs = make(map[int64]api.Object, eventCacheSize)
	}
	delete(c.objs, c.ring[c.next])
	c.ring[c.next] = rev
	c.next = (c.next + 1) % eventCacheSize
	c.objs[rev] = obj
	return obj
}

// peek returns the object of revision rev if it is kept and of kind k, else nil.
func (c *decodedEvents) peek(k *api.Kind, rev int64) api.Object {
	c.mu.Lock()
	defer c.mu.Unlock()
	if obj, ok := c.objs[rev]; ok && api.KindOf(obj) == k {
		return obj
	}
	return nil
}

// decodeStored decodes a stored object for a write to start from: a copy of what the watchers
// decoded of the same revision when they did (the copy is cheaper than decoding), else a decoding
// of its own.
func (s *Server) decodeStored(k *api.Kind, kv store.KV) (api.Object, error) {
	if shared := s.events.peek(k, kv.Rev); shared != nil {
		return jsonCopy(shared)
	}
	return fromKV(k, kv)
}
