//go:build wasip1

package main

import (
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"unsafe"
)

// The directories the pod mounts (its volumes and /net) are WASI preopens.
// Nothing is above them: ls lists their ancestors, such as "/", from these
// names.

//go:wasmimport wasi_snapshot_preview1 fd_prestat_get
//go:noescape
func fdPrestatGet(fd int32, prestat unsafe.Pointer) int32

//go:wasmimport wasi_snapshot_preview1 fd_prestat_dir_name
//go:noescape
func fdPrestatDirName(fd int32, buf unsafe.Pointer, n int32) int32

// mounts lists the preopened directories, read once.
var mounts = sync.OnceValue(func() []string {
	var out []string
	for fd := int32(3); ; fd++ {
		var prestat [2]uint32 // tag, then the name's length
		if errno := fdPrestatGet(fd, unsafe.Pointer(&prestat)); errno != 0 {
			return out // EBADF: past the last preopen
		}
		if prestat[0] != 0 || prestat[1] == 0 { // not a directory
			continue
		}
		name := make([]byte, prestat[1])
		if fdPrestatDirName(fd, unsafe.Pointer(&name[0]), int32(len(name))) == 0 {
			out = append(out, path.Clean("/"+string(name)))
		}
	}
})

// isMount reports whether name is a mounted directory, such as a volume.
func isMount(name string) bool {
	return slices.Contains(mounts(), absolute(name))
}

// absolute is name made absolute against the working directory and clean.
func absolute(name string) string {
	if !path.IsAbs(name) {
		wd, _ := os.Getwd()
		name = path.Join(wd, name)
	}
	return path.Clean(name)
}

// mountChildren lists the names under dir that lead to a mount: for "/"
// with volumes at /data and /var/cache, "data", "net" and "var".
func mountChildren(dir string) []string {
	dir = absolute(dir)
	prefix := strings.TrimSuffix(dir, "/") + "/"
	var out []string
	for _, m := range mounts() {
		rest, ok := strings.CutPrefix(m, prefix)
		if !ok || rest == "" {
			continue
		}
		child, _, _ := strings.Cut(rest, "/")
		if !slices.Contains(out, child) {
			out = append(out, child)
		}
	}
	slices.Sort(out)
	return out
}
