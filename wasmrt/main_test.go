package wasmrt

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The guests the tests run, built once per test binary from testdata.
var (
	probeWasm   []byte
	probeDigest string
	testCache   string // compilation cache shared by the tests' runtimes
	shared      *Runtime
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "wasmrt-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	if probeWasm, err = buildGuest(tmp, "./testdata/probe"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	probeDigest = Digest(probeWasm)
	testCache = filepath.Join(tmp, "cache")
	ctx := context.Background()
	if shared, err = New(ctx, Config{CacheDir: testCache}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer shared.Close(ctx)
	if err := shared.Load(ctx, probeDigest, probeWasm); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// buildGuest builds a Go guest for wasip1.
func buildGuest(dir, pkg string) ([]byte, error) {
	out := filepath.Join(dir, filepath.Base(pkg)+".wasm")
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build %s: %w\n%s", pkg, err, b)
	}
	return os.ReadFile(out)
}

var nextAddr = atomic.Uint32{}

func init() { nextAddr.Store(rand.Uint32N(200) << 8) }

// podAddr returns a loopback address no other test uses.
func podAddr() netip.Addr {
	n := nextAddr.Add(1)
	return netip.AddrFrom4([4]byte{127, 77 + byte(n>>16), byte(n >> 8), byte(n)%250 + 2})
}

// newSandbox makes a sandbox on the shared runtime, closed with the test.
func newSandbox(t *testing.T, cfg SandboxConfig) *Sandbox {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "pod"
	}
	if !cfg.Addr.IsValid() {
		cfg.Addr = podAddr()
	}
	s, err := shared.NewSandbox(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// output is a goroutine-safe buffer for a guest's stdout or stderr.
type output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// waitFor polls cond until it holds or the test times out after d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// probe starts the probe guest with args.
func probe(t *testing.T, s *Sandbox, c ContainerConfig, args ...string) (*Process, *output, *output) {
	t.Helper()
	stdout, stderr := &output{}, &output{}
	if c.Name == "" {
		c.Name = "probe"
	}
	c.Digest, c.Args = probeDigest, args
	c.Stdout, c.Stderr = stdout, stderr
	p, err := s.Start(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	return p, stdout, stderr
}

// waitExit waits for p to end, at most d.
func waitExit(t *testing.T, p *Process, d time.Duration) ExitStatus {
	t.Helper()
	select {
	case <-p.Done():
		return p.Wait()
	case <-time.After(d):
		t.Fatalf("process did not end within %v", d)
		return ExitStatus{}
	}
}
