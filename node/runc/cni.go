package runc

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The interfaces of a pod's network namespace.
const (
	podIfname = "eth0"
	loIfname  = "lo"
)

// maxIfname is the longest interface name Linux takes (IFNAMSIZ less the NUL).
const maxIfname = 15

// undoTimeout bounds the clean-up of a failed Setup, which runs even when ctx is done.
const undoTimeout = 30 * time.Second

// The plugins a Network runs, and where Debian and the CNI project's tarball put them.
var (
	pluginNames = []string{"bridge", "host-local", "loopback"}
	pluginDirs  = []string{"/usr/lib/cni", "/opt/cni/bin"}
)

// Network is a node's bridge network for runc pods, made by the CNI plugins loopback, bridge and
// host-local. Its methods may run at once for different pods, not for the same one.
type Network struct {
	Name      string       // CNI network name; also prefixes the pods' netns names, e.g. "wk"
	Bridge    string       // the bridge device, at most 15 bytes, e.g. "wkbr0"
	Subnet    netip.Prefix // the node's pod CIDR, e.g. 10.88.1.0/24; the bridge (gateway) has its first host address .1
	PluginDir string       // where the plugins are; "" finds them (FindPlugins)
	// StateDir is host-local's dataDir (IP reservations); required. On tmpfs (under /run) the
	// reservations go away on reboot with the namespaces they belong to.
	StateDir string
}

// FindPlugins returns the folder holding the plugins bridge, host-local and loopback: dir, or
// when dir is "", the first of /usr/lib/cni and /opt/cni/bin that holds them all.
func FindPlugins(dir string) (string, error) {
	dirs := pluginDirs
	if dir != "" {
		dirs = []string{dir}
	}
	var problems []string
	for _, d := range dirs {
		missing := missingPlugins(d)
		if len(missing) == 0 {
			return d, nil
		}
		problems = append(problems, fmt.Sprintf("%s lacks %s", d, strings.Join(missing, ", ")))
	}
	return "", fmt.Errorf("find cni plugins: %s; apt-get install -y containernetworking-plugins", strings.Join(problems, "; "))
}

// missingPlugins lists the plugins that are not an executable file in dir.
func missingPlugins(dir string) []string {
	var missing []string
	for _, name := range pluginNames {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			missing = append(missing, name)
		}
	}
	return missing
}

// Gateway returns the bridge's address, the first host address of Subnet.
func (n *Network) Gateway() netip.Addr {
	return n.Subnet.Masked().Addr().Next()
}

// Setup gives pod id (a pod UID) the network namespace /run/netns/<Name>-<id>, with lo up and
// eth0 on the bridge holding exactly ip/<Subnet bits> and a default route via Gateway, and
// returns the namespace's path. It is idempotent: a namespace whose eth0 already holds ip (that of
// a running pod, adopted by a restarted agent) is returned as it is. A namespace left half set up,
// or holding another address, has its interfaces made again in place, as the pod's containers may
// have joined it already. The address is the caller's choice: a reservation of it that outlived
// its namespace (of this pod before a reboot, or of a pod never torn down) is released first. When
// Setup fails, the pod holds no address and has no interfaces, and a namespace Setup made is gone.
func (n *Network) Setup(ctx context.Context, id string, ip netip.Addr) (string, error) {
	path, err := n.setup(ctx, id, ip)
	if err != nil {
		return "", fmt.Errorf("set up network for pod %s: %w", id, err)
	}
	return path, nil
}

func (n *Network) setup(ctx context.Context, id string, ip netip.Addr) (string, error) {
	dir, err := n.check(id)
	if err != nil {
		return "", err
	}
	if err := n.checkAddr(ip); err != nil {
		return "", err
	}
	name := n.netnsName(id)
	path := netnsPath(name)
	want := netip.PrefixFrom(ip, n.Subnet.Bits())
	created := !isNetns(path)
	if !created {
		if held, err := holdsAddr(ctx, name, podIfname, want); err != nil || held {
			return path, err
		}
	}
	// Clear what the pod holds: the interfaces of a namespace left half set up or holding another
	// address, made again in place as the pod's containers may have joined it; or the address of
	// a life before a reboot, as host-local's reservations outlive namespaces when StateDir is on
	// disk.
	netns := path
	if created {
		netns = ""
	}
	if err := n.del(ctx, dir, id, netns); err != nil {
		return "", err
	}
	if err := n.releaseStale(ctx, dir, id, ip); err != nil {
		return "", err
	}
	if created {
		if err := addNetns(ctx, name); err != nil {
			return "", err
		}
	}
	if err := n.add(ctx, dir, id, path, want); err != nil {
		undo, cancel := context.WithTimeout(context.WithoutCancel(ctx), undoTimeout)
		defer cancel()
		undoErr := n.del(undo, dir, id, path)
		if created && undoErr == nil {
			undoErr = deleteNetns(undo, name)
		}
		return "", errors.Join(err, undoErr)
	}
	return path, nil
}

