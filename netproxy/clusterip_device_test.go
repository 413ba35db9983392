package netproxy

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/wk-project/wk/internal/iproute"
)

// requireNetAdmin skips a test that changes the host's network devices where it cannot (not
// root, or no ip command), and fails it in CI, which runs as root with iproute2.
func requireNetAdmin(t *testing.T) {
	t.Helper()
	_, err := exec.LookPath("ip")
	if err == nil && os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("run as root, with iproute2: apt-get install -y iproute2")
	}
	t.Skip("needs root and iproute2's ip")
}

// testDeviceName is a device name of the test's own ("wkt" and 6 hex digits, within the kernel's
// 15 characters); the device, if any, is deleted when the test ends.
func testDeviceName(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("wkt%x", rand.Text()[:3])
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", name).Run() })
	return name
}

// testDevice makes a device for the test, down, as the proxy would find one that it or another
// agent made before. It is a dummy device where the kernel has them; where it has not (kernels
// built without CONFIG_DUMMY, as this project's CI machines are) an empty bridge stands in: the
// proxy takes over a device of its name whatever its kind.
func testDevice(t *testing.T) string {
	t.Helper()
	name := testDeviceName(t)
	err := exec.Command("ip", "link", "add", name, "type", "dummy").Run()
	if err != nil {
		out, err := exec.Command("ip", "link", "add", name, "type", "bridge").CombinedOutput()
		if err != nil {
			t.Fatalf("make test device %s: %v: %s", name, err, out)
		}
	}
	return name
}

