package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
)

func newCordonCmd(g *globals, cordon bool) *cobra.Command {
	verb, short := "uncordon", "Mark a node schedulable again"
	if cordon {
		verb, short = "cordon", "Mark a node unschedulable: no new pod lands on it"
	}
	return &cobra.Command{
		Use:   verb + " NODE",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			return setUnschedulable(cmd.Context(), g, c, args[0], cordon)
		},
	}
}

// setUnschedulable cordons or uncordons a node and says so as kubectl does.
func setUnschedulable(ctx context.Context, g *globals, c *client.Client, name string, on bool) error {
	k, _ := api.ResourceFor("nodes")
	verb := "uncordoned"
	if on {
		verb = "cordoned"
	}
	already := false
	_, err := updateObject(ctx, c, k, "", name, func(o api.Object) error {
		n := o.(*api.Node)
		already = n.Spec.Unschedulable == on
		n.Spec.Unschedulable = on
		return nil
	})
	if err != nil {
		return err
	}
	if already {
		verb = "already " + verb
	}
	fmt.Fprintf(g.out, "node/%s %s\n", name, verb)
	return nil
}
