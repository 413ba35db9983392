package runc

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

const (
	whiteoutPrefix = ".wh."
	opaqueWhiteout = ".wh..wh..opq"
)

// unpacker applies layers into root. Directories are made owner-writable while unpacking and get
// their image mode and mtime at the end, so children can still be written and a failed unpack can
// be removed.
type unpacker struct {
	root  string
	chown bool                   // running as root: ownership from the tar headers
	dirs  map[string]*tar.Header // resolved root-relative dir ("" for the root) -> its last header
	layer map[string]bool        // resolved paths written by the current layer
}

func applyImage(img v1.Image, root string) error {
	layers, err := img.Layers()
	if err != nil {
		return fmt.Errorf("list layers: %w", err)
	}
	u := &unpacker{root: root, chown: os.Geteuid() == 0, dirs: map[string]*tar.Header{}}
	for i, l := range layers {
		if err := u.applyLayer(l); err != nil {
			return fmt.Errorf("layer %d: %w", i, err)
		}
	}
	return u.finish()
}

func (u *unpacker) applyLayer(l v1.Layer) error {
	rc, err := l.Uncompressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	u.layer = map[string]bool{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		if err := u.entry(h, tr); err != nil {
			return fmt.Errorf("entry %q: %w", h.Name, err)
		}
	}
}

func (u *unpacker) entry(h *tar.Header, r io.Reader) error {
	rel, err := cleanName(h.Name)
	if err != nil {
		return err
	}
	if rel == "." {
		if h.Typeflag == tar.TypeDir {
			u.dirs[""] = h
		}
		return nil
	}
	dir, base := path.Split(rel)
	if base == opaqueWhiteout {
		return u.opaque(dir)
	}
	if name, ok := strings.CutPrefix(base, whiteoutPrefix); ok {
		return u.whiteout(dir, name)
	}
	parent, err := resolve(u.root, dir, true)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(u.host(parent), 0o755); err != nil {
		return err
	}
	return u.create(h, path.Join(parent, base), r)
}

// create writes one entry at rel, whose parent is resolved and exists.
func (u *unpacker) create(h *tar.Header, rel string, r io.Reader) error {
	host := u.host(rel)
	u.layer[rel] = true
	if fi, err := os.Lstat(host); err == nil {
		if fi.IsDir() && h.Typeflag == tar.TypeDir {
			u.dirs[rel] = h
			return nil
		}
		if err := u.remove(rel); err != nil {
			return err
		}
	}
	switch h.Typeflag {
	case tar.TypeDir:
		if err := os.Mkdir(host, 0o755); err != nil {
			return err
		}
		u.dirs[rel] = h
		return nil
	case tar.TypeReg:
		if err := writeFile(host, r); err != nil {
			return err
		}
	case tar.TypeSymlink:
		if err := os.Symlink(h.Linkname, host); err != nil {
			return err
		}
		return u.own(host, h)
	case tar.TypeLink:
		return u.hardLink(h.Linkname, host)
	default:
		return nil // devices, FIFOs and extended headers
	}
	if err := u.own(host, h); err != nil {
		return err
	}
	return setModeTime(host, h)
}

func (u *unpacker) hardLink(linkname, host string) error {
	target, err := cleanName(linkname)
	if err != nil || target == "." {
		return fmt.Errorf("hard link to %q: %w", linkname, ErrUnsafePath)
	}
	resolved, err := resolve(u.root, target, false)
	if err != nil {
		return fmt.Errorf("hard link to %q: %w", linkname, err)
	}
	fi, err := os.Lstat(u.host(resolved))
	if err != nil {
		return fmt.Errorf("hard link to %q: %w", linkname, err)
	}
	if fi.IsDir() {
		return fmt.Errorf("hard link to %q: a directory", linkname)
	}
	return os.Link(u.host(resolved), host)
}

// whiteout removes name from the lower layers' dir.
func (u *unpacker) whiteout(dir, name string) error {
	if name == "" || name == "." || name == ".." {
		return ErrUnsafePath
	}
	parent, err := resolve(u.root, dir, true)
	if err != nil {
		return err
	}
	rel := path.Join(parent, name)
	if _, err := os.Lstat(u.host(rel)); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return u.remove(rel)
}

// opaque empties dir of everything the lower layers put there.
func (u *unpacker) opaque(dir string) error {
	resolved, err := resolve(u.root, dir, true)
	if err != nil {
		return err
	}
	entries, err := os.ReadDir(u.host(resolved))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		child := path.Join(resolved, e.Name())
		if u.layer[child] {
			continue
		}
		if err := u.remove(child); err != nil {
			return err
		}
	}
	return nil
}

// remove deletes rel and forgets the directories under it.
func (u *unpacker) remove(rel string) error {
	for d := range u.dirs {
		if d != "" && within(d, rel) {
			delete(u.dirs, d)
		}
	}
	return os.RemoveAll(u.host(rel))
}

// finish gives every directory its image owner, mode and mtime, deepest first.
func (u *unpacker) finish() error {
	if _, ok := u.dirs[""]; !ok {
		if err := os.Chmod(u.root, 0o755); err != nil {
			return err
		}
	}
	dirs := make([]string, 0, len(u.dirs))
	for d := range u.dirs {
		dirs = append(dirs, d)
	}
	sort.Slice(dirs, func(i, j int) bool { return len(dirs[i]) > len(dirs[j]) })
	for _, d := range dirs {
		h, host := u.dirs[d], u.host(d)
		if err := u.own(host, h); err != nil {
			return fmt.Errorf("directory %q: %w", h.Name, err)
		}
		if err := setModeTime(host, h); err != nil {
			return fmt.Errorf("directory %q: %w", h.Name, err)
		}
	}
	return nil
}

func (u *unpacker) host(rel string) string { return filepath.Join(u.root, filepath.FromSlash(rel)) }

func (u *unpacker) own(host string, h *tar.Header) error {
	if !u.chown {
		return nil
	}
	return os.Lchown(host, h.Uid, h.Gid)
}

func writeFile(host string, r io.Reader) error {
	f, err := os.OpenFile(host, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// setModeTime applies h's permission bits (with setuid, setgid, sticky) and mtime; called after
// chown, which clears setuid.
func setModeTime(host string, h *tar.Header) error {
	mode := h.FileInfo().Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
	if err := os.Chmod(host, mode); err != nil {
		return err
	}
	atime := h.AccessTime
	if atime.IsZero() {
		atime = h.ModTime
	}
	if h.ModTime.IsZero() {
		return nil
	}
	return os.Chtimes(host, atime, h.ModTime)
}
