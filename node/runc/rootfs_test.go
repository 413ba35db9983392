package runc

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

var mtime = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// entry is one tar member of a test layer.
type entry struct {
	name, body, link string
	typ              byte
	mode             int64
}

func dir(name string, mode int64) entry { return entry{name: name, typ: tar.TypeDir, mode: mode} }
func file(name, body string) entry {
	return entry{name: name, body: body, typ: tar.TypeReg, mode: 0o644}
}
func symlink(name, target string) entry {
	return entry{name: name, link: target, typ: tar.TypeSymlink, mode: 0o777}
}
func hardlink(name, target string) entry {
	return entry{name: name, link: target, typ: tar.TypeLink, mode: 0o644}
}

func layer(t *testing.T, entries ...entry) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: e.mode, ModTime: mtime, Size: int64(len(e.body)), Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func image(t *testing.T, layers ...v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func baseImage(t *testing.T) v1.Image {
	return image(t,
		layer(t,
			dir("etc/", 0o755),
			file("etc/passwd", "root:x:0:0::/root:/bin/sh\n"),
			file("etc/secret", "s3cret"),
			dir("cache/", 0o755),
			file("cache/a", "a"),
			dir("cache/sub/", 0o755),
			file("cache/sub/b", "b"),
			dir("bin/", 0o755),
			entry{name: "bin/busybox", body: "ELF", typ: tar.TypeReg, mode: 0o755},
			symlink("bin/sh", "busybox"),
			hardlink("bin/ls", "bin/busybox"),
			dir("opt/", 0o700),
		),
		layer(t,
			file("./etc/passwd", "root:x:0:0::/root:/bin/ash\n"),
			file("etc/.wh.secret", ""),
			file("cache/new", "kept"),
			file("cache/.wh..wh..opq", ""),
		),
	)
}

func TestUnpackLayersAndWhiteouts(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "rootfs")
	if err := Unpack(baseImage(t), dst); err != nil {
		t.Fatal(err)
	}
	read := func(rel string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dst, rel))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got := read("etc/passwd"); got != "root:x:0:0::/root:/bin/ash\n" {
		t.Errorf("etc/passwd = %q, want the upper layer's", got)
	}
	if _, err := os.Lstat(filepath.Join(dst, "etc/secret")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("etc/secret after whiteout: %v, want not exist", err)
	}
	names := dirNames(t, filepath.Join(dst, "cache"))
	if strings.Join(names, ",") != "new" {
		t.Errorf("cache after opaque whiteout = %v, want [new]", names)
	}
	if target, err := os.Readlink(filepath.Join(dst, "bin/sh")); err != nil || target != "busybox" {
		t.Errorf("bin/sh -> %q, %v; want busybox", target, err)
	}
	if got := read("bin/sh"); got != "ELF" {
		t.Errorf("bin/sh reads %q through the link, want ELF", got)
	}
	ls, _ := os.Stat(filepath.Join(dst, "bin/ls"))
	bb, _ := os.Stat(filepath.Join(dst, "bin/busybox"))
	if ls == nil || bb == nil || !os.SameFile(ls, bb) {
		t.Errorf("bin/ls is not a hard link of bin/busybox")
	}
	for rel, want := range map[string]fs.FileMode{"bin/busybox": 0o755, "etc/passwd": 0o644, "opt": 0o700 | fs.ModeDir, ".": 0o755 | fs.ModeDir} {
		fi, err := os.Stat(filepath.Join(dst, rel))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s mode = %v, want %v", rel, fi.Mode(), want)
		}
		if rel != "." && !fi.ModTime().Equal(mtime) {
			t.Errorf("%s mtime = %v, want %v", rel, fi.ModTime(), mtime)
		}
	}
	if names := dirNames(t, filepath.Dir(dst)); strings.Join(names, ",") != "rootfs" {
		t.Errorf("beside the rootfs: %v, want only rootfs", names)
	}
}

func TestUnpackRefusesEscapes(t *testing.T) {
	tests := []struct {
		name    string
		entries []entry
		entry   string // named in the error
	}{
		{"dotdot", []entry{file("../evil", "x")}, "../evil"},
		{"inner dotdot", []entry{dir("a/", 0o755), file("a/../../evil", "x")}, "a/../../evil"},
		{"absolute", []entry{file("/evil", "x")}, "/evil"},
		{"through relative symlink", []entry{symlink("up", "../../.."), file("up/evil", "x")}, "up/evil"},
		{"through nested symlink", []entry{dir("a/", 0o755), symlink("a/up", ".."), symlink("b", "a/up/.."), file("b/evil", "x")}, "b/evil"},
		{"hard link outside", []entry{hardlink("passwd", "../../etc/passwd")}, "passwd"},
		{"whiteout outside", []entry{file("../.wh.evil", "")}, "../.wh.evil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			dst := filepath.Join(parent, "rootfs")
			err := Unpack(image(t, layer(t, tt.entries...)), dst)
			if !errors.Is(err, ErrUnsafePath) {
				t.Fatalf("Unpack = %v, want ErrUnsafePath", err)
			}
			if !strings.Contains(err.Error(), `"`+tt.entry+`"`) {
				t.Errorf("error %q does not name the entry %q", err, tt.entry)
			}
			if names := dirNames(t, parent); len(names) != 0 {
				t.Errorf("left behind: %v", names)
			}
		})
	}
}

func TestUnpackAbsoluteSymlinkStaysInside(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "rootfs")
	img := image(t, layer(t, dir("etc/", 0o755), symlink("conf", "/etc"), file("conf/app.conf", "x")))
	if err := Unpack(img, dst); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dst, "etc/app.conf")); err != nil || string(b) != "x" {
		t.Errorf("etc/app.conf = %q, %v; want the file written through /etc inside the rootfs", b, err)
	}
}

func TestUnpackRefusesExistingDir(t *testing.T) {
	dst := t.TempDir()
	if err := Unpack(baseImage(t), dst); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Unpack into an existing folder = %v, want ErrExist", err)
	}
}

// countingImage counts how often its layers are listed, which Unpack does once per unpack.
type countingImage struct {
	v1.Image
	calls int
}

func (c *countingImage) Layers() ([]v1.Layer, error) {
	c.calls++
	return c.Image.Layers()
}

func TestRootfsForUnpacksOnce(t *testing.T) {
	cache := filepath.Join(t.TempDir(), "rootfs")
	img := &countingImage{Image: baseImage(t)}
	first, err := RootfsFor(cache, img)
	if err != nil {
		t.Fatal(err)
	}
	second, err := RootfsFor(cache, img)
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Errorf("paths differ: %s, %s", first, second)
	}
	if img.calls != 1 {
		t.Errorf("unpacked %d times, want 1", img.calls)
	}
	d, _ := img.ConfigName()
	if want := filepath.Join(cache, "sha256-"+d.Hex); first != want {
		t.Errorf("path = %s, want %s", first, want)
	}
	if _, err := os.Stat(filepath.Join(first, "bin/busybox")); err != nil {
		t.Error(err)
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
