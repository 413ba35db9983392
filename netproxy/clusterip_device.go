package netproxy

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/internal/iproute"
)

// serviceDevice is the dummy device that holds the ClusterIPs, driven through the ip command
// (iproute2) as an administrator would. On a kernel without dummy devices (built without
// CONFIG_DUMMY, or without the module, as in some VMs and sandboxes) it is an empty bridge, which
// holds addresses the same way and forwards nothing as it has no ports.
type serviceDevice struct{ name string }

// ensure makes sure the device exists and is up, and returns its IPv4 addresses.
func (d serviceDevice) ensure(ctx context.Context) ([]netip.Prefix, error) {
	out, err := iproute.Run(ctx, "-j", "addr", "show", "dev", d.name)
	if errors.Is(err, iproute.ErrNoDevice) {
		_, addErr := iproute.Run(ctx, "link", "add", d.name, "type", "dummy")
		if addErr != nil && strings.Contains(addErr.Error(), "Unknown device type") {
			_, addErr = iproute.Run(ctx, "link", "add", d.name, "type", "bridge")
		}
		if addErr != nil && !errors.Is(addErr, iproute.ErrExists) {
			return nil, addErr
		}
		out, err = iproute.Run(ctx, "-j", "addr", "show", "dev", d.name)
	}
	if err != nil {
		return nil, err
	}
	up, addrs, err := parseIPAddrShow(out)
	if err != nil {
		return nil, fmt.Errorf("read addresses of %s: %w", d.name, err)
	}
	if !up {
		if _, err := iproute.Run(ctx, "link", "set", "dev", d.name, "up"); err != nil {
			return nil, err
		}
	}
	return addrs, nil
}

// add puts each address on the device as a /32; one already there is no error.
func (d serviceDevice) add(ctx context.Context, addrs []netip.Addr) error {
	var errs []error
	for _, a := range addrs {
		if _, err := iproute.Run(ctx, "addr", "add", netip.PrefixFrom(a, 32).String(), "dev", d.name); err != nil && !errors.Is(err, iproute.ErrExists) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// del takes each /32 address off the device; one already gone is no error.
func (d serviceDevice) del(ctx context.Context, addrs []netip.Addr) error {
	var errs []error
	for _, a := range addrs {
		if _, err := iproute.Run(ctx, "addr", "del", netip.PrefixFrom(a, 32).String(), "dev", d.name); err != nil && !errors.Is(err, iproute.ErrNoAddress) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// diffDeviceAddrs says which ClusterIPs to add to a device that has the addresses have, and
// which to take off: the /32s in api.ServiceCIDR that no Service has. Other addresses are left
// alone. Both lists are sorted.
func diffDeviceAddrs(want map[netip.Addr]bool, have []netip.Prefix) (add, del []netip.Addr) {
	present := map[netip.Addr]bool{}
	for _, p := range have {
		present[p.Addr()] = true
		if p.Bits() == 32 && api.ServiceCIDR.Contains(p.Addr()) && !want[p.Addr()] {
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
	up, all, err := iproute.ParseAddrShow(out)
	for _, p := range all {
		if p.Addr().Is4() {
			addrs = append(addrs, p)
		}
	}
	return up, addrs, err
}
