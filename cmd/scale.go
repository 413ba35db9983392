package cmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wk-project/wk/control/api"
)

func newScaleCmd(g *globals) *cobra.Command {
	replicas := -1
	c := &cobra.Command{
		Use:     "scale (deployment|replicaset) NAME --replicas=N",
		Short:   "Set the number of replicas of a Deployment or ReplicaSet",
		Example: "  wk scale deploy/hello --replicas=10",
		RunE: func(cmd *cobra.Command, args []string) error {
			if replicas < 0 {
				return errorf("--replicas is required and must be 0 or more")
			}
			k, name, _, err := kindAndName(args, "deployments", "replicasets")
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			n := int32(replicas)
			obj, err := updateObject(cmd.Context(), c, k, g.ns(), name, func(o api.Object) error {
				switch o := o.(type) {
				case *api.Deployment:
					o.Spec.Replicas = &n
				case *api.ReplicaSet:
					o.Spec.Replicas = &n
				}
				return nil
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(g.out, "%s scaled\n", objectName(obj))
			return nil
		},
	}
	c.Flags().IntVar(&replicas, "replicas", -1, "the new number of replicas")
	return c
}
