package runc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// requireCNI skips a test that needs the CNI plugins, iproute2, busybox and root, except in CI,
// where it fails.
func requireCNI(t *testing.T) {
	t.Helper()
	_, pluginsErr := FindPlugins("")
	_, ipErr := exec.LookPath("ip")
	_, busyboxErr := os.Stat(busybox)
	if pluginsErr == nil && ipErr == nil && busyboxErr == nil && os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("install the CNI plugins: apt-get install -y containernetworking-plugins iproute2 busybox-static (and run as root)")
	}
	t.Skip("needs containernetworking-plugins, iproute2, busybox-static and root")
}

// testNetwork returns a Network on subnet with a bridge of its own, deleted at the end of the test.
func testNetwork(t *testing.T, subnet string) *Network {
	t.Helper()
	requireCNI(t)
	prefix := netip.MustParsePrefix(subnet)
	name := fmt.Sprintf("wkt%d-%d", os.Getpid(), prefix.Addr().As4()[2])
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", name).Run() })
	return &Network{Name: name, Bridge: name, Subnet: prefix, StateDir: t.TempDir()}
}

// setupPod sets up the network of pod id, and tears it down at the end of the test.
func setupPod(t *testing.T, n *Network, id, ip string) string {
	t.Helper()
	path, err := n.Setup(testContext(t), id, netip.MustParseAddr(ip))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Teardown(context.Background(), id); err != nil {
			t.Error(err)
		}
	})
	return path
}

const (
	podA = "0b5a2c1e-7f3d-4c8a-9e21-3d4f5a6b7c8d"
	podB = "1c6b3d2f-8a4e-4d9b-8f32-4e5a6b7c8d9e"
	podC = "2d7c4e3a-9b5f-4eac-9a43-5f6a7b8c9daf"
	podD = "3e8d5f4b-0c6a-4fbd-8b54-6a7b8c9daeb0"
)

func TestNetworkPods(t *testing.T) {
	n := testNetwork(t, "10.88.250.0/24")
	pathA := setupPod(t, n, podA, "10.88.250.10")
	pathB := setupPod(t, n, podB, "10.88.250.11")
	nsA, nsB := n.netnsName(podA), n.netnsName(podB)
	if want := "/run/netns/" + nsA; pathA != want {
		t.Fatalf("netns path = %s, want %s", pathA, want)
	}
	if !isNetns(pathA) || !isNetns(pathB) {
		t.Fatalf("%s or %s is not a network namespace", pathA, pathB)
	}
	wantPodNetwork(t, nsA, "10.88.250.10/24", n.Gateway())
	wantPodNetwork(t, nsB, "10.88.250.11/24", n.Gateway())

	t.Run("HostReachesPod", func(t *testing.T) {
		serve(t, nsA, "hello from a")
		wantReply(t, "hello from a", func() (string, error) { return dialRead("10.88.250.10:8080") })
	})
	t.Run("PodReachesPod", func(t *testing.T) {
		serve(t, nsB, "hello from b")
		wantReply(t, "hello from b", func() (string, error) {
			out, err := exec.Command("ip", "netns", "exec", nsA, busybox, "nc", "-w", "1", "10.88.250.11", "8080").Output()
			return string(out), err
		})
	})
	t.Run("SetupIsIdempotent", func(t *testing.T) {
		path, err := n.Setup(testContext(t), podA, netip.MustParseAddr("10.88.250.10"))
		if err != nil || path != pathA {
			t.Fatalf("Setup again = %q, %v; want %q", path, err, pathA)
		}
		wantPodNetwork(t, nsA, "10.88.250.10/24", n.Gateway())
		wantBridgePorts(t, n.Bridge, 2)
	})
	t.Run("SetupRepairs", func(t *testing.T) {
		runCmd(t, "ip", "-n", nsA, "link", "del", podIfname)
		if _, err := n.Setup(testContext(t), podA, netip.MustParseAddr("10.88.250.10")); err != nil {
			t.Fatal(err)
		}
		wantPodNetwork(t, nsA, "10.88.250.10/24", n.Gateway())
		wantBridgePorts(t, n.Bridge, 2)
	})
	t.Run("AddressTaken", func(t *testing.T) {
		_, err := n.Setup(testContext(t), podC, netip.MustParseAddr("10.88.250.11"))
		if err == nil || !strings.Contains(err.Error(), "cni plugin bridge ADD") {
			t.Fatalf("Setup with pod B's address: %v, want an error of cni plugin bridge", err)
		}
		t.Log(err)
		if _, err := os.Lstat(netnsPath(n.netnsName(podC))); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("failed Setup left its netns behind: %v", err)
		}
		wantPodNetwork(t, nsB, "10.88.250.11/24", n.Gateway())
		wantBridgePorts(t, n.Bridge, 2)
	})
	t.Run("Teardown", func(t *testing.T) {
		ctx := testContext(t)
		if err := n.Teardown(ctx, podA); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Lstat(pathA); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("netns after Teardown: %v", err)
		}
		reservation := filepath.Join(n.StateDir, n.Name, "10.88.250.10")
		if _, err := os.Lstat(reservation); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("host-local reservation after Teardown: %v", err)
		}
		wantBridgePorts(t, n.Bridge, 1)
		if err := n.Teardown(ctx, podA); err != nil {
			t.Fatalf("second Teardown: %v", err)
		}
	})
}

