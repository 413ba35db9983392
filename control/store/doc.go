// Package store is wk's durable, revisioned key-value store: the part of the control plane that
// plays etcd to the API server. It is the only package that imports badger, and it knows nothing
// about the objects it holds: values are opaque bytes under string keys, and callers encode
// objects and copy the revision into resourceVersion themselves.
//
// It owns:
//   - one global revision counter: every successful create, update or delete gets the next
//     revision, and the object, its change record and the new counter are written in the same
//     badger transaction, synced before the write is acknowledged;
//   - compare-and-swap on a key's revision (ErrConflict), consistent prefix lists that carry the
//     revision of their snapshot;
//   - watches that replay the change log after a revision and then follow live, in order and
//     without gaps, and compaction of that log (ErrCompacted, the API's 410 Gone);
//   - content-addressed blobs (wasm modules) as plain files.
//
// # Writes
//
// A single writer goroutine owns every write. It drains queued operations (up to
// Config.MaxBatch), checks each one's precondition inside one badger transaction, in which ops
// earlier in the batch are already visible, gives consecutive revisions to those that pass,
// commits once (one fsync for the whole group), then publishes the events to watchers and
// acknowledges the callers. Failed ops consume no revision. If a commit fails, the store stops
// accepting writes (as etcd does), since it can no longer tell what is on disk.
//
// # Key layout (badger)
//
//	m/format             8-byte big-endian layout version (1)
//	m/rev                8-byte big-endian revision of the last commit
//	m/compacted          8-byte big-endian revision up to which the change log was dropped
//	o/<key>              object: createRev (8 bytes BE) | modRev (8 bytes BE) | value
//	l/<rev 8 bytes BE><key>  change record of revision rev: type (1 byte) | createRev (uvarint) |
//	                     len(value) (uvarint) | value | previous value (rest, Modified only)
//
// The change log key carries the object key so a watch can filter by prefix without reading
// values; for a Deleted record the value is the object's last value.
//
// # Files
//
//	<Dir>/db/                   badger
//	<Dir>/blobs/sha256/<hex>    blobs, named by the hex SHA-256 of their content
//	<Dir>/blobs/tmp/            uploads in progress (cleared on Open)
//
// Values handed out in KVs and Events may be shared between callers and watchers: treat them as
// read-only.
package store
