// Package build compiles the repository's guest programs for tests and benchmarks: Go programs
// for wasip1 with the go command, the C sample with clang and wasi-libc. Each is built once per
// test binary.
package build

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

var (
	mu    sync.Mutex
	dir   string
	built = map[string][]byte{}
)

// root is the repository's root folder.
func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func outDir(tb testing.TB) string {
	if dir == "" {
		d, err := os.MkdirTemp("", "wk-guests")
		if err != nil {
			tb.Fatal(err)
		}
		dir = d
	}
	return dir
}

// Go builds the Go program in pkg (relative to the repository root, e.g. "samples/hello") for
// GOOS=wasip1 and returns the module.
func Go(tb testing.TB, pkg string) []byte {
	tb.Helper()
	mu.Lock()
	defer mu.Unlock()
	if b, ok := built[pkg]; ok {
		return b
	}
	out := filepath.Join(outDir(tb), filepath.Base(pkg)+".wasm")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, "./"+pkg)
	cmd.Dir = root()
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("build %s: %v\n%s", pkg, err, b)
	}
	return read(tb, pkg, out)
}

// C builds the C sample (samples/hello-c) with clang and wasi-libc. Without clang it skips the
// caller, or fails it when CI=true, naming the packages to install.
func C(tb testing.TB) []byte {
	tb.Helper()
	if _, err := exec.LookPath("clang"); err != nil {
		msg := "the C sample needs clang: apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32"
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	mu.Lock()
	defer mu.Unlock()
	const pkg = "samples/hello-c"
	if b, ok := built[pkg]; ok {
		return b
	}
	out := filepath.Join(outDir(tb), "hello-c.wasm")
	cmd := exec.Command("clang", "--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-Wl,--strip-all", "-o", out, filepath.Join(root(), pkg, "hello.c"))
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("clang: %v\n%s", err, b)
	}
	return read(tb, pkg, out)
}

func read(tb testing.TB, pkg, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	built[pkg] = b
	return b
}
