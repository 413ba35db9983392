package store

import (
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// request is one Apply call waiting for the writer.
type request struct {
	ops  []Op
	res  []Result // res[i].Err already set means ops[i] failed validation
	done chan struct{}
}

// writeLoop is the single writer: it groups queued requests into batches until Close closes
// s.reqs, then finishes what was queued.
func (s *Store) writeLoop() {
	defer close(s.writerDone)
	w := &writer{s: s}
	for first := range s.reqs {
		reqs := s.gather(first)
		for _, r := range reqs {
			for i := range r.ops {
				if r.res[i].Err == nil {
					w.apply(&r.ops[i], &r.res[i])
				}
			}
		}
		w.flush()
		for _, r := range reqs {
			close(r.done)
		}
	}
}

// gather takes first plus whatever else is queued, up to MaxBatch ops.
func (s *Store) gather(first *request) []*request {
	reqs := []*request{first}
	n := len(first.ops)
	for n < s.cfg.MaxBatch {
		select {
		case r, ok := <-s.reqs:
			if !ok {
				return reqs
			}
			reqs = append(reqs, r)
			n += len(r.ops)
		default:
			return reqs
		}
	}
	return reqs
}

// writer holds the open transaction of the batch being built. Only writeLoop uses it.
type writer struct {
	s      *Store
	txn    *badger.Txn // nil until the first op of a transaction
	staged []staged    // ops written into txn, in revision order
	used   txnCost
	failed error // a commit failed: the store takes no more writes
}

type staged struct {
	ev  Event
	res *Result
}

// apply checks op against the current state (including ops staged before it), stages it under
// the next revision and commits when the transaction is full.
func (w *writer) apply(op *Op, res *Result) {
	if w.failed != nil {
		res.Err = op.fail(w.failed)
		return
	}
	ev, err := w.check(op)
	if err != nil {
		res.Err = err
		return
	}
	cost := costOf(&ev)
	if !w.fits(cost) {
		w.flush()
		if w.failed != nil {
			res.Err = op.fail(w.failed)
			return
		}
		if !w.fits(cost) {
			res.Err = op.fail(fmt.Errorf("%w: too large for one transaction", ErrInvalid))
			return
		}
	}
	if err := w.stage(&ev); err != nil {
		w.abort(fmt.Errorf("stage revision %d: %w", ev.KV.Rev, err))
		res.Err = op.fail(w.failed)
		return
	}
	w.staged = append(w.staged, staged{ev: ev, res: res})
	w.used = w.used.add(cost)
	if len(w.staged) >= w.s.cfg.MaxBatch {
		w.flush()
	}
}

func (w *writer) tx() *badger.Txn {
	if w.txn == nil {
		w.txn = w.s.db.NewTransaction(true)
	}
	return w.txn
}

// nextRev is the revision the next op that passes its check gets.
func (w *writer) nextRev() int64 {
	return w.s.rev.Load() + int64(len(w.staged)) + 1
}

// check returns the event op would produce, or why it fails.
func (w *writer) check(op *Op) (Event, error) {
	cur, found, err := getObject(w.tx(), op.Key)
	if err != nil {
		return Event{}, op.fail(fmt.Errorf("read: %w", err))
	}
	rev := w.nextRev()
	if op.Type == OpCreate {
		if found {
			return Event{}, op.fail(ErrExists)
		}
		return Event{Type: Added, KV: KV{Key: op.Key, Value: op.Value, Rev: rev, CreateRev: rev}}, nil
	}
	switch {
	case !found:
		return Event{}, op.fail(ErrNotFound)
	case op.ExpectRev != 0 && op.ExpectRev != cur.Rev:
		return Event{}, op.fail(fmt.Errorf("%w: expected revision %d, current %d", ErrConflict, op.ExpectRev, cur.Rev))
	case op.Type == OpUpdate:
		kv := KV{Key: op.Key, Value: op.Value, Rev: rev, CreateRev: cur.CreateRev}
		return Event{Type: Modified, KV: kv, PrevValue: cur.Value}, nil
	default:
		kv := KV{Key: op.Key, Value: cur.Value, Rev: rev, CreateRev: cur.CreateRev}
		return Event{Type: Deleted, KV: kv, PrevValue: cur.Value}, nil
	}
}

// stage writes the object and its change record into the transaction. It replaces the caller's
// value in ev by the store's own copy.
func (w *writer) stage(ev *Event) error {
	txn := w.tx()
	key := objKey(ev.KV.Key)
	if ev.Type == Deleted {
		if err := txn.Delete(key); err != nil {
			return err
		}
	} else {
		obj := encodeObject(ev.KV)
		ev.KV.Value = obj[objHeaderLen:]
		if err := txn.Set(key, obj); err != nil {
			return err
		}
	}
	return txn.Set(logKey(ev.KV.Rev, ev.KV.Key), encodeChange(ev))
}

// flush commits the staged ops with the new revision, publishes their events and fills in
// their results.
func (w *writer) flush() {
	defer w.reset()
	if len(w.staged) == 0 {
		return
	}
	first, last := w.staged[0].ev.KV.Rev, w.staged[len(w.staged)-1].ev.KV.Rev
	err := w.txn.Set([]byte(metaRevKey), encodeInt(last))
	if err == nil {
		err = w.txn.Commit()
	}
	if err != nil {
		w.abort(fmt.Errorf("commit revisions %d-%d: %w", first, last, err))
		return
	}
	w.s.rev.Store(last)
	evs := make([]Event, len(w.staged))
	for i, st := range w.staged {
		evs[i] = st.ev
		st.res.KV = st.ev.KV
	}
	w.s.hub.publish(evs)
}

// abort fails every staged op with err and stops all further writes: after a failed commit the
// store cannot tell what reached the disk.
func (w *writer) abort(err error) {
	w.failed = fmt.Errorf("store failed: %w", err)
	w.s.log.Error("store write failed; refusing further writes", "err", err)
	for _, st := range w.staged {
		st.res.Err = fmt.Errorf("%s %q: %w", opOf(st.ev.Type), st.ev.KV.Key, w.failed)
	}
	w.reset()
}

func (w *writer) reset() {
	if w.txn != nil {
		w.txn.Discard()
		w.txn = nil
	}
	clear(w.staged) // drop the references to values
	w.staged = w.staged[:0]
	w.used = txnCost{}
}

func opOf(t EventType) OpType {
	switch t {
	case Added:
		return OpCreate
	case Modified:
		return OpUpdate
	}
	return OpDelete
}
