package store

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

// openTest opens a store in a fresh temp dir with auto compaction off; edit adjusts the config.
func openTest(t testing.TB, edit func(*Config)) *Store {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Dir = t.TempDir()
	cfg.CompactInterval = -1
	if edit != nil {
		edit(&cfg)
	}
	s, err := Open(cfg)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

func mustCreate(t testing.TB, s *Store, key, val string) KV {
	t.Helper()
	kv, err := s.Create(key, []byte(val))
	if err != nil {
		t.Fatalf("create %s: %v", key, err)
	}
	return kv
}

func TestContract(t *testing.T) {
	s := openTest(t, nil)
	a := mustCreate(t, s, "pods/a", "a1") // rev 1
	mustCreate(t, s, "pods/b", "b1")      // rev 2
	mustCreate(t, s, "nodes/n1", "n1")    // rev 3

	tests := []struct {
		name    string
		do      func() (KV, error)
		wantErr error
		want    KV
	}{
		{"get", func() (KV, error) { return s.Get("pods/a") }, nil, KV{Key: "pods/a", Value: []byte("a1"), Rev: 1, CreateRev: 1}},
		{"get missing", func() (KV, error) { return s.Get("pods/zz") }, ErrNotFound, KV{}},
		{"get empty key", func() (KV, error) { return s.Get("") }, ErrInvalid, KV{}},
		{"create exists", func() (KV, error) { return s.Create("pods/a", []byte("x")) }, ErrExists, KV{}},
		{"create empty key", func() (KV, error) { return s.Create("", []byte("x")) }, ErrInvalid, KV{}},
		{"create too large", func() (KV, error) { return s.Create("big", make([]byte, MaxValueSize+1)) }, ErrInvalid, KV{}},
		{"update stale", func() (KV, error) { return s.Update("pods/a", []byte("a2"), a.Rev+10) }, ErrConflict, KV{}},
		{"update missing", func() (KV, error) { return s.Update("pods/zz", []byte("x"), 0) }, ErrNotFound, KV{}},
		{"update negative rev", func() (KV, error) { return s.Update("pods/a", []byte("x"), -1) }, ErrInvalid, KV{}},
		{"update cas", func() (KV, error) { return s.Update("pods/a", []byte("a2"), a.Rev) }, nil, KV{Key: "pods/a", Value: []byte("a2"), Rev: 4, CreateRev: 1}},
		{"update stale after update", func() (KV, error) { return s.Update("pods/a", []byte("a3"), a.Rev) }, ErrConflict, KV{}},
		{"update any", func() (KV, error) { return s.Update("pods/a", []byte("a3"), 0) }, nil, KV{Key: "pods/a", Value: []byte("a3"), Rev: 5, CreateRev: 1}},
		{"delete stale", func() (KV, error) { return s.Delete("pods/b", 1) }, ErrConflict, KV{}},
		{"delete", func() (KV, error) { return s.Delete("pods/b", 2) }, nil, KV{Key: "pods/b", Value: []byte("b1"), Rev: 6, CreateRev: 2}},
		{"delete missing", func() (KV, error) { return s.Delete("pods/b", 0) }, ErrNotFound, KV{}},
		{"get deleted", func() (KV, error) { return s.Get("pods/b") }, ErrNotFound, KV{}},
		{"recreate", func() (KV, error) { return s.Create("pods/b", []byte("b2")) }, nil, KV{Key: "pods/b", Value: []byte("b2"), Rev: 7, CreateRev: 7}},
		{"empty value", func() (KV, error) { return s.Create("pods/e", nil) }, nil, KV{Key: "pods/e", Value: []byte{}, Rev: 8, CreateRev: 8}},
	}
	for _, tt := range tests { // in order: each case builds on the ones before
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.do()
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if !kvEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	if got := s.Rev(); got != 8 {
		t.Fatalf("Rev = %d, want 8 (failed ops consume no revision)", got)
	}
}

func kvEqual(a, b KV) bool {
	return a.Key == b.Key && string(a.Value) == string(b.Value) && a.Rev == b.Rev && a.CreateRev == b.CreateRev
}

func TestList(t *testing.T) {
	s := openTest(t, nil)
	for _, k := range []string{"pods/ns1/b", "pods/ns1/a", "pods/ns2/c", "nodes/n1", "podsx"} {
		mustCreate(t, s, k, "v-"+k)
	}
	if _, err := s.Update("pods/ns1/a", []byte("v2"), 0); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"pods/ns1/", []string{"pods/ns1/a", "pods/ns1/b"}},
		{"pods/", []string{"pods/ns1/a", "pods/ns1/b", "pods/ns2/c"}},
		{"pods", []string{"pods/ns1/a", "pods/ns1/b", "pods/ns2/c", "podsx"}},
		{"", []string{"nodes/n1", "pods/ns1/a", "pods/ns1/b", "pods/ns2/c", "podsx"}},
		{"services/", nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("prefix=%q", tt.prefix), func(t *testing.T) {
			kvs, rev, err := s.List(tt.prefix)
			if err != nil {
				t.Fatal(err)
			}
			if rev != 6 {
				t.Errorf("rev = %d, want 6", rev)
			}
			var keys []string
			for _, kv := range kvs {
				keys = append(keys, kv.Key)
			}
			if !slices.Equal(keys, tt.want) {
				t.Errorf("keys = %q, want %q", keys, tt.want)
			}
		})
	}
	kvs, _, _ := s.List("pods/ns1/a")
	if len(kvs) != 1 || !kvEqual(kvs[0], KV{Key: "pods/ns1/a", Value: []byte("v2"), Rev: 6, CreateRev: 2}) {
		t.Errorf("list pods/ns1/a = %+v", kvs)
	}
}

