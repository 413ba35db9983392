package runc

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// maxLinks bounds the symlinks followed while resolving one path, as the kernel does (40).
const maxLinks = 40

// cleanName turns a tar entry name or hard link target into a root-relative path ("." for the
// root). Absolute names and any ".." element are refused.
func cleanName(name string) (string, error) {
	if path.IsAbs(name) {
		return "", ErrUnsafePath
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", ErrUnsafePath
		}
	}
	return path.Clean(name), nil
}

// resolve follows the symlinks in rel, a root-relative path, the way a process chrooted into root
// would, and returns the resolved root-relative path ("" for the root). Every element of the
// result but the last is a directory or missing; the last is followed only if followLast. A chain
// that climbs above root is refused: an absolute link target starts again from root.
func resolve(root, rel string, followLast bool) (string, error) {
	done, todo, links := "", rel, 0
	for todo != "" {
		var part string
		part, todo, _ = strings.Cut(todo, "/")
		switch part {
		case "", ".":
			continue
		case "..":
			if done == "" {
				return "", ErrUnsafePath
			}
			done = parentOf(done)
			continue
		}
		next := path.Join(done, part)
		if strings.Trim(todo, "/") == "" && !followLast {
			done = next
			break
		}
		fi, err := os.Lstat(filepath.Join(root, next))
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			done = next // missing elements are created later as directories
			continue
		}
		if links++; links > maxLinks {
			return "", fmt.Errorf("%s: too many levels of symbolic links", rel)
		}
		target, err := os.Readlink(filepath.Join(root, next))
		if err != nil {
			return "", err
		}
		if path.IsAbs(target) {
			done = ""
		}
		todo = target + "/" + todo
	}
	return done, nil
}

func parentOf(rel string) string {
	if p := path.Dir(rel); p != "." {
		return p
	}
	return ""
}

// within reports whether rel is dir or below it (both root-relative, "" for the root).
func within(rel, dir string) bool {
	return dir == "" || rel == dir || strings.HasPrefix(rel, dir+"/")
}
