package store

import (
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// compactChunk is how many change records one compaction transaction deletes.
const compactChunk = 1000

// Compact drops the change-log entries with Rev <= rev. Watches from below rev then get
// ErrCompacted. Compacting to a revision at or below CompactedRev does nothing; beyond Rev is an
// error.
func (s *Store) Compact(rev int64) error {
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		return fmt.Errorf("compact to revision %d: %w", rev, ErrClosed)
	}
	s.compactMu.Lock()
	defer s.compactMu.Unlock()
	if cur := s.rev.Load(); rev > cur {
		return fmt.Errorf("compact to revision %d: %w: beyond current revision %d", rev, ErrInvalid, cur)
	}
	for s.compacted.Load() < rev {
		if err := s.compactStep(rev); err != nil {
			return fmt.Errorf("compact to revision %d: %w", rev, err)
		}
	}
	return nil
}

// compactStep deletes up to compactChunk records after CompactedRev and at most rev, and
// advances the compacted revision in the same transaction, so every record above it exists.
func (s *Store) compactStep(rev int64) error {
	upto := rev
	err := s.db.Update(func(txn *badger.Txn) error {
		keys, last, err := logKeysUpTo(txn, s.compacted.Load(), rev, compactChunk)
		if err != nil {
			return err
		}
		if len(keys) == compactChunk {
			upto = last
		}
		for _, k := range keys {
			if err := txn.Delete(k); err != nil {
				return fmt.Errorf("delete change record: %w", err)
			}
		}
		return txn.Set([]byte(metaCompactedKey), encodeInt(upto))
	})
	if err != nil {
		return err
	}
	s.compacted.Store(upto)
	return nil
}

// logKeysUpTo returns up to limit change-log keys in (after, upto] and the revision of the last.
func logKeysUpTo(txn *badger.Txn, after, upto int64, limit int) ([][]byte, int64, error) {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(logPrefix)})
	defer it.Close()
	var keys [][]byte
	var last int64
	for it.Seek(logSeekKey(after + 1)); it.Valid() && len(keys) < limit; it.Next() {
		rev, _, err := parseLogKey(it.Item().Key())
		if err != nil {
			return nil, 0, err
		}
		if rev > upto {
			break
		}
		keys = append(keys, it.Item().KeyCopy(nil))
		last = rev
	}
	return keys, last, nil
}

// compactLoop keeps the last CompactKeep revisions of the change log and runs badger's
// value-log GC, every interval until Close.
func (s *Store) compactLoop(interval time.Duration) {
	defer s.bg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		}
		if target := s.rev.Load() - s.cfg.CompactKeep; target > s.compacted.Load() {
			if err := s.Compact(target); err != nil && !errors.Is(err, ErrClosed) {
				s.log.Warn("auto compaction failed", "err", err)
			}
		}
		s.gcValueLog()
	}
}

// gcValueLog rewrites value-log files that are at least half garbage, a few per round.
func (s *Store) gcValueLog() {
	for range 4 {
		select {
		case <-s.done:
			return
		default:
		}
		err := s.db.RunValueLogGC(0.5)
		if err != nil {
			if !errors.Is(err, badger.ErrNoRewrite) && !errors.Is(err, badger.ErrRejected) {
				s.log.Warn("value-log gc failed", "err", err)
			}
			return
		}
	}
}
