package cmd

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
)

type drainOptions struct {
	force            bool
	ignoreDaemonSets bool
	grace            int64
	timeout          time.Duration
}

func newDrainCmd(g *globals) *cobra.Command {
	o := drainOptions{grace: -1}
	c := &cobra.Command{
		Use:   "drain NODE",
		Short: "Cordon a node and evict its pods, so that their controllers run them elsewhere",
		Long: `Cordon a node and evict its pods, so that their controllers run them elsewhere. Pods that no
controller would recreate are refused unless --force; DaemonSet pods are refused unless
--ignore-daemonsets, which leaves them in place.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDrain(cmd.Context(), g, args[0], o)
		},
	}
	f := c.Flags()
	f.BoolVar(&o.force, "force", false, "also delete pods that no controller manages")
	f.BoolVar(&o.ignoreDaemonSets, "ignore-daemonsets", false, "leave DaemonSet pods in place")
	f.Int64Var(&o.grace, "grace-period", -1, "seconds each pod gets to stop; -1 keeps the pod's own")
	f.DurationVar(&o.timeout, "timeout", 0, "give up after this long (0: no limit)")
	return c
}

func runDrain(ctx context.Context, g *globals, node string, o drainOptions) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}
	if err := setUnschedulable(ctx, g, c, node, true); err != nil {
		return err
	}
	pods, _ := api.ResourceFor("pods")
	objs, _, err := c.List(ctx, pods, "", client.ListOptions{FieldSelector: "spec.nodeName=" + node})
	if err != nil {
		return err
	}
	evict, problems := drainable(objs, o)
	if len(problems) > 0 {
		return errorf("cannot drain node %q: %s", node, strings.Join(problems, "; "))
	}
	opts := &api.DeleteOptions{}
	if o.grace >= 0 {
		opts.GracePeriodSeconds = &o.grace
	}
	for _, p := range evict {
		fmt.Fprintf(g.out, "evicting pod %s/%s\n", p.Namespace, p.Name)
		if _, err := c.Delete(ctx, pods, p.Namespace, p.Name, opts); err != nil && !api.IsNotFound(err) {
			return err
		}
	}
	for _, p := range evict {
		if err := waitGone(ctx, c, pods, p); err != nil {
			return err
		}
		fmt.Fprintf(g.out, "pod/%s evicted\n", p.Name)
	}
	fmt.Fprintf(g.out, "node/%s drained\n", node)
	return nil
}

// drainable sorts a node's pods into those to evict and the reasons it may not.
func drainable(objs []api.Object, o drainOptions) ([]*api.Pod, []string) {
	var evict []*api.Pod
	var bare, daemons []string
	for _, obj := range objs {
		p := obj.(*api.Pod)
		if p.Status.Phase == api.PodSucceeded || p.Status.Phase == api.PodFailed {
			evict = append(evict, p)
			continue
		}
		owner := controllerOf(p)
		switch {
		case owner != nil && owner.Kind == "DaemonSet":
			if !o.ignoreDaemonSets {
				daemons = append(daemons, p.Namespace+"/"+p.Name)
			}
			continue
		case owner == nil && !o.force:
			bare = append(bare, p.Namespace+"/"+p.Name)
			continue
		}
		evict = append(evict, p)
	}
	var problems []string
	if len(bare) > 0 {
		problems = append(problems, "cannot delete Pods that declare no controller (use --force to override): "+strings.Join(bare, ", "))
	}
	if len(daemons) > 0 {
		problems = append(problems, "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): "+strings.Join(daemons, ", "))
	}
	return evict, problems
}

func controllerOf(p *api.Pod) *api.OwnerReference {
	for i, r := range p.OwnerReferences {
		if r.Controller != nil && *r.Controller {
			return &p.OwnerReferences[i]
		}
	}
	return nil
}

// waitGone waits until the pod (this instance of it) no longer exists.
func waitGone(ctx context.Context, c *client.Client, k *api.Kind, p *api.Pod) error {
	for {
		obj, err := c.Get(ctx, k, p.Namespace, p.Name)
		if api.IsNotFound(err) || (err == nil && obj.GetObjectMeta().UID != p.UID) {
			return nil
		}
		if ctx.Err() != nil {
			return errorf("timed out waiting for pod %s/%s to go", p.Namespace, p.Name)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