func testIP(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// testDeviceAddrs reads the IPv4 addresses of a device, as `ip -o -4 addr` prints them.
func testDeviceAddrs(t *testing.T, dev string) []string {
	t.Helper()
	var addrs []string
	for _, line := range strings.Split(testIP(t, "-o", "-4", "addr", "show", "dev", dev), "\n") {
		f := strings.Fields(line)
		if i := slices.Index(f, "inet"); i >= 0 && i+1 < len(f) {
			addrs = append(addrs, f[i+1])
		}
	}
	slices.Sort(addrs)
	return addrs
}

func TestServiceDeviceAddresses(t *testing.T) {
	requireNetAdmin(t)
	dev := testDevice(t)
	testIP(t, "addr", "add", "10.88.1.21/32", "dev", dev)
	d := serviceDevice{name: dev}
	ctx := context.Background()
	have, err := d.ensure(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(have, []netip.Prefix{netip.MustParsePrefix("10.88.1.21/32")}) {
		t.Errorf("ensure read %v", have)
	}
	if !strings.Contains(testIP(t, "link", "show", "dev", dev), ",UP") {
		t.Errorf("ensure left %s down", dev)
	}
	a, b := netip.MustParseAddr("10.96.1.0"), netip.MustParseAddr("10.96.1.1")
	for range 2 { // the second time, the addresses are there already
		if err := d.add(ctx, []netip.Addr{a, b}); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := testDeviceAddrs(t, dev), []string{"10.88.1.21/32", "10.96.1.0/32", "10.96.1.1/32"}; !slices.Equal(got, want) {
		t.Errorf("after add: %v, want %v", got, want)
	}
	for range 2 { // the second time, the address is gone already
		if err := d.del(ctx, []netip.Addr{a}); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := testDeviceAddrs(t, dev), []string{"10.88.1.21/32", "10.96.1.1/32"}; !slices.Equal(got, want) {
		t.Errorf("after del: %v, want %v", got, want)
	}
}

func TestServiceDeviceCreated(t *testing.T) {
	requireNetAdmin(t)
	d := serviceDevice{name: testDeviceName(t)}
	t.Cleanup(func() { exec.Command("ip", "link", "del", d.name).Run() })
	if _, err := d.ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A kernel built without CONFIG_DUMMY, as on this project's machines, gets an empty bridge.
	want := "dummy"
	if exec.Command("ip", "link", "add", d.name+"x", "type", "dummy").Run() != nil {
		want = "bridge"
	} else {
		exec.Command("ip", "link", "del", d.name+"x").Run()
	}
	out := testIP(t, "-d", "-j", "link", "show", "dev", d.name)
	var links []struct {
		Flags    []string `json:"flags"`
		LinkInfo struct {
			Kind string `json:"info_kind"`
		} `json:"linkinfo"`
	}
	if err := json.Unmarshal([]byte(out), &links); err != nil || len(links) != 1 {
		t.Fatalf("ip -d -j link show: %v: %s", err, out)
	}
	if links[0].LinkInfo.Kind != want || !slices.Contains(links[0].Flags, "UP") {
		t.Errorf("made a %q device with flags %v, want an UP %s", links[0].LinkInfo.Kind, links[0].Flags, want)
	}
	if _, err := d.ensure(context.Background()); err != nil {
		t.Errorf("ensure again: %v", err)
	}
}

func TestServiceDeviceMissingIsNoDevice(t *testing.T) {
	requireNetAdmin(t)
	_, err := iproute.Run(context.Background(), "-j", "addr", "show", "dev", testDeviceName(t))
	if !errors.Is(err, iproute.ErrNoDevice) {
		t.Fatalf("show a missing device: %v; want iproute.ErrNoDevice", err)
	}
}

func TestDiffDeviceAddrs(t *testing.T) {
	ips := func(s ...string) []netip.Addr {
		var out []netip.Addr
		for _, a := range s {
			out = append(out, netip.MustParseAddr(a))
		}
		return out
	}
	prefixes := func(s ...string) []netip.Prefix {
		var out []netip.Prefix
		for _, p := range s {
			out = append(out, netip.MustParsePrefix(p))
		}
		return out
	}
	set := func(s ...string) map[netip.Addr]bool {
		out := map[netip.Addr]bool{}
		for _, a := range ips(s...) {
			out[a] = true
		}
		return out
	}
	tests := []struct {
		name     string
		want     map[netip.Addr]bool
		have     []netip.Prefix
		add, del []netip.Addr
	}{
		{"empty", nil, nil, nil, nil},
		{"add", set("10.96.1.1", "10.96.0.10"), nil, ips("10.96.0.10", "10.96.1.1"), nil},
		{"keep", set("10.96.1.1"), prefixes("10.96.1.1/32"), nil, nil},
		{"del", nil, prefixes("10.96.1.1/32", "10.96.0.10/32"), nil, ips("10.96.0.10", "10.96.1.1")},
		{"others left alone", nil, prefixes("10.88.1.20/32", "10.97.0.1/32", "10.96.0.1/16", "192.168.1.5/24"), nil, nil},
		{"present with another length", set("10.96.0.1"), prefixes("10.96.0.1/16"), nil, nil},
		{"mixed", set("10.96.1.1", "10.96.1.2"), prefixes("10.96.1.1/32", "10.96.1.3/32", "10.0.0.1/8"),
			ips("10.96.1.2"), ips("10.96.1.3")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			add, del := diffDeviceAddrs(tt.want, tt.have)
			if !slices.Equal(add, tt.add) || !slices.Equal(del, tt.del) {
				t.Errorf("diff = add %v, del %v; want add %v, del %v", add, del, tt.add, tt.del)
			}
		})
	}
}

func TestParseIPAddrShow(t *testing.T) {
	// As iproute2 6.1 prints it.
	out := `[{"ifindex":37,"ifname":"wksvc0","flags":["BROADCAST","NOARP","UP","LOWER_UP"],"mtu":1500,` +
		`"addr_info":[{"family":"inet","local":"10.96.1.0","prefixlen":32,"scope":"global"},` +
		`{"family":"inet6","local":"fe80::1","prefixlen":64,"scope":"link"},` +
		`{"family":"inet","local":"10.1.1.1","prefixlen":24,"scope":"global"}]}]`
	up, addrs, err := parseIPAddrShow([]byte(out))
	want := []netip.Prefix{netip.MustParsePrefix("10.96.1.0/32"), netip.MustParsePrefix("10.1.1.1/24")}
	if err != nil || !up || !slices.Equal(addrs, want) {
		t.Errorf("parse = %v, %v, %v; want true, %v, nil", up, addrs, err, want)
	}
	up, addrs, err = parseIPAddrShow([]byte(`[{"ifname":"wksvc0","flags":["BROADCAST","NOARP"],"addr_info":[]}]`))
	if err != nil || up || len(addrs) != 0 {
		t.Errorf("parse a down device = %v, %v, %v", up, addrs, err)
	}
	if _, _, err := parseIPAddrShow([]byte(`[]`)); err == nil {
		t.Error("parse of no device: no error")
	}
}
