package node

import (
	"context"
	"fmt"
	"io"

	"github.com/wk-project/wk/control/api"
)

// exec runs cmd in the pod beside container (the pod's only container when empty), with that
// container's environment and mounts, and returns its exit code.
func (w *podWorker) exec(ctx context.Context, container string, cmd []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	c, err := w.containerSpec(container)
	if err != nil {
		return 0, err
	}
	w.mu.Lock()
	sb := w.sandbox
	w.mu.Unlock()
	if sb == nil {
		return 0, fmt.Errorf("pod %s is not running yet", w.pod.Name)
	}
	env, err := w.a.containerEnv(ctx, w.pod, c)
	if err != nil {
		return 0, err
	}
	p, err := sb.Exec(ctx, ContainerSpec{Name: c.Name, Env: env, Mounts: mounts(c.VolumeMounts), MemoryLimit: memoryLimit(*c), Stdin: stdin, Stdout: stdout, Stderr: stderr}, cmd)
	if err != nil {
		return 0, err
	}
	select {
	case <-p.Done():
	case <-ctx.Done():
		p.Kill()
	}
	return p.Wait().Code, nil
}

func (w *podWorker) containerSpec(name string) (*api.Container, error) {
	cs := w.pod.Spec.Containers
	if name == "" {
		if len(cs) != 1 {
			return nil, fmt.Errorf("a container name must be specified for pod %s (-c)", w.pod.Name)
		}
		return &cs[0], nil
	}
	for i := range cs {
		if cs[i].Name == name {
			return &cs[i], nil
		}
	}
	return nil, fmt.Errorf("container %s is not valid for pod %s", name, w.pod.Name)
}