func TestNetworkStrayNetnsFile(t *testing.T) {
	n := testNetwork(t, "10.88.251.0/24")
	path := netnsPath(n.netnsName(podA))
	if err := os.MkdirAll(netnsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(path) })
	if err := n.Teardown(testContext(t), podA); err != nil {
		t.Fatalf("Teardown of a stray netns file: %v", err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stray netns file after Teardown: %v", err)
	}
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	setupPod(t, n, podA, "10.88.251.10")
	wantPodNetwork(t, n.netnsName(podA), "10.88.251.10/24", n.Gateway())
}

func TestNetworkStaleReservations(t *testing.T) {
	n := testNetwork(t, "10.88.251.0/24")
	ctx := testContext(t)
	setupPod(t, n, podA, "10.88.251.10")
	// A reboot: the namespace is gone, host-local's reservation is not.
	runCmd(t, "ip", "netns", "delete", n.netnsName(podA))
	setupPod(t, n, podA, "10.88.251.10")
	wantPodNetwork(t, n.netnsName(podA), "10.88.251.10/24", n.Gateway())

	// Pod B, never torn down, left 10.88.251.11 reserved: pod C gets it.
	setupPod(t, n, podB, "10.88.251.11")
	runCmd(t, "ip", "netns", "delete", n.netnsName(podB))
	setupPod(t, n, podC, "10.88.251.11")
	wantPodNetwork(t, n.netnsName(podC), "10.88.251.11/24", n.Gateway())
	owner, err := os.ReadFile(filepath.Join(n.StateDir, n.Name, "10.88.251.11"))
	if err != nil || !strings.HasPrefix(string(owner), podC) {
		t.Fatalf("reservation of 10.88.251.11 = %q, %v; want pod C's", owner, err)
	}
	// Pod A is alive: its address is not for another.
	if _, err := n.Setup(ctx, podD, netip.MustParseAddr("10.88.251.10")); err == nil {
		t.Fatal("Setup took the address of a live pod")
	}
	wantPodNetwork(t, n.netnsName(podA), "10.88.251.10/24", n.Gateway())
	wantBridgePorts(t, n.Bridge, 2)
}

func TestNetworkConcurrentSetup(t *testing.T) {
	n := testNetwork(t, "10.88.251.0/24")
	const pods = 8
	errs := make(chan error, pods)
	for i := range pods {
		id := fmt.Sprintf("4f9e6a5c-1d7b-4ace-9c65-%012d", i)
		t.Cleanup(func() {
			if err := n.Teardown(context.Background(), id); err != nil {
				t.Error(err)
			}
		})
		go func() {
			_, err := n.Setup(testContext(t), id, netip.AddrFrom4([4]byte{10, 88, 251, byte(20 + i)}))
			errs <- err
		}()
	}
	for range pods {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	wantBridgePorts(t, n.Bridge, pods)
}

// wantPodNetwork checks that network namespace name has lo up, and eth0 holding exactly addr and
// a default route via gw.
func wantPodNetwork(t *testing.T, name, addr string, gw netip.Addr) {
	t.Helper()
	var lo []struct {
		Flags []string `json:"flags"`
	}
	ipJSON(t, &lo, "-n", name, "link", "show", "dev", loIfname)
	if len(lo) != 1 || !slices.Contains(lo[0].Flags, "UP") {
		t.Errorf("%s: lo is not up: %+v", name, lo)
	}
	var links []struct {
		AddrInfo []struct {
			Family    string `json:"family"`
			Local     string `json:"local"`
			Prefixlen int    `json:"prefixlen"`
		} `json:"addr_info"`
	}
	ipJSON(t, &links, "-n", name, "addr", "show", "dev", podIfname)
	var got []string
	for _, link := range links {
		for _, a := range link.AddrInfo {
			if a.Family == "inet" {
				got = append(got, fmt.Sprintf("%s/%d", a.Local, a.Prefixlen))
			}
		}
	}
	if !slices.Equal(got, []string{addr}) {
		t.Errorf("%s: eth0 holds %v, want %s", name, got, addr)
	}
	var routes []struct {
		Gateway string `json:"gateway"`
		Dev     string `json:"dev"`
	}
	ipJSON(t, &routes, "-n", name, "route", "show", "default")
	if len(routes) != 1 || routes[0].Gateway != gw.String() || routes[0].Dev != podIfname {
		t.Errorf("%s: default routes %+v, want one via %s dev eth0", name, routes, gw)
	}
}

// wantBridgePorts checks that bridge has n ports: one host-side veth per pod.
func wantBridgePorts(t *testing.T, bridge string, n int) {
	t.Helper()
	var ports []struct {
		Ifname string `json:"ifname"`
	}
	ipJSON(t, &ports, "link", "show", "master", bridge)
	if len(ports) != n {
		t.Errorf("bridge %s has ports %+v, want %d", bridge, ports, n)
	}
}

// ipJSON runs `ip -j args` and decodes its output into v.
func ipJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	out := runCmd(t, "ip", append([]string{"-j"}, args...)...)
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("ip -j %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

func runCmd(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return out
}

// serve runs, in network namespace name, a server on port 8080 that answers one connection with
// reply.
func serve(t *testing.T, name, reply string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", name, busybox, "nc", "-l", "-p", "8080", "-e", busybox, "echo", reply)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
}

// dialRead connects to addr and returns what it sends until it closes.
func dialRead(addr string) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(2 * time.Second)); err != nil {
		return "", err
	}
	out, err := io.ReadAll(conn)
	return string(out), err
}

