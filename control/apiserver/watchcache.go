package apiserver

import (
	"sync"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/store"
)

// decodedEvents shares the decoding of recent store events among watchers: every watch of a kind
// sees the same change, and decoding it once instead of once per watcher matters when many
// watch (the controllers' informers and thousands of node agents watch pods). A revision names
// one change, so objects are kept by revision, the last eventCacheSize of them. The objects are
// shared: the HTTP watch only encodes them, and in-process watchers must not modify them, as
// informers never modify what they cache.
type decodedEvents struct {
	mu   sync.Mutex
	objs map[int64]api.Object
	ring [eventCacheSize]int64 // the revisions in objs, oldest at next
	next int
}

const eventCacheSize = 4096

// object is the decoded object of the store event kv (of kind k), decoding it on first use.
func (c *decodedEvents) object(k *api.Kind, kv store.KV) (api.Object, error) {
	c.mu.Lock()
	obj, ok := c.objs[kv.Rev]
	c.mu.Unlock()
	if ok && api.KindOf(obj) == k {
		return obj, nil
	}
	obj, err := fromKV(k, kv)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.objs == nil {
		c.objs = make(map[int64]api.Object, eventCacheSize)
	}
	if first, ok := c.objs[kv.Rev]; ok && api.KindOf(first) == k {
		return first, nil // another watcher decoded it meanwhile
	}
	delete(c.objs, c.ring[c.next])
	c.ring[c.next] = kv.Rev
	c.next = (c.next + 1) % eventCacheSize
	c.objs[kv.Rev] = obj
	return obj, nil
}

// peek returns the object of revision rev if a watcher of kind k decoded it, else nil.
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
