package wasmrt

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runProbe runs the probe to completion and returns its stdout.
func runProbe(t *testing.T, s *Sandbox, c ContainerConfig, args ...string) (ExitStatus, string) {
	t.Helper()
	p, stdout, stderr := probe(t, s, c, args...)
	st := waitExit(t, p, 20*time.Second)
	if st.Reason == ReasonError && st.Code != 1 {
		t.Logf("stderr: %s", stderr)
	}
	return st, stdout.String()
}

func TestSharedVolume(t *testing.T) {
	dir := t.TempDir()
	s := newSandbox(t, SandboxConfig{Volumes: map[string]string{"shared": dir}})
	writer := ContainerConfig{Name: "writer", Mounts: []Mount{{Volume: "shared", Path: "/data"}}}
	if st, out := runProbe(t, s, writer, "write", "/data/msg", "hi from writer"); out != "ok\n" {
		t.Fatalf("writer: %+v %q", st, out)
	}
	reader := ContainerConfig{Name: "reader", Mounts: []Mount{{Volume: "shared", Path: "/in", ReadOnly: true}}}
	if _, out := runProbe(t, s, reader, "read", "/in/msg"); out != "hi from writer" {
		t.Errorf("reader got %q", out)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "msg")); err != nil || string(b) != "hi from writer" {
		t.Errorf("host sees %q, %v", b, err)
	}
}

func TestVolumeFileOperations(t *testing.T) {
	dir := t.TempDir()
	s := newSandbox(t, SandboxConfig{Volumes: map[string]string{"v": dir}})
	st, out := runProbe(t, s, ContainerConfig{Mounts: []Mount{{Volume: "v", Path: "/v"}}}, "fsops", "/v")
	if want := "readat=345 size=7 entries=b,g mtime=1000000000\n"; out != want {
		t.Errorf("%+v: got %q, want %q", st, out, want)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "a", "g")); string(b) != "1234567" {
		t.Errorf("host sees %q", b)
	}
}

func TestReadOnlyVolume(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "old"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newSandbox(t, SandboxConfig{Volumes: map[string]string{"config": dir}})
	ro := ContainerConfig{Mounts: []Mount{{Volume: "config", Path: "/etc/config", ReadOnly: true}}}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"create", []string{"write", "/etc/config/new", "x"}, "read-only file system"},
		{"overwrite", []string{"write", "/etc/config/old", "x"}, "read-only file system"},
		{"create opening read-only", []string{"touch", "/etc/config/new"}, "read-only file system"},
		{"read", []string{"read", "/etc/config/old"}, "old"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, out := runProbe(t, s, ro, tt.args...); !strings.Contains(strings.ToLower(out), tt.want) {
				t.Errorf("got %q, want it to contain %q", out, tt.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "new")); !os.IsNotExist(err) {
		t.Errorf("new file exists: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "old")); string(b) != "old" {
		t.Errorf("old file now %q", b)
	}
}

func TestVolumeConfinement(t *testing.T) {
	base := t.TempDir()
	vol := filepath.Join(base, "vol")
	for _, err := range []error{
		os.Mkdir(vol, 0o755),
		os.WriteFile(filepath.Join(base, "outside.txt"), []byte("secret"), 0o644),
		os.WriteFile(filepath.Join(vol, "file.txt"), []byte("inside"), 0o644),
		os.Symlink(base, filepath.Join(vol, "abs-link")),
		os.Symlink("file.txt", filepath.Join(vol, "inside-link")),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	s := newSandbox(t, SandboxConfig{Volumes: map[string]string{"v": vol}})
	_, out := runProbe(t, s, ContainerConfig{Mounts: []Mount{{Volume: "v", Path: "/data"}}}, "escape", "/data")
	for _, want := range []string{
		"dotdot: denied",
		"host-abs-link: denied",
		"guest-abs-link: denied",
		"symlink-up-created: true",
		"guest-up-link: denied",
		"guest-up-write: denied",
		"inside-link: true",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("want %q in:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(base, "planted.txt")); !os.IsNotExist(err) {
		t.Errorf("guest planted a file outside the volume: %v", err)
	}
}
