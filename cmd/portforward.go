package cmd

import (
	"context"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
)

func newPortForwardCmd(g *globals) *cobra.Command {
	var addresses []string
	c := &cobra.Command{
		Use:   "port-forward (POD | TYPE/NAME) [LOCAL_PORT:]REMOTE_PORT [...[LOCAL_PORT_N:]REMOTE_PORT_N]",
		Short: "Forward one or more local ports to a pod",
		Long: `Listen on local ports and forward each connection to a port of a pod, through the API server
and the tunnel of the pod's node. For svc/NAME, deploy/NAME, rs/NAME and ds/NAME a running pod
of the object is picked, a ready one first; a service port is mapped to its targetPort. A local
port of 0, or none (":8080"), picks a free port. wk port-forward runs until interrupted.`,
		Example: `  wk port-forward hello-7d9c5-x2x7q 8080:9876
  wk port-forward svc/hello 8080:80
  wk port-forward deploy/hello :9876 --address 0.0.0.0`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			specs, err := parsePortSpecs(args[1:])
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			pod, ports, err := resolvePortForward(cmd.Context(), g, c, args[0], specs)
			if err != nil {
				return err
			}
			f := &portForwarder{g: g, c: c, pod: pod}
			return f.run(cmd.Context(), addresses, ports)
		},
	}
	c.Flags().StringSliceVar(&addresses, "address", []string{"127.0.0.1"}, "addresses to listen on (comma separated)")
	return c
}

// portSpec is one LOCAL:REMOTE argument; remote is a number or a port name.
type portSpec struct {
	local  int
	remote string
}

// forwardedPort is a local port and the pod port it forwards to.
type forwardedPort struct {
	local  int
	remote int
}

// parsePortSpecs reads "8080:80", "8080" (the same port on both sides), ":80" and "0:80" (any free
// local port), as kubectl does.
func parsePortSpecs(args []string) ([]portSpec, error) {
	var specs []portSpec
	for _, a := range args {
		local, remote, ok := strings.Cut(a, ":")
		if !ok {
			local, remote = a, a
		}
		if local == "" {
			local = "0"
		}
		l, err := strconv.Atoi(local)
		if err != nil || l < 0 || l > 65535 {
			return nil, fmt.Errorf("error parsing local port %q: must be a number from 0 to 65535", local)
		}
		if remote == "" {
			return nil, fmt.Errorf("error parsing remote port of %q: it is empty", a)
		}
		if r, err := strconv.Atoi(remote); err == nil && (r < 1 || r > 65535) {
			return nil, fmt.Errorf("error parsing remote port %q: must be a number from 1 to 65535 or a port name", remote)
		}
		specs = append(specs, portSpec{local: l, remote: remote})
	}
	return specs, nil
}

// resolvePortForward finds the pod that arg names and the pod port of each spec.
func resolvePortForward(ctx context.Context, g *globals, c *client.Client, arg string, specs []portSpec) (*api.Pod, []forwardedPort, error) {
	pod, svc, err := podToForward(ctx, g, c, arg)
	if err != nil {
		return nil, nil, err
	}
	if pod.Status.Phase != api.PodRunning {
		phase := pod.Status.Phase
		if phase == "" {
			phase = api.PodPending
		}
		return nil, nil, fmt.Errorf("unable to forward port because pod is not running. Current status=%s", phase)
	}
	var ports []forwardedPort
	for _, s := range specs {
		target := s.remote
		if svc != nil {
			if target, err = serviceTargetPort(svc, s.remote); err != nil {
				return nil, nil, err
			}
		}
		remote, err := podPort(pod, target)
		if err != nil {
			return nil, nil, err
		}
		ports = append(ports, forwardedPort{local: s.local, remote: remote})
	}
	return pod, ports, nil
}

// podToForward reads the pod arg names: POD, pod/NAME, or a running pod of svc/NAME, deploy/NAME,
// rs/NAME or ds/NAME. For a service it returns the service too.
func podToForward(ctx context.Context, g *globals, c *client.Client, arg string) (*api.Pod, *api.Service, error) {
	t, name, ok := strings.Cut(arg, "/")
	if !ok {
		t, name = "pods", arg
	}
	k, err := api.ResourceFor(t)
	if err != nil {
		return nil, nil, err
	}
	obj, err := c.Get(ctx, k, g.ns(), name)
	if err != nil {
		return nil, nil, err
	}
	var sel *api.LabelSelector
	var svc *api.Service
	switch o := obj.(type) {
	case *api.Pod:
		return o, nil, nil
	case *api.Service:
		if len(o.Spec.Selector) == 0 {
			return nil, nil, fmt.Errorf("invalid service '%s': Service is defined without a selector", name)
		}
		svc, sel = o, &api.LabelSelector{MatchLabels: o.Spec.Selector}
	default:
		if sel, ok = workloadSelector(obj); !ok {
			return nil, nil, fmt.Errorf("cannot forward ports of a %s", k.Singular)
		}
	}
	pods, err := selectedPods(ctx, g, c, k, name, sel)
	if err != nil {
		return nil, nil, err
	}
	return mostActivePod(pods), svc, nil
}

