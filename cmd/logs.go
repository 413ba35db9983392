package cmd

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
)

func newLogsCmd(g *globals) *cobra.Command {
	o := client.LogOptions{TailLines: -1}
	c := &cobra.Command{
		Use:   "logs (POD | TYPE/NAME) [-c CONTAINER]",
		Short: "Print the logs of a container in a pod",
		Example: `  wk logs hello-7d9c5-x2x7q
  wk logs deploy/hello -f
  wk logs hello-7d9c5-x2x7q --previous --tail 20`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			pod, err := podFor(cmd.Context(), g, c, args[0])
			if err != nil {
				return err
			}
			rc, err := c.Logs(cmd.Context(), g.ns(), pod, o)
			if err != nil {
				return err
			}
			defer rc.Close()
			_, err = io.Copy(g.out, rc)
			if cmd.Context().Err() != nil {
				return nil
			}
			return err
		},
	}
	f := c.Flags()
	f.StringVarP(&o.Container, "container", "c", "", "the container (required when the pod has several)")
	f.BoolVarP(&o.Follow, "follow", "f", false, "keep streaming new output")
	f.BoolVarP(&o.Previous, "previous", "p", false, "the previous, terminated instance of the container")
	f.IntVar(&o.TailLines, "tail", -1, "only the last N lines")
	return c
}

// podFor resolves POD, pod/NAME, or a workload (deploy/NAME, rs/NAME, ds/NAME) to a pod's name: for
// a workload, the first of its pods by name, as kubectl logs does.
func podFor(ctx context.Context, g *globals, c *client.Client, arg string) (string, error) {
	t, name, ok := strings.Cut(arg, "/")
	if !ok {
		return arg, nil
	}
	k, err := api.ResourceFor(t)
	if err != nil {
		return "", err
	}
	if k.Kind == "Pod" {
		return name, nil
	}
	obj, err := c.Get(ctx, k, g.ns(), name)
	if err != nil {
		return "", err
	}
	sel, ok := workloadSelector(obj)
	if !ok {
		return "", fmt.Errorf("cannot pick a pod of a %s", k.Singular)
	}
	pods, err := selectedPods(ctx, g, c, k, name, sel)
	if err != nil {
		return "", err
	}
	return pods[0].Name, nil
}

// workloadSelector is the pod selector of a Deployment, ReplicaSet or DaemonSet; ok is false for
// another kind.
func workloadSelector(obj api.Object) (sel *api.LabelSelector, ok bool) {
	switch o := obj.(type) {
	case *api.Deployment:
		return o.Spec.Selector, true
	case *api.ReplicaSet:
		return o.Spec.Selector, true
	case *api.DaemonSet:
		return o.Spec.Selector, true
	}
	return nil, false
}

// selectedPods lists the pods that sel picks for the object k/name, failing when there are none.
func selectedPods(ctx context.Context, g *globals, c *client.Client, k *api.Kind, name string, sel *api.LabelSelector) ([]*api.Pod, error) {
	kind, _ := api.ResourceFor("pods")
	objs, _, err := c.List(ctx, kind, g.ns(), client.ListOptions{LabelSelector: api.FormatLabelSelector(sel)})
	if err != nil {
		return nil, err
	}
	if len(objs) == 0 {
		return nil, fmt.Errorf("%s/%s has no pods", qualifiedKind(k), name)
	}
	pods := make([]*api.Pod, len(objs))
	for i, o := range objs {
		pods[i] = o.(*api.Pod)
	}
	return pods, nil
}
