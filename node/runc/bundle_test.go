package runc

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestWriteBundle(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bundle")
	spec, err := Spec(SpecInput{Rootfs: "/var/lib/wk/rootfs/x", Command: []string{"/bin/sh"}, Hostname: "pod-a"})
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteBundle(dir, spec); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got specs.Spec
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if got.Root.Path != "/var/lib/wk/rootfs/x" || got.Hostname != "pod-a" || got.Process.Args[0] != "/bin/sh" {
		t.Fatalf("config.json = root %q, hostname %q, args %q", got.Root.Path, got.Hostname, got.Process.Args)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("bundle holds %d entries, want config.json only", len(entries))
	}
}

func TestWriteBundleRejectsRelativeRoot(t *testing.T) {
	for _, spec := range []*specs.Spec{nil, {}, {Root: &specs.Root{Path: "rootfs"}}} {
		if err := WriteBundle(t.TempDir(), spec); err == nil {
			t.Errorf("WriteBundle(%+v): no error", spec)
		}
	}
}