// wantReply calls get until it returns want, as the server may not be listening yet.
func wantReply(t *testing.T, want string, get func() (string, error)) {
	t.Helper()
	var got string
	var err error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if got, err = get(); err == nil && strings.TrimSpace(got) == want {
			return
		}
	}
	t.Fatalf("got %q, %v; want %q", got, err, want)
}

func TestNetworkBadPluginDir(t *testing.T) {
	dir := t.TempDir()
	n := &Network{Name: "wk", Bridge: "wkbr0", Subnet: netip.MustParsePrefix("10.88.250.0/24"), PluginDir: dir, StateDir: t.TempDir()}
	_, err := n.Setup(context.Background(), podA, netip.MustParseAddr("10.88.250.10"))
	want := dir + " lacks bridge, host-local, loopback; apt-get install -y containernetworking-plugins"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Setup with empty plugin dir: %v, want it to say %q", err, want)
	}
	if err := n.Teardown(context.Background(), podA); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Teardown with empty plugin dir: %v, want it to say %q", err, want)
	}
}

func TestFindPlugins(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]os.FileMode
		missing string // "" when found
	}{
		{"all", map[string]os.FileMode{"bridge": 0o755, "host-local": 0o755, "loopback": 0o755}, ""},
		{"no loopback", map[string]os.FileMode{"bridge": 0o755, "host-local": 0o755}, "lacks loopback;"},
		{"not executable", map[string]os.FileMode{"bridge": 0o755, "host-local": 0o644, "loopback": 0o755}, "lacks host-local;"},
		{"empty", nil, "lacks bridge, host-local, loopback;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, mode := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), mode); err != nil {
					t.Fatal(err)
				}
			}
			got, err := FindPlugins(dir)
			if tt.missing == "" {
				if err != nil || got != dir {
					t.Fatalf("FindPlugins = %q, %v; want %q", got, err, dir)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.missing) || !strings.Contains(err.Error(), "apt-get install -y containernetworking-plugins") {
				t.Fatalf("FindPlugins = %q, %v; want an error saying %q and how to install", got, err, tt.missing)
			}
		})
	}
}

