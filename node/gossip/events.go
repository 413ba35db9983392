package gossip

import (
	"sync"

	"github.com/hashicorp/memberlist"
)

// delegate answers memberlist's questions about this member and hears its membership events.
// memberlist calls it with its own locks held, so nothing here may block: events are queued for
// the callbacks, which a separate goroutine runs in order.
type delegate struct{ g *Gossip }

var (
	_ memberlist.Delegate      = delegate{}
	_ memberlist.EventDelegate = delegate{}
)

func (d delegate) NodeMeta(limit int) []byte {
	d.g.mu.Lock()
	defer d.g.mu.Unlock()
	if len(d.g.meta) > limit { // UpdateMeta checked the size; never hand memberlist more (it panics)
		return nil
	}
	return d.g.meta
}

// wk sends no messages of its own over gossip: membership and metadata are all it uses.
func (delegate) NotifyMsg([]byte)                  {}
func (delegate) GetBroadcasts(int, int) [][]byte   { return nil }
func (delegate) LocalState(bool) []byte            { return nil }
func (delegate) MergeRemoteState([]byte, bool)     {}
func (d delegate) NotifyJoin(n *memberlist.Node)   { d.g.observe(toMember(n), joined) }
func (d delegate) NotifyUpdate(n *memberlist.Node) { d.g.observe(toMember(n), updated) }
func (d delegate) NotifyLeave(n *memberlist.Node)  { d.g.observe(toMember(n), gone) }
func toMember(n *memberlist.Node) Member {
	return Member{Name: n.Name, Addr: n.Address(), Meta: decodeMeta(n.Meta)}
}

// change is what happened to a member.
type change int

const (
	joined  change = iota // new, or back from dead
	updated               // new metadata
	gone                  // dead or left
)

// event is one membership change for the callbacks.
type event struct {
	m     Member
	alive bool
}

// queue hands events to the callbacks in order without ever blocking the producer.
type queue struct {
	mu      sync.Mutex
	items   []event
	wake    chan struct{} // capacity 1: "there is something to do"
	stop    chan struct{}
	done    chan struct{}
	onAlive func(Member)
	onDead  func(Member)
}

func newQueue(onAlive, onDead func(Member)) *queue {
	q := &queue{
		wake:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		onAlive: onAlive,
		onDead:  onDead,
	}
	go q.run()
	return q
}

func (q *queue) push(e event) {
	q.mu.Lock()
	q.items = append(q.items, e)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *queue) run() {
	defer close(q.done)
	for {
		select {
		case <-q.wake:
			q.deliver()
		case <-q.stop:
			q.deliver()
			return
		}
	}
}

func (q *queue) deliver() {
	for {
		q.mu.Lock()
		if len(q.items) == 0 {
			q.mu.Unlock()
			return
		}
		e := q.items[0]
		q.items = q.items[1:]
		q.mu.Unlock()
		switch {
		case e.alive && q.onAlive != nil:
			q.onAlive(e.m)
		case !e.alive && q.onDead != nil:
			q.onDead(e.m)
		}
	}
}

// close delivers what is queued and waits until the last callback has returned.
func (q *queue) close() {
	close(q.stop)
	<-q.done
}
