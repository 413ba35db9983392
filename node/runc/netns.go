package runc

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"

	"github.com/wk-project/wk/internal/iproute"
)

// netnsDir is where `ip netns` keeps the named network namespaces, each a bind mount of one.
const netnsDir = "/run/netns"

// nsfsMagic is NSFS_MAGIC from <linux/magic.h>: the file system of namespace files.
const nsfsMagic = 0x6e736673

func netnsPath(name string) string { return filepath.Join(netnsDir, name) }

// isNetns reports whether path is a namespace file (a bind mount of one), not a missing or a
// stray plain file.
func isNetns(path string) bool {
	var st syscall.Statfs_t
	return syscall.Statfs(path, &st) == nil && st.Type == nsfsMagic
}

// addNetns makes the network namespace name with `ip netns add`, first removing a stray file of
// that name, which would make it fail.
func addNetns(ctx context.Context, name string) error {
	if err := deleteNetns(ctx, name); err != nil {
		return err
	}
	_, err := iproute.Run(ctx, "netns", "add", name)
	return err
}

// deleteNetns removes the network namespace name with `ip netns delete`, when it exists. The
// namespace lives on while a process is in it.
func deleteNetns(ctx context.Context, name string) error {
	if _, err := os.Lstat(netnsPath(name)); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	_, err := iproute.Run(ctx, "netns", "delete", name)
	return err
}

// holdsAddr reports whether interface ifname of network namespace name has address want. A
// missing interface holds nothing.
func holdsAddr(ctx context.Context, name, ifname string, want netip.Prefix) (bool, error) {
	out, err := iproute.Run(ctx, "-n", name, "-j", "addr", "show", "dev", ifname)
	var exit *exec.ExitError
	if errors.As(err, &exit) && ctx.Err() == nil {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	_, addrs, err := iproute.ParseAddrShow(out)
	if err != nil {
		return false, fmt.Errorf("ip -n %s addr show dev %s: %w", name, ifname, err)
	}
	return slices.Contains(addrs, want), nil
}