// mostActivePod picks the pod to forward to, as kubectl does: running and ready first, then
// running, then the oldest, then by name.
func mostActivePod(pods []*api.Pod) *api.Pod {
	rank := func(p *api.Pod) int {
		switch {
		case p.Status.Phase == api.PodRunning && podIsReady(p):
			return 0
		case p.Status.Phase == api.PodRunning:
			return 1
		}
		return 2
	}
	return slices.MinFunc(pods, func(a, b *api.Pod) int {
		if r := rank(a) - rank(b); r != 0 {
			return r
		}
		if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
}

func podIsReady(p *api.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == api.PodReady {
			return c.Status == api.ConditionTrue
		}
	}
	return false
}

// serviceTargetPort maps a service port, by number or name, to its targetPort (a number or a
// container port's name).
func serviceTargetPort(svc *api.Service, port string) (string, error) {
	for _, sp := range svc.Spec.Ports {
		if sp.Name == port || strconv.Itoa(int(sp.Port)) == port {
			if sp.TargetPort.IsZero() {
				return strconv.Itoa(int(sp.Port)), nil
			}
			return sp.TargetPort.String(), nil
		}
	}
	return "", fmt.Errorf("Service %s does not have a service port %s", svc.Name, port)
}

// podPort is a port number, or the number of the pod's container port of that name.
func podPort(pod *api.Pod, port string) (int, error) {
	if n, err := strconv.Atoi(port); err == nil {
		return n, nil
	}
	for _, c := range pod.Spec.Containers {
		for _, cp := range c.Ports {
			if cp.Name == port {
				return int(cp.ContainerPort), nil
			}
		}
	}
	return 0, fmt.Errorf("Pod '%s' does not have a named port '%s'", pod.Name, port)
}

// portForwarder listens on the local ports and forwards each connection to the pod.
type portForwarder struct {
	g   *globals
	c   *client.Client
	pod *api.Pod
	mu  sync.Mutex // serializes the lines written to g.out and g.errs
}

// run listens on every address for every port, then forwards connections until ctx ends.
func (f *portForwarder) run(ctx context.Context, addresses []string, ports []forwardedPort) error {
	var lns []net.Listener
	closeAll := func() {
		for _, ln := range lns {
			ln.Close()
		}
	}
	for _, p := range ports {
		local := p.local
		for _, addr := range addresses {
			ln, err := net.Listen("tcp", net.JoinHostPort(addr, strconv.Itoa(local)))
			if err != nil {
				closeAll()
				return fmt.Errorf("unable to listen on port %d: %w", p.local, err)
			}
			local = ln.Addr().(*net.TCPAddr).Port // a port 0 becomes the same free port on every address
			lns = append(lns, ln)
			f.printf(f.g.out, "Forwarding from %s -> %d\n", ln.Addr(), p.remote)
		}
	}
	stop := context.AfterFunc(ctx, closeAll)
	defer stop()
	var wg sync.WaitGroup
	for i, ln := range lns {
		remote := ports[i/len(addresses)].remote
		wg.Add(1)
		go func() { defer wg.Done(); f.accept(ctx, ln, remote) }()
	}
	wg.Wait()
	return nil
}

// accept forwards the connections of one listener until it is closed.
func (f *portForwarder) accept(ctx context.Context, ln net.Listener, remote int) {
	local := ln.Addr().(*net.TCPAddr).Port
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		f.printf(f.g.errs, "Handling connection for %d\n", local)
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.forward(ctx, conn, local, remote)
		}()
	}
}

// forward splices one local connection to the pod's port; what stops it is printed, as kubectl
// does, and the other connections go on.
func (f *portForwarder) forward(ctx context.Context, conn net.Conn, local, remote int) {
	stream, err := f.c.PortForward(ctx, f.g.ns(), f.pod.Name, remote)
	if err != nil {
		conn.Close()
		f.printf(f.g.errs, "error: an error occurred forwarding %d -> %d: %v\n", local, remote, err)
		return
	}
	stop := context.AfterFunc(ctx, func() { conn.Close(); stream.Close() })
	defer stop()
	client.Splice(conn, stream)
}

func (f *portForwarder) printf(w io.Writer, format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fmt.Fprintf(w, format, args...)
}
