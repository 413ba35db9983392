package store

import (
	"fmt"
	"strings"

	"github.com/dgraph-io/badger/v4"
)

// Bounds of one readLog snapshot, so a replay neither holds a read transaction open while a
// slow watcher catches up nor reads the whole log into memory.
const (
	replayChunk = 256  // events returned
	replayScan  = 4096 // log entries looked at
)

// readLog returns the changes in (after, upto] to keys with the prefix, at most replayChunk of
// them, and the revision up to which it has looked; call it again from there. It returns
// ErrCompacted once the log after `after` has been dropped.
func (s *Store) readLog(prefix string, after, upto int64) (evs []Event, next int64, err error) {
	err = s.db.View(func(txn *badger.Txn) error {
		compacted, _, err := getInt(txn, metaCompactedKey)
		if err != nil {
			return fmt.Errorf("read compacted revision: %w", err)
		}
		if after < compacted {
			return fmt.Errorf("read change log after %d: %w (compacted up to %d)", after, ErrCompacted, compacted)
		}
		evs, next, err = scanLog(txn, prefix, after, upto)
		return err
	})
	return evs, next, err
}

func scanLog(txn *badger.Txn, prefix string, after, upto int64) ([]Event, int64, error) {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(logPrefix)})
	defer it.Close()
	var evs []Event
	scanned := 0
	for it.Seek(logSeekKey(after + 1)); it.Valid(); it.Next() {
		item := it.Item()
		rev, key, err := parseLogKey(item.Key())
		if err != nil {
			return nil, 0, err
		}
		if rev > upto {
			break
		}
		if strings.HasPrefix(key, prefix) {
			b, err := item.ValueCopy(nil)
			if err != nil {
				return nil, 0, fmt.Errorf("read change record %d: %w", rev, err)
			}
			ev, err := decodeChange(rev, key, b)
			if err != nil {
				return nil, 0, err
			}
			evs = append(evs, ev)
		}
		if scanned++; len(evs) >= replayChunk || scanned >= replayScan {
			return evs, rev, nil
		}
	}
	return evs, upto, nil
}
