package runc

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// MountOverlay makes a container's own writable rootfs at BUNDLE/rootfs: an overlay whose lower
// layer is the image's cached rootfs and whose upper layer, BUNDLE/upper, takes the container's
// writes, so the cache stays as the image made it. Where the kernel refuses an overlay (its upper
// layer on an overlay or another filesystem it does not take), the rootfs is a copy instead. It
// returns the rootfs's path; a rootfs left from an earlier container is removed first.
func MountOverlay(lower, bundle string) (string, error) {
	if err := RemoveOverlay(bundle); err != nil {
		return "", err
	}
	rootfs, upper, work := filepath.Join(bundle, "rootfs"), filepath.Join(bundle, "upper"), filepath.Join(bundle, "work")
	for _, d := range []string{rootfs, upper, work} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", fmt.Errorf("container rootfs: %w", err)
		}
	}
	opts := "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work
	err := syscall.Mount("overlay", rootfs, "overlay", 0, opts)
	if err == nil {
		return rootfs, nil
	}
	if !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENODEV) {
		return "", fmt.Errorf("container rootfs: mount overlay on %s: %w", rootfs, err)
	}
	if out, err := exec.Command("cp", "-a", lower+"/.", rootfs).CombinedOutput(); err != nil {
		return "", fmt.Errorf("container rootfs: copy %s: %v: %s", lower, err, out)
	}
	return rootfs, nil
}

// RemoveOverlay unmounts and removes the rootfs MountOverlay made in bundle, if any.
func RemoveOverlay(bundle string) error {
	rootfs := filepath.Join(bundle, "rootfs")
	if err := syscall.Unmount(rootfs, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
		return fmt.Errorf("unmount %s: %w", rootfs, err)
	}
	for _, d := range []string{"rootfs", "upper", "work"} {
		if err := os.RemoveAll(filepath.Join(bundle, d)); err != nil {
			return err
		}
	}
	return nil
}
