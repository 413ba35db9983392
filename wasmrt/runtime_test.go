package wasmrt

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

func TestCompilationCache(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	load := func() time.Duration {
		r, err := New(ctx, Config{CacheDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close(ctx)
		start := time.Now()
		if err := r.Load(ctx, probeDigest, probeWasm); err != nil {
			t.Fatal(err)
		}
		took := time.Since(start)
		if err := r.Load(ctx, probeDigest, probeWasm); err != nil { // in memory now
			t.Fatal(err)
		}
		return took
	}
	cold, cached := load(), load()
	t.Logf("%d-byte Go module: cold compile %v, from the on-disk cache %v", len(probeWasm), cold, cached)
	if cached > cold/2 {
		t.Errorf("cached load %v is not much faster than cold %v", cached, cold)
	}
}

func TestLoad(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		digest string
		wasm   []byte
		ok     bool
	}{
		{"digest matches", probeDigest, probeWasm, true},
		{"digest differs", Digest([]byte("other")), probeWasm, false},
		{"not sha256", "md5:abc", probeWasm, false},
		{"not wasm", Digest([]byte("not wasm")), []byte("not wasm"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := shared.Load(ctx, tt.digest, tt.wasm); (err == nil) != tt.ok {
				t.Errorf("Load: %v, want ok=%v", err, tt.ok)
			}
		})
	}
	s := newSandbox(t, SandboxConfig{})
	if _, err := s.Start(ctx, ContainerConfig{Name: "x", Digest: Digest([]byte("never loaded"))}); !errors.Is(err, ErrNotLoaded) {
		t.Errorf("Start of an unloaded digest: %v, want ErrNotLoaded", err)
	}
}

func TestInstantiate(t *testing.T) {
	s := newSandbox(t, SandboxConfig{})
	const n = 5
	var total time.Duration
	for range n {
		start := time.Now()
		p, _, _ := probe(t, s, ContainerConfig{}, "exit", "0")
		total += time.Since(start)
		waitExit(t, p, 10*time.Second)
	}
	start := time.Now()
	probe(t, s, ContainerConfig{Ports: []int{8080}}, "serve-sdk")
	httpGet(t, "http://"+s.cfg.Addr.String()+":8080/")
	t.Logf("instantiate (Start) %v on average; Start to first HTTP 200 %v", total/n, time.Since(start))
}

func TestFDTable(t *testing.T) {
	ctx := context.Background()
	compiled, err := shared.module(probeDigest)
	if err != nil {
		t.Fatal(err)
	}
	mod, err := shared.wz.InstantiateModule(ctx, compiled, moduleConfig(&Process{waker: newWaker(nil)}, ContainerConfig{}, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer mod.Close(ctx)
	fds, err := newFDTable(mod)
	if err != nil {
		t.Fatalf("wazero's descriptor table is out of reach (did the wazero version change?): %v", err)
	}
	if _, ok := fds.file(1); !ok {
		t.Error("no stdout at descriptor 1")
	}
	if _, ok := fds.file(3); ok {
		t.Error("a file at descriptor 3 without preopens")
	}
	f := &netDir{ino: 9}
	fd, errno := fds.insert(f)
	if errno != 0 || fd != 3 {
		t.Fatalf("insert = %d, %v; want 3", fd, errno)
	}
	if got, ok := fds.file(3); !ok || got != f {
		t.Errorf("file(3) = %v, %v; want the inserted file", got, ok)
	}
}

func TestSandboxClose(t *testing.T) {
	s, err := shared.NewSandbox(SandboxConfig{Name: "closing", Addr: podAddr()})
	if err != nil {
		t.Fatal(err)
	}
	a, _, _ := probe(t, s, ContainerConfig{}, "sleep")
	b, _, _ := probe(t, s, ContainerConfig{Ports: []int{8080}}, "serve-sdk")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*Process{a, b} {
		if st := waitExit(t, p, time.Second); st.Reason != ReasonKilled {
			t.Errorf("status %+v, want Killed", st)
		}
	}
	if _, err := s.Start(context.Background(), ContainerConfig{Name: "late", Digest: probeDigest}); !errors.Is(err, ErrSandboxClosed) {
		t.Errorf("Start after Close: %v, want ErrSandboxClosed", err)
	}
	// The port is free again.
	s2 := newSandbox(t, SandboxConfig{Addr: s.cfg.Addr})
	probe(t, s2, ContainerConfig{Ports: []int{8080}}, "serve-sdk")
}

func TestNewSandboxChecksVolumes(t *testing.T) {
	file := t.TempDir() + "/file"
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, dir := range map[string]string{"missing": t.TempDir() + "/missing", "file": file} {
		if _, err := shared.NewSandbox(SandboxConfig{Name: "p", Volumes: map[string]string{name: dir}}); err == nil {
			t.Errorf("volume %s: no error", name)
		}
	}
}
