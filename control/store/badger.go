package store

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/dgraph-io/badger/v4"
)

// Badger tuning for a small machine (the defaults assume a server with GBs to spare: 5 memtables
// of 64 MiB, a 256 MiB block cache, 4 compactors):
//   - memtables: 2 of 16 MiB, so at most ~32 MiB of write buffers;
//   - block cache 16 MiB (needed for compressed tables), index cache unbounded (indexes are small
//     for a control-plane sized store);
//   - values of 1 KiB and more go to the value log, so the LSM tree stays small and a transaction
//     is limited by its number of entries, not by the size of the objects; value-log files of
//     64 MiB, small enough for value-log GC to reclaim space left by compaction;
//   - 2 compactors, 2 goroutines for streams, no metrics, no conflict detection (there is a
//     single writer goroutine).
const (
	memTableSize     = 16 << 20
	valueThreshold   = 1 << 10
	valueLogFileSize = 64 << 20
	// maxTxnBytes caps the raw bytes of one transaction to bound the writer's memory.
	maxTxnBytes = 64 << 20
)

func badgerOptions(dir string, log *slog.Logger) badger.Options {
	return badger.DefaultOptions(dir).
		WithSyncWrites(true).
		WithLogger(badgerLogger{log}).
		WithMemTableSize(memTableSize).
		WithNumMemtables(2).
		WithBlockCacheSize(16 << 20).
		WithValueThreshold(valueThreshold).
		WithValueLogFileSize(valueLogFileSize).
		WithNumCompactors(2).
		WithNumGoroutines(2).
		WithMetricsEnabled(false).
		WithDetectConflicts(false)
}

// txnCost is what a transaction's entries count against badger's limits (ErrTxnTooBig).
type txnCost struct{ size, count, raw int64 }

func (c txnCost) add(d txnCost) txnCost {
	return txnCost{c.size + d.size, c.count + d.count, c.raw + d.raw}
}

// entryCost mirrors badger's Entry.estimateSizeAndSetThreshold, plus slack.
func entryCost(keyLen, valLen int) txnCost {
	size := keyLen + 2 + 16
	if valLen < valueThreshold {
		size += valLen
	} else {
		size += 12 // value pointer
	}
	return txnCost{size: int64(size), count: 1, raw: int64(keyLen + valLen)}
}

// costOf is the cost of staging ev: the object (or its tombstone) and the change record.
func costOf(ev *Event) txnCost {
	key := len(ev.KV.Key)
	obj := entryCost(len(objPrefix)+key, objHeaderLen+len(ev.KV.Value))
	if ev.Type == Deleted {
		obj = entryCost(len(objPrefix)+key, 0)
	}
	change := entryCost(len(logPrefix)+revLen+key, changeSizeBound(ev))
	return obj.add(change)
}

// fits reports whether c still fits in the open transaction, leaving room for the revision key.
func (w *writer) fits(c txnCost) bool {
	u := w.used.add(c).add(entryCost(len(metaRevKey), revLen))
	return u.size <= w.s.db.MaxBatchSize() && u.count <= w.s.db.MaxBatchCount() && u.raw <= maxTxnBytes
}

// badgerLogger sends badger's logging to slog: errors and warnings at their level, the chatty
// rest at debug.
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any)   { b.log(slog.LevelError, f, a) }
func (b badgerLogger) Warningf(f string, a ...any) { b.log(slog.LevelWarn, f, a) }
func (b badgerLogger) Infof(f string, a ...any)    { b.log(slog.LevelDebug, f, a) }
func (b badgerLogger) Debugf(f string, a ...any)   { b.log(slog.LevelDebug, f, a) }

func (b badgerLogger) log(level slog.Level, f string, a []any) {
	ctx := context.Background()
	if !b.l.Enabled(ctx, level) {
		return
	}
	b.l.Log(ctx, level, strings.TrimSpace(fmt.Sprintf(f, a...)), "component", "badger")
}
