package cmd

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wk-project/wk/control/api"
)

func newSetCmd(g *globals) *cobra.Command {
	set := &cobra.Command{Use: "set", Short: "Change a field of an object"}
	set.AddCommand(&cobra.Command{
		Use:   "image (deployment|replicaset|daemonset|pod) NAME CONTAINER=IMAGE...",
		Short: "Change the images of a workload's containers; a local .wasm path is uploaded",
		Example: `  wk set image deploy/hello hello=./hello-v2.wasm
  wk set image deployment hello hello=registry.local/hello:2`,
		RunE: func(cmd *cobra.Command, args []string) error {
			k, name, pairs, err := kindAndName(args, "deployments", "replicasets", "daemonsets", "pods")
			if err != nil {
				return err
			}
			if len(pairs) == 0 {
				return errorf("name at least one CONTAINER=IMAGE")
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			images := map[string]string{}
			for _, p := range pairs {
				ctr, img, ok := strings.Cut(p, "=")
				if !ok || ctr == "" || img == "" {
					return errorf("%q is not CONTAINER=IMAGE", p)
				}
				if isLocalImage(img) {
					data, err := os.ReadFile(img)
					if err != nil {
						return err
					}
					if img, err = c.PutBlob(cmd.Context(), data); err != nil {
						return err
					}
				}
				images[ctr] = img
			}
			obj, err := updateObject(cmd.Context(), c, k, g.ns(), name, func(o api.Object) error {
				refs := containerImages(o)
				for ctr := range images {
					found := false
					for _, r := range refs {
						if containerName(o, r.path) == ctr {
							*r.image = images[ctr]
							found = true
						}
					}
					if !found {
						return errorf("unable to find container named %q", ctr)
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(g.out, "%s image updated\n", objectName(obj))
			return nil
		},
	})
	return set
}

// containerName is the name of the container whose image field is at path.
func containerName(obj api.Object, path string) string {
	var spec *api.PodSpec
	switch o := obj.(type) {
	case *api.Pod:
		spec = &o.Spec
	case *api.Deployment:
		spec = &o.Spec.Template.Spec
	case *api.ReplicaSet:
		spec = &o.Spec.Template.Spec
	case *api.DaemonSet:
		spec = &o.Spec.Template.Spec
	}
	var i int
	if _, err := fmt.Sscanf(path[strings.LastIndex(path, "containers[")+len("containers["):], "%d]", &i); err != nil {
		return ""
	}
	if strings.Contains(path, "initContainers[") {
		return spec.InitContainers[i].Name
	}
	return spec.Containers[i].Name
}
