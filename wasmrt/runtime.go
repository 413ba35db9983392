package wasmrt

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/tetratelabs/wazero"
)

// Config configures a Runtime.
type Config struct {
	// CacheDir holds wazero's on-disk compilation cache. Empty keeps compiled
	// code in memory only.
	CacheDir string
	// Logger receives diagnostics. Nil discards them.
	Logger *slog.Logger
}

// DefaultConfig returns a Config that caches compiled code in memory only.
func DefaultConfig() Config { return Config{} }

// ErrNotLoaded is returned by Start for a digest that was never loaded.
var ErrNotLoaded = errors.New("module not loaded")

// Runtime compiles and runs WebAssembly modules.
type Runtime struct {
	log   *slog.Logger
	cache wazero.CompilationCache
	wz    wazero.Runtime
	wasi  *wasiHost

	mu      sync.Mutex
	modules map[string]*compiled
}

// compiled is one module, compiled once per digest.
type compiled struct {
	ready chan struct{}
	mod   wazero.CompiledModule
	err   error
}

// New makes a Runtime. Close releases it.
func New(ctx context.Context, cfg Config) (*Runtime, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cache := wazero.NewCompilationCache()
	if cfg.CacheDir != "" {
		var err error
		if cache, err = wazero.NewCompilationCacheWithDir(cfg.CacheDir); err != nil {
			return nil, fmt.Errorf("open compilation cache %s: %w", cfg.CacheDir, err)
		}
	}
	wz := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().
		WithCompilationCache(cache).
		WithCloseOnContextDone(true))
	wasi, err := instantiateWASI(ctx, wz)
	if err != nil {
		_ = wz.Close(ctx)
		_ = cache.Close(ctx)
		return nil, err
	}
	return &Runtime{log: log, cache: cache, wz: wz, wasi: wasi, modules: map[string]*compiled{}}, nil
}

// Close stops every module still running and releases compiled code.
func (r *Runtime) Close(ctx context.Context) error {
	err := r.wz.Close(ctx)
	if cerr := r.cache.Close(ctx); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("close runtime: %w", err)
	}
	return nil
}

// Load compiles wasm under digest ("sha256:<hex>", checked against wasm).
// A digest already loaded is not compiled again; the on-disk cache makes the
// first Load after a restart cheap.
func (r *Runtime) Load(ctx context.Context, digest string, wasm []byte) error {
	if err := checkDigest(digest, wasm); err != nil {
		return err
	}
	r.mu.Lock()
	c, ok := r.modules[digest]
	if !ok {
		c = &compiled{ready: make(chan struct{})}
		r.modules[digest] = c
	}
	r.mu.Unlock()
	if ok {
		<-c.ready
		return c.err
	}
	c.mod, c.err = r.wz.CompileModule(ctx, wasm)
	if c.err != nil {
		c.err = fmt.Errorf("compile %s: %w", digest, c.err)
		r.mu.Lock()
		delete(r.modules, digest)
		r.mu.Unlock()
	}
	close(c.ready)
	return c.err
}

// module returns the compiled module of digest.
func (r *Runtime) module(digest string) (wazero.CompiledModule, error) {
	r.mu.Lock()
	c, ok := r.modules[digest]
	r.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%s: %w", digest, ErrNotLoaded)
	}
	<-c.ready
	if c.err != nil {
		return nil, fmt.Errorf("%s: %w", digest, ErrNotLoaded)
	}
	return c.mod, nil
}

// Digest returns the digest Load expects for wasm.
func Digest(wasm []byte) string {
	sum := sha256.Sum256(wasm)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func checkDigest(digest string, wasm []byte) error {
	if !strings.HasPrefix(digest, "sha256:") {
		return fmt.Errorf("load %q: digest must be sha256:<hex>", digest)
	}
	if got := Digest(wasm); got != digest {
		return fmt.Errorf("load %s: content has digest %s", digest, got)
	}
	return nil
}

// Loaded reports whether digest is compiled and ready to start.
func (r *Runtime) Loaded(digest string) bool {
	r.mu.Lock()
	c, ok := r.modules[digest]
	r.mu.Unlock()
	if !ok {
		return false
	}
	select {
	case <-c.ready:
		return c.err == nil
	default:
		return false
	}
}
