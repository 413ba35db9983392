package node

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/wk-project/wk/control/api"
)

// prepareVolumes makes each of the pod's volumes a folder on this node: emptyDir under the pod's
// folder, hostPath as given (made for DirectoryOrCreate), configMap and secret keys as files.
func (a *Agent) prepareVolumes(ctx context.Context, pod *api.Pod, podDir string) (map[string]string, error) {
	dirs := map[string]string{}
	for _, v := range pod.Spec.Volumes {
		dir := filepath.Join(podDir, "volumes", v.Name)
		switch {
		case v.HostPath != nil:
			dir = v.HostPath.Path
			if v.HostPath.Type == "DirectoryOrCreate" {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return nil, fmt.Errorf("volume %s: %w", v.Name, err)
				}
			}
		case v.ConfigMap != nil:
			obj, err := a.client.Get(ctx, a.kinds.configMaps, pod.Namespace, v.ConfigMap.Name)
			if err != nil {
				if optional(v.ConfigMap.Optional) && api.IsNotFound(err) {
					obj = &api.ConfigMap{}
				} else {
					return nil, fmt.Errorf("volume %s: configmap %q: %w", v.Name, v.ConfigMap.Name, err)
				}
			}
			cm := obj.(*api.ConfigMap)
			files := map[string][]byte{}
			for k, s := range cm.Data {
				files[k] = []byte(s)
			}
			for k, b := range cm.BinaryData {
				files[k] = b
			}
			if err := writeKeys(dir, files, v.ConfigMap.Items, v.ConfigMap.DefaultMode); err != nil {
				return nil, fmt.Errorf("volume %s: %w", v.Name, err)
			}
		case v.Secret != nil:
			obj, err := a.client.Get(ctx, a.kinds.secrets, pod.Namespace, v.Secret.SecretName)
			if err != nil {
				if optional(v.Secret.Optional) && api.IsNotFound(err) {
					obj = &api.Secret{}
				} else {
					return nil, fmt.Errorf("volume %s: secret %q: %w", v.Name, v.Secret.SecretName, err)
				}
			}
			if err := writeKeys(dir, obj.(*api.Secret).Data, v.Secret.Items, v.Secret.DefaultMode); err != nil {
				return nil, fmt.Errorf("volume %s: %w", v.Name, err)
			}
		default: // emptyDir, and any source this node does not know, as scratch space
			if err := os.MkdirAll(dir, 0o777); err != nil {
				return nil, fmt.Errorf("volume %s: %w", v.Name, err)
			}
		}
		dirs[v.Name] = dir
	}
	return dirs, nil
}

func optional(b *bool) bool { return b != nil && *b }

// writeKeys writes each key (or each listed item) as a file of dir.
func writeKeys(dir string, data map[string][]byte, items []api.KeyToPath, mode *int32) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	perm := os.FileMode(0o644)
	if mode != nil {
		perm = os.FileMode(*mode) & 0o777
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	write := func(name string, b []byte) error {
		if d := filepath.Dir(name); d != "." {
			if err := root.MkdirAll(d, 0o755); err != nil {
				return err
			}
		}
		return root.WriteFile(name, b, perm)
	}
	if len(items) == 0 {
		for k, b := range data {
			if err := write(k, b); err != nil {
				return err
			}
		}
		return nil
	}
	for _, it := range items {
		b, ok := data[it.Key]
		if !ok {
			return fmt.Errorf("key %q not found", it.Key)
		}
		if err := write(it.Path, b); err != nil {
			return err
		}
	}
	return nil
}