func TestNetworkInvalid(t *testing.T) {
	good := Network{Name: "wk", Bridge: "wkbr0", Subnet: netip.MustParsePrefix("10.88.250.0/24"), StateDir: "/tmp/wk-cni"}
	tests := []struct {
		name string
		edit func(n *Network)
		id   string
		ip   string
		want string
	}{
		{"outside subnet", nil, podA, "10.88.251.10", "not in subnet"},
		{"network address", nil, podA, "10.88.250.0", "network, gateway or broadcast"},
		{"gateway", nil, podA, "10.88.250.1", "network, gateway or broadcast"},
		{"broadcast", nil, podA, "10.88.250.255", "network, gateway or broadcast"},
		{"id with slash", nil, "../etc", "10.88.250.10", "not usable in a netns name"},
		{"empty id", nil, "", "10.88.250.10", "not usable in a netns name"},
		{"long bridge", func(n *Network) { n.Bridge = "wk-bridge-for-pods" }, podA, "10.88.250.10", "at most 15 bytes"},
		{"no name", func(n *Network) { n.Name = "" }, podA, "10.88.250.10", "network name"},
		{"no subnet", func(n *Network) { n.Subnet = netip.Prefix{} }, podA, "10.88.250.10", "not a valid prefix"},
		{"tiny subnet", func(n *Network) { n.Subnet = netip.MustParsePrefix("10.88.250.0/31") }, podA, "10.88.250.1", "too small"},
		{"no state dir", func(n *Network) { n.StateDir = "" }, podA, "10.88.250.10", "no state dir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := good
			if tt.edit != nil {
				tt.edit(&n)
			}
			_, err := n.Setup(context.Background(), tt.id, netip.MustParseAddr(tt.ip))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Setup = %v, want an error saying %q", err, tt.want)
			}
		})
	}
}

func TestNetworkGateway(t *testing.T) {
	for subnet, want := range map[string]string{
		"10.88.1.0/24":  "10.88.1.1",
		"10.88.1.77/24": "10.88.1.1",
		"10.88.0.0/16":  "10.88.0.1",
		"fd00:88::/64":  "fd00:88::1",
	} {
		n := Network{Subnet: netip.MustParsePrefix(subnet)}
		if got := n.Gateway().String(); got != want {
			t.Errorf("Gateway of %s = %s, want %s", subnet, got, want)
		}
	}
}

func TestCNIBridgeConf(t *testing.T) {
	n := Network{Name: "wk", Bridge: "wkbr0", Subnet: netip.MustParsePrefix("10.88.1.0/24"), StateDir: "/run/wk/cni"}
	ipam := `"ipam":{"type":"host-local","dataDir":"/run/wk/cni","ranges":[[{"subnet":"10.88.1.0/24",%s"gateway":"10.88.1.1"}]],"routes":[{"dst":"0.0.0.0/0"}]}`
	head := `{"cniVersion":"1.0.0","name":"wk","type":"bridge","bridge":"wkbr0","isGateway":true,"hairpinMode":true,`
	for _, tt := range []struct {
		ip   netip.Addr
		want string
	}{
		{netip.MustParseAddr("10.88.1.5"), head + fmt.Sprintf(ipam, `"rangeStart":"10.88.1.5","rangeEnd":"10.88.1.5",`) + "}"},
		{netip.Addr{}, head + fmt.Sprintf(ipam, "") + "}"},
	} {
		got, err := json.Marshal(n.bridgeConf(tt.ip))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tt.want {
			t.Errorf("bridge conf for %v:\n got %s\nwant %s", tt.ip, got, tt.want)
		}
	}
}

func TestCNIPluginRun(t *testing.T) {
	tests := []struct {
		name    string
		script  string
		want    string // stdout, when the plugin succeeds
		wantErr string
	}{
		{
			name:   "result",
			script: `echo "$CNI_COMMAND $CNI_CONTAINERID $CNI_NETNS $CNI_IFNAME $CNI_PATH ${CNI_ARGS-unset}"; cat`,
			want:   "ADD pod-1 /run/netns/wk-pod-1 eth0 DIR unset\n" + `{"cniVersion":"1.0.0","name":"wk","type":"loopback"}`,
		},
		{
			name:    "error JSON",
			script:  `echo '{"cniVersion":"1.0.0","code":11,"msg":"no luck","details":"try later"}'; exit 1`,
			wantErr: "cni plugin loopback ADD: no luck (code 11): try later",
		},
		{
			name:    "error JSON without details",
			script:  `echo '{"code":7,"msg":"bad config"}'; exit 1`,
			wantErr: "cni plugin loopback ADD: bad config (code 7)",
		},
		{
			name:    "no JSON",
			script:  `echo boom >&2; exit 2`,
			wantErr: "cni plugin loopback ADD: exit status 2: boom",
		},
	}
	t.Setenv("CNI_ARGS", "IgnoreUnknown=1")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "loopback"), []byte("#!/bin/sh\n"+tt.script+"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			n := Network{Name: "wk"}
			call := pluginCall{dir: dir, command: "ADD", containerID: "pod-1", netns: "/run/netns/wk-pod-1", ifname: "eth0"}
			out, err := runPlugin(context.Background(), call, n.loopbackConf())
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("runPlugin = %q, %v; want error %q", out, err, tt.wantErr)
				}
				return
			}
			if want := strings.ReplaceAll(tt.want, "DIR", dir); err != nil || string(out) != want {
				t.Fatalf("runPlugin = %q, %v; want %q", out, err, want)
			}
		})
	}
}
