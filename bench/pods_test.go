package bench

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wk-project/wk/control"
	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
	"github.com/wk-project/wk/control/controltest"
	"github.com/wk-project/wk/node"
	"github.com/wk-project/wk/samples/build"
)

// cluster is a control plane and one node agent in this process, and a watch that notes when
// each pod turns Ready.
type cluster struct {
	c     *client.Client
	node  string
	pods  *api.Kind
	mu    sync.Mutex
	ready map[string]chan struct{}
}

func startCluster(b *testing.B) *cluster { return startClusterWith(b, nil) }

// startClusterWith starts a cluster whose node's agent Config edit changes first.
func startClusterWith(b *testing.B, edit func(*node.Config)) *cluster {
	b.Helper()
	_, c := controltest.Start(b, control.Config{})
	cfg := node.DefaultConfig()
	cfg.Name, cfg.DataDir = "bench-node", b.TempDir()
	if edit != nil {
		edit(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); node.New(cfg, c).Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
	cl := &cluster{c: c, node: cfg.Name, ready: map[string]chan struct{}{}}
	cl.pods, _ = api.ResourceFor("pods")
	events, err := c.Watch(ctx, cl.pods, "default", client.ListOptions{})
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		for ev := range events {
			if p, ok := ev.Object.(*api.Pod); ok && isReady(p) {
				cl.mu.Lock()
				if ch, ok := cl.ready[p.Name]; ok {
					close(ch)
					delete(cl.ready, p.Name)
				}
				cl.mu.Unlock()
			}
		}
	}()
	return cl
}

func isReady(p *api.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == api.PodReady && c.Status == api.ConditionTrue {
			return true
		}
	}
	return false
}

// guestPod is a pod of the Go or the C hello sample, bound to the node, with a readiness probe.
func (cl *cluster) guestPod(name, image string, port int) *api.Pod {
	probe := &api.Probe{ProbeHandler: api.ProbeHandler{TCPSocket: &api.TCPSocketAction{Port: api.FromInt(port)}}}
	return &api.Pod{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"}, Spec: api.PodSpec{
		NodeName: cl.node,
		Containers: []api.Container{{Name: "app", Image: image, Ports: []api.ContainerPort{{ContainerPort: int32(port)}},
			ReadinessProbe: probe}},
	}}
}

// start creates the pod and returns a channel closed when it is Ready.
func (cl *cluster) start(b *testing.B, p *api.Pod) <-chan struct{} {
	ch := make(chan struct{})
	cl.mu.Lock()
	cl.ready[p.Name] = ch
	cl.mu.Unlock()
	if _, err := cl.c.Create(context.Background(), p); err != nil {
		b.Fatal(err)
	}
	return ch
}

func (cl *cluster) delete(name string) {
	cl.c.Delete(context.Background(), cl.pods, "default", name, nil)
}

type guestCase struct {
	name string
	port int
	wasm func(testing.TB) []byte
}

var guestCases = []guestCase{
	{"go-hello", 9876, func(tb testing.TB) []byte { return build.Go(tb, "samples/hello") }},
	{"c-hello", 8080, build.C},
}

// BenchmarkApplyToReady measures, for a module already compiled on the node, the time from a
// pod's create request to its Ready condition (probe answered), one pod at a time.
func BenchmarkApplyToReady(b *testing.B) {
	for _, g := range guestCases {
		b.Run("guest="+g.name, func(b *testing.B) {
			cl := startCluster(b)
			image, err := cl.c.PutBlob(context.Background(), g.wasm(b))
			if err != nil {
				b.Fatal(err)
			}
			<-cl.start(b, cl.guestPod("warm", image, g.port)) // compile once, as a node that ran it before
			cl.delete("warm")
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				name := fmt.Sprintf("p%d", i)
				t0 := time.Now()
				<-cl.start(b, cl.guestPod(name, image, g.port))
				lat = append(lat, time.Since(t0))
				cl.delete(name)
			}
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
		})
	}
}

// BenchmarkPodsPerSecond creates b.N pods at once on one node (b.N at most 250: one /24) and
// measures how many turn Ready per second.
func BenchmarkPodsPerSecond(b *testing.B) {
	for _, g := range guestCases {
		b.Run("guest="+g.name, func(b *testing.B) {
			if b.N > 250 {
				b.Fatalf("a node holds 250 pods; run with -benchtime 100x")
			}
			cl := startCluster(b)
			image, err := cl.c.PutBlob(context.Background(), g.wasm(b))
			if err != nil {
				b.Fatal(err)
			}
			<-cl.start(b, cl.guestPod("warm", image, g.port))
			cl.delete("warm")
			b.ResetTimer()
			t0 := time.Now()
			var chans []<-chan struct{}
			for i := 0; i < b.N; i++ {
				chans = append(chans, cl.start(b, cl.guestPod(fmt.Sprintf("p%d", i), image, g.port)))
			}
			for _, ch := range chans {
				<-ch
			}
			b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "pods/s")
		})
	}
}

// BenchmarkIdleHelloPods runs 100 Go hello pods and measures, over 10 s of idling, the CPU the
// whole process (control plane, agent and pods) uses, and the memory each pod adds.
func BenchmarkIdleHelloPods(b *testing.B) {
	const pods = 100
	cl := startCluster(b)
	image, err := cl.c.PutBlob(context.Background(), build.Go(b, "samples/hello"))
	if err != nil {
		b.Fatal(err)
	}
	<-cl.start(b, cl.guestPod("warm", image, 9876))
	rssBefore := rssKiB()
	var chans []<-chan struct{}
	for i := 0; i < pods; i++ {
		chans = append(chans, cl.start(b, cl.guestPod(fmt.Sprintf("idle%d", i), image, 9876)))
	}
	for _, ch := range chans {
		<-ch
	}
	time.Sleep(2 * time.Second) // let the start-up settle
	rssAfter := rssKiB()
	cpu0, t0 := cpuTime(), time.Now()
	time.Sleep(10 * time.Second)
	cpu := cpuTime() - cpu0
	wall := time.Since(t0)
	b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "%cpu_of_one_core")
	b.ReportMetric(float64(rssAfter-rssBefore)/pods/1024, "MiB_rss_per_pod")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rssKiB reads this process's resident set size.
func rssKiB() int64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
