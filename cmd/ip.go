package cmd

import (
	"fmt"
	"sort"

	"github.com/spf13/cobra"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
)

// controlPlaneRole marks the node that runs with the control plane (wk up's own node).
const controlPlaneRole = "node-role.kubernetes.io/control-plane"

func newIPCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "ip [NODE]",
		Short: "Print a node's address, the one to use for NodePort Services and Ingress (as minikube ip)",
		Long: `Print the InternalIP of NODE, or, without NODE, of the control-plane node (the node of wk up),
else of the first node by name. NodePort Services and the Ingress listener answer at every node's
address.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			k, _ := api.ResourceFor("nodes")
			var n *api.Node
			if len(args) == 1 {
				obj, err := c.Get(cmd.Context(), k, "", args[0])
				if err != nil {
					return err
				}
				n = obj.(*api.Node)
			} else {
				objs, _, err := c.List(cmd.Context(), k, "", client.ListOptions{})
				if err != nil {
					return err
				}
				if n = pickIPNode(objs); n == nil {
					return fmt.Errorf("the cluster has no nodes yet")
				}
			}
			for _, a := range n.Status.Addresses {
				if a.Type == api.NodeInternalIP {
					fmt.Fprintln(g.out, a.Address)
					return nil
				}
			}
			return fmt.Errorf("node %s has not reported its address yet", n.Name)
		},
	}
}

// pickIPNode is the control-plane node, else the first node by name.
func pickIPNode(objs []api.Object) *api.Node {
	var nodes []*api.Node
	for _, o := range objs {
		n := o.(*api.Node)
		if _, ok := n.Labels[controlPlaneRole]; ok {
			return n
		}
		nodes = append(nodes, n)
	}
	if len(nodes) == 0 {
		return nil
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	return nodes[0]
}
