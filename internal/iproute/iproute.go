// Package iproute runs iproute2's ip command, as an administrator would, for the node proxy's
// service device and the runc pods' network namespaces.
package iproute

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strings"
)

// Errors of the ip command that callers tell apart.
var (
	ErrNoDevice  = errors.New("no such device")
	ErrExists    = errors.New("already exists")
	ErrNoAddress = errors.New("no such address")
)

// Run runs ip with args to completion and returns its stdout. Its error names the command, holds
// ip's stderr and wraps the *exec.ExitError, and matches ErrNoDevice, ErrExists or ErrNoAddress
// when ip says so.
func Run(ctx context.Context, args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "ip", args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if err := cmd.Run(); err != nil {
		what := "ip " + strings.Join(args, " ")
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if kind := errorKind(msg); kind != nil {
			return nil, fmt.Errorf("%s: %w: %w: %s", what, kind, err, msg)
		}
		return nil, fmt.Errorf("%s: %w: %s", what, err, msg)
	}
	return stdout.Bytes(), nil
}

// errorKind tells what ip's message on stderr means, when it is one that callers test.
func errorKind(msg string) error {
	switch {
	case strings.Contains(msg, "does not exist"), strings.Contains(msg, "Cannot find device"):
		return ErrNoDevice
	case strings.Contains(msg, "File exists"), strings.Contains(msg, "already assigned"):
		return ErrExists
	case strings.Contains(msg, "Address not found"), strings.Contains(msg, "Cannot assign requested address"):
		return ErrNoAddress
	}
	return nil
}

// ParseAddrShow reads the output of `ip -j addr show dev NAME`: whether the device is up, and its
// addresses of every family.
func ParseAddrShow(out []byte) (up bool, addrs []netip.Prefix, err error) {
	var links []struct {
		Flags    []string `json:"flags"`
		AddrInfo []struct {
			Local     string `json:"local"`
			PrefixLen int    `json:"prefixlen"`
		} `json:"addr_info"`
	}
	if err := json.Unmarshal(out, &links); err != nil {
		return false, nil, err
	}
	if len(links) != 1 {
		return false, nil, fmt.Errorf("%d devices listed, want 1", len(links))
	}
	for _, a := range links[0].AddrInfo {
		ip, err := netip.ParseAddr(a.Local)
		if err != nil {
			return false, nil, err
		}
		p := netip.PrefixFrom(ip, a.PrefixLen)
		if !p.IsValid() {
			return false, nil, fmt.Errorf("bad prefix length %d of %s", a.PrefixLen, ip)
		}
		addrs = append(addrs, p)
	}
	return slices.Contains(links[0].Flags, "UP"), addrs, nil
}
