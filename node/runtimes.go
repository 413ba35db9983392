package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/node/runc"
)

// RuncMissing says why this machine cannot offer the runc runtime, or "" when it can: runc and the
// CNI plugins installed, and the agent running as root.
func RuncMissing() string {
	_, missing := runcPlugins()
	return missing
}

// runcPlugins returns the CNI plugins' folder, or why the runc runtime cannot be offered.
func runcPlugins() (dir, missing string) {
	if os.Geteuid() != 0 {
		return "", "the agent does not run as root"
	}
	if _, ok := runc.Available(); !ok {
		return "", "runc is not installed (apt-get install -y runc)"
	}
	dir, err := runc.FindPlugins("")
	if err != nil {
		return "", err.Error()
	}
	return dir, ""
}

// checkRunc decides whether the node offers runc, once, before the proxy and the drivers start.
func (a *Agent) checkRunc() {
	if !a.cfg.Runc {
		a.noRunc = "the agent was started without the runc runtime"
		return
	}
	if a.runcPlugins, a.noRunc = runcPlugins(); a.noRunc != "" {
		a.log.Info("the runc runtime is not offered", "reason", a.noRunc)
	}
}

// driverFor chooses the runtime of a pod: its runtimeClassName when it sets one, else wasm for a
// wasm module and runc for a Linux image, as the first container's image says. When telling them
// apart pulled the first image as a wasm module, it returns that image's id too.
func (a *Agent) driverFor(ctx context.Context, pod *api.Pod) (d Driver, pulled string, err error) {
	class := ""
	if pod.Spec.RuntimeClassName != nil {
		class = *pod.Spec.RuntimeClassName
	}
	switch class {
	case "wasm":
		return a.wasm, "", nil
	case "runc":
		if a.runc == nil {
			return nil, "", &imageError{reason: "CreatePodSandboxError", err: fmt.Errorf("node %s does not offer the runc runtime: %s", a.cfg.Name, a.noRunc)}
		}
		return a.runc, "", nil
	}
	if len(pod.Spec.Containers) == 0 {
		return a.wasm, "", nil
	}
	image := pod.Spec.Containers[0].Image
	if a.runc != nil {
		if _, ok := a.runc.known(image); ok {
			return a.runc, "", nil // a Linux image pulled before
		}
	}
	id, err := a.wasm.Pull(ctx, pod, image)
	if err == nil {
		return a.wasm, id, nil
	}
	if !errors.Is(err, errLinuxImage) {
		return nil, "", err // the next attempt decides again
	}
	if a.runc == nil {
		return nil, "", &imageError{reason: "InvalidImage", err: fmt.Errorf("%w; node %s does not offer it: %s", err, a.cfg.Name, a.noRunc)}
	}
	return a.runc, "", nil
}

// sweepRunc removes the runc containers and networks of pods that no worker runs, once the first
// list of the node's pods told which pods are still its own, and frees their addresses.
func (a *Agent) sweepRunc(ctx context.Context, workers map[string]*podWorker) {
	if a.runc == nil {
		return
	}
	a.mu.Lock()
	running := map[string]bool{}
	for _, w := range a.running {
		running[w.pod.UID] = true
	}
	a.mu.Unlock()
	keep := func(uid string) bool { return workers[uid] != nil || running[uid] }
	for _, uid := range a.runc.sweep(ctx, filepath.Join(a.cfg.DataDir, "pods"), keep) {
		a.ipam.release(uid)
		a.log.Info("removed what a pod gone left", "uid", uid)
	}
}
