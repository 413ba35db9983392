package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/node"
	"github.com/wk-project/wk/node/runc/runctest"
	"github.com/wk-project/wk/samples/build"
)

// runcBenchCIDR is the bench node's pod CIDR, made before the agent registers, away from the
// ones tests use.
const runcBenchCIDR = "10.88.230.0/24"

// startRuncCluster starts a cluster whose node offers runc, with runcBenchCIDR.
func startRuncCluster(b *testing.B) (*cluster, string) {
	b.Helper()
	runctest.Require(b)
	dataDir := b.TempDir()
	b.Cleanup(func() { runctest.RemoveLeftovers(b, dataDir) })
	var cl *cluster
	cl = startClusterWith(b, func(cfg *node.Config) {
		cfg.Runc, cfg.DataDir, cfg.ServiceDevice = true, dataDir, runctest.ServiceDevice(b)
	})
	n := &api.Node{ObjectMeta: api.ObjectMeta{Name: cl.node}, Spec: api.NodeSpec{PodCIDR: runcBenchCIDR, PodCIDRs: []string{runcBenchCIDR}}}
	// The agent registers by apply, which keeps a pod CIDR already set; it waits for one.
	if _, err := cl.c.Create(context.Background(), n); err != nil && !api.IsAlreadyExists(err) {
		b.Fatal(err)
	}
	return cl, dataDir
}

// httpdImage is busybox's httpd in an OCI layout.
func httpdImage(b *testing.B) string {
	img := runctest.Image(b, map[string]string{"/www/index.html": "ok\n"},
		v1.Config{Entrypoint: []string{"httpd", "-f", "-p", "8080", "-h", "/www"}})
	return runctest.Layout(b, img, "v1")
}

// BenchmarkRuncVsWasm measures, in one cluster and one run, the apply-to-Ready latency of a runc
// pod (busybox httpd from an OCI layout, image unpacked once before) and of a wasm pod (the Go
// hello sample, compiled once before), one pod at a time, and then the memory an idle pod of each
// costs: the agent's RSS added per pod, plus for runc the RSS of the container's processes.
func BenchmarkRuncVsWasm(b *testing.B) {
	cl, dataDir := startRuncCluster(b)
	wasm, err := cl.c.PutBlob(context.Background(), build.Go(b, "samples/hello"))
	if err != nil {
		b.Fatal(err)
	}
	kinds := []struct {
		name, image string
		port        int
	}{{"runc", httpdImage(b), 8080}, {"wasm", wasm, 9876}}
	for _, k := range kinds {
		<-cl.start(b, cl.guestPod("warm-"+k.name, k.image, k.port))
		cl.delete("warm-" + k.name)
	}
	time.Sleep(2 * time.Second) // the warm pods stop
	lat := map[string][]time.Duration{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, k := range kinds {
			name := fmt.Sprintf("%s-%d", k.name, i)
			t0 := time.Now()
			<-cl.start(b, cl.guestPod(name, k.image, k.port))
			lat[k.name] = append(lat[k.name], time.Since(t0))
			cl.delete(name)
		}
	}
	b.StopTimer()
	for _, k := range kinds {
		l := lat[k.name]
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
		b.ReportMetric(float64(l[len(l)/2].Microseconds())/1000, k.name+"_p50_ms")
	}
	b.ReportMetric(float64(lat["runc"][len(lat["runc"])/2])/float64(lat["wasm"][len(lat["wasm"])/2]), "runc/wasm_p50")

	const idle = 20
	time.Sleep(3 * time.Second)
	for _, k := range kinds {
		before := settledRSSKiB()
		var chans []<-chan struct{}
		for i := 0; i < idle; i++ {
			chans = append(chans, cl.start(b, cl.guestPod(fmt.Sprintf("idle-%s-%d", k.name, i), k.image, k.port)))
		}
		for _, ch := range chans {
			<-ch
		}
		time.Sleep(2 * time.Second)
		agent := float64(settledRSSKiB()-before) / idle / 1024
		b.ReportMetric(agent, k.name+"_agent_MiB_per_pod")
		if k.name == "runc" {
			b.ReportMetric(containersRSSKiB(dataDir)/idle/1024, "runc_container_MiB_per_pod")
		}
	}
}

// containersRSSKiB sums the RSS of the processes of the runc containers of the agent on dataDir.
func containersRSSKiB(dataDir string) float64 {
	entries, _ := os.ReadDir(filepath.Join(dataDir, "runc", "state"))
	var sum float64
	for _, e := range entries {
		for _, procs := range []string{
			filepath.Join("/sys/fs/cgroup/memory/wk", e.Name(), "cgroup.procs"),
			filepath.Join("/sys/fs/cgroup/wk", e.Name(), "cgroup.procs"),
		} {
			data, err := os.ReadFile(procs)
			if err != nil {
				continue
			}
			for _, pid := range strings.Fields(string(data)) {
				sum += float64(pidRSSKiB(pid))
			}
			break
		}
	}
	return sum
}

func pidRSSKiB(pid string) int64 {
	data, _ := os.ReadFile("/proc/" + pid + "/status")
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var n int64
			fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), " kB"), &n)
			return n
		}
	}
	return 0
}

// settledRSSKiB is this process's RSS once the Go heap has been collected and returned to the
// system, so that two readings differ by what stays in use.
func settledRSSKiB() int64 {
	debug.FreeOSMemory()
	return rssKiB()
}