// Teardown runs DEL for bridge and loopback, which releases the pod's address, and removes the
// pod's network namespace. It is idempotent: there is no error when they are already gone.
func (n *Network) Teardown(ctx context.Context, id string) error {
	dir, err := n.check(id)
	if err != nil {
		return fmt.Errorf("tear down network for pod %s: %w", id, err)
	}
	name := n.netnsName(id)
	netns := netnsPath(name)
	if !isNetns(netns) {
		netns = "" // gone, or a stray file: the plugins then only release the address
	}
	if err := n.del(ctx, dir, id, netns); err != nil {
		return fmt.Errorf("tear down network for pod %s: %w", id, err)
	}
	if err := deleteNetns(ctx, name); err != nil {
		return fmt.Errorf("tear down network for pod %s: %w", id, err)
	}
	return nil
}

// add runs ADD for loopback, then bridge, in netns, and checks that eth0 got want.
func (n *Network) add(ctx context.Context, dir, id, netns string, want netip.Prefix) error {
	if _, err := runPlugin(ctx, pluginCall{dir, "ADD", id, netns, loIfname}, n.loopbackConf()); err != nil {
		return err
	}
	out, err := runPlugin(ctx, pluginCall{dir, "ADD", id, netns, podIfname}, n.bridgeConf(want.Addr()))
	if err != nil {
		return err
	}
	return checkResult(out, want)
}

// del runs DEL for bridge, then loopback: the reverse of add. With netns "", bridge only releases
// the pod's address, and loopback, which would do nothing, is not run.
func (n *Network) del(ctx context.Context, dir, id, netns string) error {
	if _, err := runPlugin(ctx, pluginCall{dir, "DEL", id, netns, podIfname}, n.bridgeConf(netip.Addr{})); err != nil {
		return err
	}
	if netns == "" {
		return nil
	}
	_, err := runPlugin(ctx, pluginCall{dir, "DEL", id, netns, loIfname}, n.loopbackConf())
	return err
}

// releaseStale releases ip when host-local holds it for another pod whose namespace is gone, one
// never torn down (deleted while its node was down, say): the caller's choice of address wins over
// such a reservation. A pod whose namespace exists keeps its address, and ADD then fails. It reads
// host-local's reservation file, dataDir/<network>/<ip>, which holds the container ID on its first
// line.
func (n *Network) releaseStale(ctx context.Context, dir, id string, ip netip.Addr) error {
	owner, ok := n.reservation(ip)
	if !ok || owner == id || !validName(owner) || isNetns(netnsPath(n.netnsName(owner))) {
		return nil
	}
	if err := n.del(ctx, dir, owner, ""); err != nil {
		return fmt.Errorf("release %s from stale pod %s: %w", ip, owner, err)
	}
	return nil
}

// reservation is the pod host-local holds ip for, from its file dataDir/<network>/<ip>, whose
// first line is the container ID.
func (n *Network) reservation(ip netip.Addr) (string, bool) {
	data, err := os.ReadFile(filepath.Join(n.StateDir, n.Name, ip.String()))
	if err != nil {
		return "", false
	}
	owner, _, _ := strings.Cut(string(data), "\n")
	return strings.TrimSpace(owner), true
}

// Reservations lists the addresses host-local holds and the pod each is for: the pods whose
// network this node set up and did not tear down, so that a restarted agent knows their IPs.
func (n *Network) Reservations() map[netip.Addr]string {
	out := map[netip.Addr]string{}
	entries, _ := os.ReadDir(filepath.Join(n.StateDir, n.Name))
	for _, e := range entries {
		ip, err := netip.ParseAddr(e.Name())
		if err != nil || !n.Subnet.Contains(ip) {
			continue // host-local's lock and last_reserved_ip files
		}
		if owner, ok := n.reservation(ip); ok && validName(owner) {
			out[ip] = owner
		}
	}
	return out
}

func (n *Network) netnsName(id string) string { return n.Name + "-" + id }
