package store

import (
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// Get returns the current value of key, or ErrNotFound.
func (s *Store) Get(key string) (KV, error) {
	if err := checkKey(key); err != nil {
		return KV{}, fmt.Errorf("get %q: %w", key, err)
	}
	var kv KV
	err := s.view(func(txn *badger.Txn) error {
		var found bool
		var err error
		kv, found, err = getObject(txn, key)
		if err == nil && !found {
			err = ErrNotFound
		}
		return err
	})
	if err != nil {
		return KV{}, fmt.Errorf("get %q: %w", key, err)
	}
	return kv, nil
}

// List returns every key with the prefix, sorted by key, and the revision of the snapshot they
// were read from (a watch from that revision misses nothing). An empty prefix lists everything.
func (s *Store) List(prefix string) ([]KV, int64, error) {
	var (
		kvs []KV
		rev int64
	)
	err := s.view(func(txn *badger.Txn) error {
		var err error
		if rev, _, err = getInt(txn, metaRevKey); err != nil {
			return fmt.Errorf("read revision: %w", err)
		}
		opts := badger.DefaultIteratorOptions
		opts.Prefix = objKey(prefix)
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			key := string(item.Key()[len(objPrefix):])
			b, err := item.ValueCopy(nil)
			if err != nil {
				return fmt.Errorf("read %q: %w", key, err)
			}
			kv, err := decodeObject(key, b)
			if err != nil {
				return err
			}
			kvs = append(kvs, kv)
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list %q: %w", prefix, err)
	}
	return kvs, rev, nil
}

// getObject reads key in txn; found is false when it does not exist.
func getObject(txn *badger.Txn, key string) (kv KV, found bool, err error) {
	item, err := txn.Get(objKey(key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return KV{}, false, nil
	}
	if err != nil {
		return KV{}, false, err
	}
	b, err := item.ValueCopy(nil)
	if err != nil {
		return KV{}, false, err
	}
	kv, err = decodeObject(key, b)
	return kv, err == nil, err
}
