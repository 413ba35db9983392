package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/node/runc"
)

// RuncMissing says why this machine cannot offer the runc runtime, or "" when it can: runc and the
// CNI plugins installed, and the agent running as root.
func RuncMissing() string {
	switch {
	case os.Geteuid() != 0:
		return "the agent does not run as root"
	case !hasRunc():
		return "runc is not installed (apt-get install -y runc)"
	}
	if _, err := runc.FindPlugins(""); err != nil {
		return err.Error()
	}
	return ""
}

func hasRunc() bool {
	_, err := exec.LookPath("runc")
	return err == nil
}

// startRunc makes the runc driver when the node offers runc.
func (a *Agent) startRunc(ctx context.Context) {
	if !a.cfg.Runc {
		a.noRunc = "the agent was started without the runc runtime"
		return
	}
	if why := RuncMissing(); why != "" {
		a.noRunc = why
		a.log.Info("the runc runtime is not offered", "reason", why)
		return
	}
	a.runcPlugins, _ = runc.FindPlugins("")
	dir := filepath.Join(a.cfg.DataDir, "runc")
	a.runc = &runcDriver{
		rt:       &runc.Runtime{Root: filepath.Join(dir, "state")},
		dir:      dir,
		keychain: authn.DefaultKeychain,
		proxy:    a.proxy,
		log:      a.log.With("component", "runc"),
		ctx:      ctx,
		images:   map[string]runcImage{},
		pulled:   map[string]string{},
	}
}

// driverFor chooses the runtime of a pod: its runtimeClassName when it sets one, else wasm for a
// wasm module and runc for a Linux image, as the first container's image says.
func (a *Agent) driverFor(ctx context.Context, pod *api.Pod) (Driver, error) {
	class := ""
	if pod.Spec.RuntimeClassName != nil {
		class = *pod.Spec.RuntimeClassName
	}
	switch class {
	case "wasm":
		return a.wasm, nil
	case "runc":
		if a.runc == nil {
			return nil, &imageError{reason: "CreatePodSandboxError", err: fmt.Errorf("node %s does not offer the runc runtime: %s", a.cfg.Name, a.noRunc)}
		}
		return a.runc, nil
	}
	if len(pod.Spec.Containers) == 0 {
		return a.wasm, nil
	}
	_, err := a.wasm.Pull(ctx, pod, pod.Spec.Containers[0].Image)
	if !errors.Is(err, errLinuxImage) {
		return a.wasm, nil // a wasm module, or an error the wasm pull reports again
	}
	if a.runc == nil {
		return nil, &imageError{reason: "InvalidImage", err: fmt.Errorf("%w; node %s does not offer it: %s", err, a.cfg.Name, a.noRunc)}
	}
	return a.runc, nil
}
