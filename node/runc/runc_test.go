package runc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const busybox = "/usr/bin/busybox"

// requireRunc skips a test that needs runc, busybox and root, except in CI, where it fails.
func requireRunc(t *testing.T) {
	t.Helper()
	_, ok := Available()
	if _, err := os.Stat(busybox); err != nil {
		ok = false
	}
	if ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("install runc: apt-get install -y runc busybox-static (and run as root)")
	}
	t.Skip("needs runc, busybox-static and root")
}

// busyboxRootfs makes a rootfs holding busybox and the applets the tests use.
func busyboxRootfs(t *testing.T) string {
	t.Helper()
	rootfs := filepath.Join(t.TempDir(), "rootfs")
	bin := filepath.Join(rootfs, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(busybox)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "busybox"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, applet := range []string{"sh", "echo", "sleep", "cat", "hostname"} {
		if err := os.Symlink("busybox", filepath.Join(bin, applet)); err != nil {
			t.Fatal(err)
		}
	}
	return rootfs
}

// container is one created container and the files of its bundle.
type container struct {
	rt     *Runtime
	id     string
	stdout string // path of the stdout log
}

// newContainer creates (without starting) a container running args in a pod named pod-a, and
// force-deletes it at the end of the test.
func newContainer(t *testing.T, args ...string) *container {
	t.Helper()
	requireRunc(t)
	dir := t.TempDir()
	rt := &Runtime{Root: filepath.Join(dir, "state")}
	id := fmt.Sprintf("wk-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	spec, err := Spec(SpecInput{Rootfs: busyboxRootfs(t), Command: args, Hostname: "pod-a"})
	if err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(dir, "bundle")
	if err := WriteBundle(bundle, spec); err != nil {
		t.Fatal(err)
	}
	stdout, stderr := createFile(t, dir, "stdout.log"), createFile(t, dir, "stderr.log")
	if err := rt.Create(context.Background(), id, bundle, stdout, stderr); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Delete(context.Background(), id, true) })
	return &container{rt: rt, id: id, stdout: stdout.Name()}
}

func createFile(t *testing.T, dir, name string) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func (c *container) wantStatus(t *testing.T, want Status) State {
	t.Helper()
	st, err := c.rt.State(testContext(t), c.id)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != want {
		t.Fatalf("status = %s, want %s", st.Status, want)
	}
	return st
}

func TestRuncExitCodeAndOutput(t *testing.T) {
	c := newContainer(t, "sh", "-c", "echo hello; hostname; exit 3")
	ctx := testContext(t)
	if st := c.wantStatus(t, StatusCreated); st.Pid <= 0 {
		t.Fatalf("created container has pid %d", st.Pid)
	}
	if err := c.rt.Start(ctx, c.id); err != nil {
		t.Fatal(err)
	}
	code, err := c.rt.Wait(ctx, c.id)
	if err != nil || code != 3 {
		t.Fatalf("Wait = %d, %v; want 3, nil", code, err)
	}
	c.wantStatus(t, StatusStopped)
	out, err := os.ReadFile(c.stdout)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "hello\npod-a\n" {
		t.Fatalf("stdout = %q, want %q", out, "hello\npod-a\n")
	}
}

func TestRuncKill(t *testing.T) {
	// The init is pid 1 of its namespace: without a handler, it would ignore SIGTERM.
	c := newContainer(t, "sh", "-c", "trap 'exit 143' TERM; sleep 100 & wait")
	ctx := testContext(t)
	if err := c.rt.Start(ctx, c.id); err != nil {
		t.Fatal(err)
	}
	c.wantStatus(t, StatusRunning)
	time.Sleep(100 * time.Millisecond) // let sh set its trap
	if err := c.rt.Kill(ctx, c.id, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	code, err := c.rt.Wait(waitCtx, c.id)
	if err != nil || code != 143 {
		t.Fatalf("Wait = %d, %v; want 143, nil within a second", code, err)
	}
}

func TestRuncExec(t *testing.T) {
	c := newContainer(t, "sleep", "100")
	ctx := testContext(t)
	if err := c.rt.Start(ctx, c.id); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code, err := c.rt.Exec(ctx, c.id, []string{"hostname"}, nil, &stdout, &stderr)
	if err != nil || code != 0 {
		t.Fatalf("Exec hostname = %d, %v (stderr %q)", code, err, stderr.String())
	}
	if stdout.String() != "pod-a\n" {
		t.Fatalf("Exec hostname printed %q, want %q", stdout.String(), "pod-a\n")
	}
	code, err = c.rt.Exec(ctx, c.id, []string{"sh", "-c", "cat; exit 5"}, strings.NewReader("in"), &stdout, nil)
	if err != nil || code != 5 {
		t.Fatalf("Exec exit 5 = %d, %v", code, err)
	}
	if _, err := c.rt.Exec(ctx, c.id, []string{"/no/such/binary"}, nil, nil, nil); err == nil {
		t.Fatal("Exec of a missing binary: no error")
	}
}

func TestRuncDelete(t *testing.T) {
	c := newContainer(t, "sleep", "100")
	ctx := testContext(t)
	if err := c.rt.Start(ctx, c.id); err != nil {
		t.Fatal(err)
	}
	pid := c.wantStatus(t, StatusRunning).Pid
	if err := c.rt.Delete(ctx, c.id, false); err == nil {
		t.Fatal("Delete of a running container without force: no error")
	}
	if err := c.rt.Delete(ctx, c.id, true); err != nil {
		t.Fatal(err)
	}
	_, err := c.rt.State(ctx, c.id)
	if err == nil || !strings.Contains(err.Error(), "runc state") {
		t.Fatalf("State after Delete: %v, want a runc state error", err)
	}
	if _, err := os.Stat(filepath.Join(c.rt.Root, c.id)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("state dir after Delete: %v", err)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("init %d after Delete: %v, want it reaped", pid, err)
	}
	if code, err := c.rt.Wait(ctx, c.id); err == nil {
		t.Fatalf("Wait after Delete = %d, nil; want an error", code)
	}
}

func TestRuncCreateError(t *testing.T) {
	requireRunc(t)
	dir := t.TempDir()
	rt := &Runtime{Root: filepath.Join(dir, "state")}
	spec, err := Spec(SpecInput{Rootfs: filepath.Join(dir, "missing"), Command: []string{"sh"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteBundle(filepath.Join(dir, "bundle"), spec); err != nil {
		t.Fatal(err)
	}
	out := createFile(t, dir, "out.log")
	err = rt.Create(testContext(t), "wk-bad", filepath.Join(dir, "bundle"), out, out)
	if err == nil || !strings.Contains(err.Error(), "runc create wk-bad") {
		t.Fatalf("Create with a missing rootfs: %v", err)
	}
	t.Log(err)
}
