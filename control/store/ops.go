package store

import "fmt"

// OpType is the kind of a write.
type OpType int

// Write kinds.
const (
	OpCreate OpType = iota
	OpUpdate
	OpDelete
)

func (t OpType) String() string {
	switch t {
	case OpCreate:
		return "create"
	case OpUpdate:
		return "update"
	case OpDelete:
		return "delete"
	}
	return fmt.Sprintf("op(%d)", int(t))
}

// Op is one write for Apply. ExpectRev, for an update or delete, is the revision the key must
// have; 0 means any.
type Op struct {
	Type      OpType
	Key       string
	Value     []byte
	ExpectRev int64
}

// Result is the outcome of one Op.
type Result struct {
	KV  KV
	Err error
}

// Create stores val under a new key; ErrExists if the key exists.
func (s *Store) Create(key string, val []byte) (KV, error) {
	return s.one(Op{Type: OpCreate, Key: key, Value: val})
}

// Update replaces the value of an existing key (ErrNotFound otherwise). A non-zero expectRev
// must equal the key's current revision, else ErrConflict.
func (s *Store) Update(key string, val []byte, expectRev int64) (KV, error) {
	return s.one(Op{Type: OpUpdate, Key: key, Value: val, ExpectRev: expectRev})
}

// Delete removes key (ErrNotFound, ErrConflict as for Update) and returns its last value with
// Rev set to the delete's revision.
func (s *Store) Delete(key string, expectRev int64) (KV, error) {
	return s.one(Op{Type: OpDelete, Key: key, ExpectRev: expectRev})
}

func (s *Store) one(op Op) (KV, error) {
	r := s.Apply([]Op{op})[0]
	return r.KV, r.Err
}

// Apply commits independent ops in as few durable commits as possible, in order: each op
// succeeds or fails on its own and sees the effect of the ops before it. results[i] is the
// outcome of ops[i]. Apply returns once every op is durable or has failed.
func (s *Store) Apply(ops []Op) []Result {
	res := make([]Result, len(ops))
	for i := range ops {
		res[i].Err = ops[i].validate()
	}
	if len(ops) == 0 {
		return res
	}
	r := &request{ops: ops, res: res, done: make(chan struct{})}
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		for i := range ops {
			if res[i].Err == nil {
				res[i].Err = ops[i].fail(ErrClosed)
			}
		}
		return res
	}
	s.reqs <- r
	s.closeMu.RUnlock()
	<-r.done
	return res
}

func (op *Op) validate() error {
	switch {
	case op.Type < OpCreate || op.Type > OpDelete:
		return op.fail(fmt.Errorf("%w: unknown op type", ErrInvalid))
	case op.ExpectRev < 0:
		return op.fail(fmt.Errorf("%w: negative expected revision %d", ErrInvalid, op.ExpectRev))
	case len(op.Value) > MaxValueSize:
		return op.fail(fmt.Errorf("%w: value of %d bytes exceeds %d", ErrInvalid, len(op.Value), MaxValueSize))
	}
	if err := checkKey(op.Key); err != nil {
		return op.fail(err)
	}
	return nil
}

// fail wraps err with the op's action and key.
func (op *Op) fail(err error) error {
	return fmt.Errorf("%s %q: %w", op.Type, op.Key, err)
}