func TestApplyMixed(t *testing.T) {
	s := openTest(t, nil)
	mustCreate(t, s, "x", "x1") // rev 1
	ops := []Op{
		{Type: OpCreate, Key: "a", Value: []byte("a1")},               // rev 2
		{Type: OpCreate, Key: "a", Value: []byte("again")},            // exists: sees the op before it
		{Type: OpUpdate, Key: "a", Value: []byte("a2"), ExpectRev: 2}, // rev 3
		{Type: OpUpdate, Key: "x", Value: []byte("x2"), ExpectRev: 7}, // conflict
		{Type: OpDelete, Key: "missing"},                              // not found
		{Type: OpType(9), Key: "bad"},                                 // invalid
		{Type: OpCreate, Key: ""},                                     // invalid
		{Type: OpDelete, Key: "x", ExpectRev: 1},                      // rev 4
		{Type: OpCreate, Key: "x", Value: []byte("x3")},               // rev 5
	}
	want := []struct {
		err error
		kv  KV
	}{
		{nil, KV{Key: "a", Value: []byte("a1"), Rev: 2, CreateRev: 2}},
		{ErrExists, KV{}},
		{nil, KV{Key: "a", Value: []byte("a2"), Rev: 3, CreateRev: 2}},
		{ErrConflict, KV{}},
		{ErrNotFound, KV{}},
		{ErrInvalid, KV{}},
		{ErrInvalid, KV{}},
		{nil, KV{Key: "x", Value: []byte("x1"), Rev: 4, CreateRev: 1}},
		{nil, KV{Key: "x", Value: []byte("x3"), Rev: 5, CreateRev: 5}},
	}
	res := s.Apply(ops)
	for i, r := range res {
		if !errors.Is(r.Err, want[i].err) {
			t.Errorf("op %d: err = %v, want %v", i, r.Err, want[i].err)
		}
		if r.Err == nil && !kvEqual(r.KV, want[i].kv) {
			t.Errorf("op %d: kv = %+v, want %+v", i, r.KV, want[i].kv)
		}
	}
	if s.Rev() != 5 {
		t.Errorf("Rev = %d, want 5", s.Rev())
	}
	if got := s.Apply(nil); len(got) != 0 {
		t.Errorf("Apply(nil) = %v", got)
	}
}

// TestApplyLarge spans several commits (MaxBatch 16) in one call.
func TestApplyLarge(t *testing.T) {
	s := openTest(t, func(c *Config) { c.MaxBatch = 16 })
	ops := make([]Op, 100)
	for i := range ops {
		ops[i] = Op{Type: OpCreate, Key: fmt.Sprintf("k%03d", i), Value: []byte("v")}
	}
	for i, r := range s.Apply(ops) {
		if r.Err != nil || r.KV.Rev != int64(i+1) {
			t.Fatalf("op %d: %+v", i, r)
		}
	}
	kvs, rev, err := s.List("k")
	if err != nil || len(kvs) != 100 || rev != 100 {
		t.Fatalf("list: %d keys at rev %d, err %v", len(kvs), rev, err)
	}
}

func TestClosed(t *testing.T) {
	s := openTest(t, nil)
	mustCreate(t, s, "a", "1")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	checks := map[string]error{}
	_, checks["get"] = s.Get("a")
	_, _, checks["list"] = s.List("")
	_, checks["create"] = s.Create("b", nil)
	_, checks["watch"] = s.Watch(t.Context(), "", 0)
	checks["compact"] = s.Compact(1)
	for name, err := range checks {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after close: %v, want ErrClosed", name, err)
		}
	}
}

func TestReopen(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.Dir, cfg.CompactInterval = dir, -1
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		mustCreate(t, s, fmt.Sprintf("k%d", i), "v")
	}
	if err := s.Compact(4); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openTest(t, func(c *Config) { c.Dir = dir })
	if s.Rev() != 10 || s.CompactedRev() != 4 {
		t.Fatalf("after reopen Rev=%d CompactedRev=%d, want 10 and 4", s.Rev(), s.CompactedRev())
	}
	kv, err := s.Get("k7")
	if err != nil || kv.Rev != 8 {
		t.Fatalf("get k7 = %+v, %v", kv, err)
	}
	if kv := mustCreate(t, s, "new", "v"); kv.Rev != 11 {
		t.Fatalf("next revision = %d, want 11", kv.Rev)
	}
}

func TestOpenInvalid(t *testing.T) {
	if _, err := Open(Config{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("open with no dir: %v", err)
	}
}
