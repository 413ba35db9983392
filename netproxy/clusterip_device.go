package netproxy

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

// serviceDevice is the dummy device that holds the ClusterIPs, driven through the ip command
// (iproute2) as an administrator would. On a kernel without dummy devices (built without
// CONFIG_DUMMY, or without the module, as in some VMs and sandboxes) it is an empty bridge, which
// holds addresses the same way and forwards nothing as it has no ports.
type serviceDevice struct{ name string }

// ensure makes sure the device exists and is up, and returns its IPv4 addresses.
func (d serviceDevice) ensure(ctx context.Context) ([]netip.Prefix, error) {
	out, err := runIP(ctx, "-j", "addr", "show", "dev", d.name)
	if errors.Is(err, errNoDevice) {
		_, addErr := runIP(ctx, "link", "add", d.name, "type", "dummy")
		if addErr != nil && strings.Contains(addErr.Error(), "Unknown device type") {
			_, addErr = runIP(ctx, "link", "add", d.name, "type", "bridge")
		}
		if addErr != nil && !errors.Is(addErr, errExists) {
			return nil, addErr
		}
		out, err = runIP(ctx, "-j", "addr", "show", "dev", d.name)
	}
	if err != nil {
		return nil, err
	}
	up, addrs, err := parseIPAddrShow(out)
	if err != nil {
		return nil, fmt.Errorf("read addresses of %s: %w", d.name, err)
	}
	if !up {
		if _, err := runIP(ctx, "link", "set", "dev", d.name, "up"); err != nil {
			return nil, err
		}
	}
	return addrs, nil
}

// add puts each address on the device as a /32; one already there is no error.
func (d serviceDevice) add(ctx context.Context, addrs []netip.Addr) error {
	var errs []error
	for _, a := range addrs {
		if _, err := runIP(ctx, "addr", "add", netip.PrefixFrom(a, 32).String(), "dev", d.name); err != nil && !errors.Is(err, errExists) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// del takes each /32 address off the device; one already gone is no error.
func (d serviceDevice) del(ctx context.Context, addrs []netip.Addr) error {
	var errs []error
	for _, a := range addrs {
		if _, err := runIP(ctx, "addr", "del", netip.PrefixFrom(a, 32).String(), "dev", d.name); err != nil && !errors.Is(err, errNoAddress) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// diffDeviceAddrs says which ClusterIPs to add to a device that has the addresses have, and
// which to take off: the /32s in ServiceCIDR that no Service has. Other addresses are left
// alone. Both lists are sorted.
func diffDeviceAddrs(want map[netip.Addr]bool, have []netip.Prefix) (add, del []netip.Addr) {
	present := map[netip.Addr]bool{}
	for _, p := range have {
		present[p.Addr()] = true
		if p.Bits() == 32 && ServiceCIDR.Contains(p.Addr()) && !want[p.Addr()] {
			del = append(del, p.Addr())
		}
	}
	for a := range want {
		if !present[a] {
			add = append(add, a)
		}
	}
	slices.SortFunc(add, netip.Addr.Compare)
	slices.SortFunc(del, netip.Addr.Compare)
	return add, del
}

// parseIPAddrShow reads the output of `ip -j addr show dev NAME`: whether the device is up, and
// its IPv4 addresses.
func parseIPAddrShow(out []byte) (up bool, addrs []netip.Prefix, err error) {
	var links []struct {
		Flags    []string `json:"flags"`
		AddrInfo []struct {
			Family    string `json:"family"`
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
		if a.Family != "inet" {
			continue
		}
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

// Errors of the ip command that callers tell apart.
var (
	errNoDevice  = errors.New("no such device")
	errExists    = errors.New("already exists")
	errNoAddress = errors.New("no such address")
)

// runIP runs the ip command to completion and returns its stdout; its error names the command
// and holds ip's stderr, and matches errNoDevice, errExists or errNoAddress when ip says so.
func runIP(ctx context.Context, args ...string) ([]byte, error) {
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
		if kind := ipErrorKind(msg); kind != nil {
			return nil, fmt.Errorf("%s: %w: %s", what, kind, msg)
		}
		return nil, fmt.Errorf("%s: %w: %s", what, err, msg)
	}
	return stdout.Bytes(), nil
}

// ipErrorKind tells what ip's message on stderr means, when it is one that callers test.
func ipErrorKind(msg string) error {
	switch {
	case strings.Contains(msg, "does not exist"), strings.Contains(msg, "Cannot find device"):
		return errNoDevice
	case strings.Contains(msg, "File exists"), strings.Contains(msg, "already assigned"):
		return errExists
	case strings.Contains(msg, "Address not found"), strings.Contains(msg, "Cannot assign requested address"):
		return errNoAddress
	}
	return nil
}
