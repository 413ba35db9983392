package cmd

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
)

// revisionAnnotation numbers a Deployment's ReplicaSets in rollout order, as in Kubernetes.
const revisionAnnotation = "deployment.kubernetes.io/revision"

func newRolloutCmd(g *globals) *cobra.Command {
	r := &cobra.Command{Use: "rollout", Short: "Follow, list, undo or restart a Deployment's rollouts"}
	var timeout time.Duration
	status := &cobra.Command{
		Use:   "status deployment/NAME",
		Short: "Wait until the rollout is done; fail if it stalls past its progress deadline or --timeout",
		RunE: func(cmd *cobra.Command, args []string) error {
			return rolloutStatus(cmd.Context(), g, args, timeout)
		},
	}
	status.Flags().DurationVar(&timeout, "timeout", 0, "give up after this long (0: wait as long as the rollout progresses)")
	var toRevision int64
	undo := &cobra.Command{
		Use:   "undo deployment/NAME [--to-revision=N]",
		Short: "Roll back to the previous revision, or to a given one",
		RunE: func(cmd *cobra.Command, args []string) error {
			return rolloutUndo(cmd.Context(), g, args, toRevision)
		},
	}
	undo.Flags().Int64Var(&toRevision, "to-revision", 0, "the revision to roll back to (0: the previous one)")
	history := &cobra.Command{
		Use:   "history deployment/NAME",
		Short: "List the Deployment's revisions",
		RunE: func(cmd *cobra.Command, args []string) error {
			return rolloutHistory(cmd.Context(), g, args)
		},
	}
	restart := &cobra.Command{
		Use:   "restart deployment/NAME",
		Short: "Replace every pod of the Deployment, by a rolling update",
		RunE: func(cmd *cobra.Command, args []string) error {
			k, name, c, err := deploymentArgs(g, args)
			if err != nil {
				return err
			}
			obj, err := updateObject(cmd.Context(), c, k, g.ns(), name, func(o api.Object) error {
				t := &o.(*api.Deployment).Spec.Template
				if t.Annotations == nil {
					t.Annotations = map[string]string{}
				}
				t.Annotations["kubectl.kubernetes.io/restartedAt"] = g.now().UTC().Format(time.RFC3339)
				return nil
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(g.out, "%s restarted\n", objectName(obj))
			return nil
		},
	}
	r.AddCommand(status, undo, history, restart)
	return r
}

func deploymentArgs(g *globals, args []string) (*api.Kind, string, *client.Client, error) {
	k, name, _, err := kindAndName(args, "deployments")
	if err != nil {
		return nil, "", nil, err
	}
	c, err := g.client()
	return k, name, c, err
}

// rolloutStatus prints kubectl's progress lines until the Deployment is rolled out.
func rolloutStatus(ctx context.Context, g *globals, args []string, timeout time.Duration) error {
	k, name, c, err := deploymentArgs(g, args)
	if err != nil {
		return err
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	last := ""
	for {
		obj, err := c.Get(ctx, k, g.ns(), name)
		if err != nil {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return errorf("timed out waiting for the condition")
			}
			return err
		}
		msg, done, err := rolloutMessage(obj.(*api.Deployment))
		if err != nil {
			return err
		}
		if msg != last {
			fmt.Fprintln(g.out, msg)
			last = msg
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return errorf("timed out waiting for the condition")
			}
			return nil
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// rolloutMessage is kubectl's rollout status line for d, and whether the rollout is done.
func rolloutMessage(d *api.Deployment) (string, bool, error) {
	if d.Generation > d.Status.ObservedGeneration {
		return "Waiting for deployment spec update to be observed...", false, nil
	}
	for _, c := range d.Status.Conditions {
		if c.Type == "Progressing" && c.Reason == "ProgressDeadlineExceeded" {
			return "", false, errorf("deployment %q exceeded its progress deadline", d.Name)
		}
	}
	want := deref32(d.Spec.Replicas)
	s := d.Status
	switch {
	case s.UpdatedReplicas < want:
		return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d out of %d new replicas have been updated...", d.Name, s.UpdatedReplicas, want), false, nil
	case s.Replicas > s.UpdatedReplicas:
		return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d old replicas are pending termination...", d.Name, s.Replicas-s.UpdatedReplicas), false, nil
	case s.AvailableReplicas < s.UpdatedReplicas:
		return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d of %d updated replicas are available...", d.Name, s.AvailableReplicas, s.UpdatedReplicas), false, nil
	}
	return fmt.Sprintf("deployment %q successfully rolled out", d.Name), true, nil
}

// ownedReplicaSets lists the Deployment's ReplicaSets by revision, oldest first.
func ownedReplicaSets(ctx context.Context, c *client.Client, d *api.Deployment) ([]*api.ReplicaSet, error) {
	k, _ := api.ResourceFor("replicasets")
	objs, _, err := c.List(ctx, k, d.Namespace, client.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []*api.ReplicaSet
	for _, o := range objs {
		rs := o.(*api.ReplicaSet)
		for _, ref := range rs.OwnerReferences {
			if ref.UID == d.UID {
				out = append(out, rs)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return revisionOf(out[i]) < revisionOf(out[j]) })
	return out, nil
}

func revisionOf(o api.Object) int64 {
	n, _ := strconv.ParseInt(o.GetObjectMeta().Annotations[revisionAnnotation], 10, 64)
	return n
}

func rolloutHistory(ctx context.Context, g *globals, args []string) error {
	k, name, c, err := deploymentArgs(g, args)
	if err != nil {
		return err
	}
	obj, err := c.Get(ctx, k, g.ns(), name)
	if err != nil {
		return err
	}
	rss, err := ownedReplicaSets(ctx, c, obj.(*api.Deployment))
	if err != nil {
		return err
	}
	fmt.Fprintln(g.out, objectName(obj))
	tw := newTable(g.out)
	fmt.Fprintln(tw, "REVISION\tCHANGE-CAUSE")
	for _, rs := range rss {
		cause := rs.Annotations["kubernetes.io/change-cause"]
		fmt.Fprintf(tw, "%d\t%s\n", revisionOf(rs), orNone(cause))
	}
	tw.Flush()
	fmt.Fprintln(g.out)
	return nil
}

// rolloutUndo puts an earlier ReplicaSet's template back into the Deployment.
func rolloutUndo(ctx context.Context, g *globals, args []string, to int64) error {
	k, name, c, err := deploymentArgs(g, args)
	if err != nil {
		return err
	}
	obj, err := updateObject(ctx, c, k, g.ns(), name, func(o api.Object) error {
		d := o.(*api.Deployment)
		rss, err := ownedReplicaSets(ctx, c, d)
		if err != nil {
			return err
		}
		target := pickRevision(rss, revisionOf(d), to)
		if target == nil {
			if to != 0 {
				return errorf("unable to find the specified revision %d", to)
			}
			return errorf("no rollout history found for deployment %q", d.Name)
		}
		t := target.Spec.Template
		delete(t.Labels, "pod-template-hash")
		d.Spec.Template = t
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(g.out, "%s rolled back\n", objectName(obj))
	return nil
}

// pickRevision finds the ReplicaSet of revision to, or (to == 0) the newest one before current.
func pickRevision(rss []*api.ReplicaSet, current, to int64) *api.ReplicaSet {
	var best *api.ReplicaSet
	for _, rs := range rss {
		r := revisionOf(rs)
		if to != 0 && r == to {
			return rs
		}
		if to == 0 && r < current && (best == nil || r > revisionOf(best)) {
			best = rs
		}
	}
	return best
}
