package store

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Config configures a Store.
type Config struct {
	Dir             string        // badger in Dir/db, blobs in Dir/blobs
	Logger          *slog.Logger  // nil = discard
	CompactKeep     int64         // change-log revisions kept by auto compaction; 0 = 100000
	CompactInterval time.Duration // auto compaction and value-log GC period; 0 = 1m, negative = off
	MaxBatch        int           // ops per group commit; 0 = 512
}

const (
	defaultCompactKeep     = 100000
	defaultCompactInterval = time.Minute
	defaultMaxBatch        = 512

	// MaxValueSize is the largest value one key may hold.
	MaxValueSize = 4 << 20
	// MaxKeySize is the longest key.
	MaxKeySize = 4096
)

// DefaultConfig returns the defaults; the caller sets Dir.
func DefaultConfig() Config {
	return Config{
		CompactKeep:     defaultCompactKeep,
		CompactInterval: defaultCompactInterval,
		MaxBatch:        defaultMaxBatch,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.CompactKeep <= 0 {
		c.CompactKeep = d.CompactKeep
	}
	if c.CompactInterval == 0 {
		c.CompactInterval = d.CompactInterval
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = d.MaxBatch
	}
	return c
}

// KV is one key's value and revisions.
type KV struct {
	Key       string
	Value     []byte
	Rev       int64 // revision of the last modification (for a delete result or event: the delete's)
	CreateRev int64
}

// Errors callers test with errors.Is.
var (
	ErrNotFound       = errors.New("not found")
	ErrExists         = errors.New("already exists")
	ErrConflict       = errors.New("revision conflict")
	ErrCompacted      = errors.New("revision compacted")
	ErrClosed         = errors.New("store closed")
	ErrDigestMismatch = errors.New("digest mismatch")
	ErrInvalid        = errors.New("invalid argument")
)

// Store is a revisioned key-value store on badger plus a blob directory. It is safe for
// concurrent use.
type Store struct {
	cfg     Config
	log     *slog.Logger
	db      *badger.DB
	blobDir string

	rev       atomic.Int64 // last committed revision
	compacted atomic.Int64

	closeMu    sync.RWMutex // held shared by every call that uses db; Close takes it exclusively
	closed     bool
	isClosed   atomic.Bool   // closed, for the blob calls that do not hold closeMu
	reqs       chan *request // to the writer; closed by Close
	writerDone chan struct{}
	done       chan struct{}  // closed once the writer has stopped: ends watchers and the compactor
	bg         sync.WaitGroup // watcher pumps and the compactor

	hub       hub
	compactMu sync.Mutex
}

// Open opens or creates the store in cfg.Dir.
func Open(cfg Config) (*Store, error) {
	cfg = cfg.withDefaults()
	if cfg.Dir == "" {
		return nil, fmt.Errorf("open store: %w: empty dir", ErrInvalid)
	}
	blobDir := filepath.Join(cfg.Dir, "blobs")
	if err := prepareBlobDir(blobDir); err != nil {
		return nil, fmt.Errorf("open store %s: %w", cfg.Dir, err)
	}
	db, err := badger.Open(badgerOptions(filepath.Join(cfg.Dir, "db"), cfg.Logger))
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", cfg.Dir, err)
	}
	s := &Store{
		cfg:        cfg,
		log:        cfg.Logger,
		db:         db,
		blobDir:    blobDir,
		reqs:       make(chan *request, cfg.MaxBatch),
		writerDone: make(chan struct{}),
		done:       make(chan struct{}),
	}
	if err := s.loadMeta(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open store %s: %w", cfg.Dir, err)
	}
	s.hub.init(s.rev.Load())
	go s.writeLoop()
	if cfg.CompactInterval > 0 {
		s.bg.Add(1)
		go s.compactLoop(cfg.CompactInterval)
	}
	return s, nil
}

// loadMeta checks the layout version (writing it into a new store) and restores the counters.
func (s *Store) loadMeta() error {
	return s.db.Update(func(txn *badger.Txn) error {
		format, found, err := getInt(txn, metaFormatKey)
		switch {
		case err != nil:
			return fmt.Errorf("read layout version: %w", err)
		case !found:
			if err := txn.Set([]byte(metaFormatKey), encodeInt(formatVersion)); err != nil {
				return fmt.Errorf("write layout version: %w", err)
			}
		case format != formatVersion:
			return fmt.Errorf("unsupported layout version %d (want %d)", format, formatVersion)
		}
		rev, _, err := getInt(txn, metaRevKey)
		if err != nil {
			return fmt.Errorf("read revision: %w", err)
		}
		compacted, _, err := getInt(txn, metaCompactedKey)
		if err != nil {
			return fmt.Errorf("read compacted revision: %w", err)
		}
		s.rev.Store(rev)
		s.compacted.Store(compacted)
		return nil
	})
}

// Close finishes the writes already queued, ends every watch and closes the database. Calls
// after Close return ErrClosed; a second Close returns nil.
func (s *Store) Close() error {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return nil
	}
	s.closed = true
	s.isClosed.Store(true)
	close(s.reqs)
	s.closeMu.Unlock()

	<-s.writerDone
	close(s.done)
	s.bg.Wait()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// Rev returns the revision of the last commit; 0 for an empty store.
func (s *Store) Rev() int64 { return s.rev.Load() }

// CompactedRev returns the revision up to which the change log has been dropped.
func (s *Store) CompactedRev() int64 { return s.compacted.Load() }

// view runs fn in a read transaction unless the store is closed.
func (s *Store) view(fn func(txn *badger.Txn) error) error {
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	return s.db.View(fn)
}

func checkKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty key", ErrInvalid)
	case len(key) > MaxKeySize:
		return fmt.Errorf("%w: key of %d bytes exceeds %d", ErrInvalid, len(key), MaxKeySize)
	}
	return nil
}

func getInt(txn *badger.Txn, key string) (int64, bool, error) {
	item, err := txn.Get([]byte(key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	var v int64
	err = item.Value(func(b []byte) error {
		v, err = decodeInt(b)
		return err
	})
	return v, err == nil, err
}
