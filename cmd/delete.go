package cmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
)

type deleteOptions struct {
	files          []string
	selector       string
	all            bool
	ignoreNotFound bool
	cascade        string
	grace          int64
}

func newDeleteCmd(g *globals) *cobra.Command {
	var o deleteOptions
	c := &cobra.Command{
		Use:   "delete (-f FILENAME | TYPE [NAME...] | TYPE/NAME... | TYPE -l SELECTOR | TYPE --all)",
		Short: "Delete objects by file, by name, by label or all of a type",
		Example: `  wk delete -f deployment.yaml
  wk delete pod hello-7d9c5
  wk delete deploy/hello svc/hello
  wk delete pods -l app=hello`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDelete(cmd.Context(), g, cmd, o, args)
		},
	}
	f := c.Flags()
	f.StringSliceVarP(&o.files, "filename", "f", nil, "file, folder or - with the objects to delete")
	f.StringVarP(&o.selector, "selector", "l", "", "delete the objects matching this label selector")
	f.BoolVar(&o.all, "all", false, "delete every object of the type in the namespace")
	f.BoolVar(&o.ignoreNotFound, "ignore-not-found", false, "treat a missing object as deleted")
	f.StringVar(&o.cascade, "cascade", "background", "what happens to dependents: background, foreground or orphan")
	f.Int64Var(&o.grace, "grace-period", -1, "seconds to let a pod stop; -1 keeps the pod's own setting")
	return c
}

// target is one object to delete.
type deleteTarget struct {
	kind      *api.Kind
	namespace string
	name      string
}

func runDelete(ctx context.Context, g *globals, cmd *cobra.Command, o deleteOptions, args []string) error {
	policy, err := cascadePolicy(o.cascade)
	if err != nil {
		return err
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	targets, err := deleteTargets(ctx, g, cmd, c, o, args)
	if err != nil {
		return err
	}
	opts := &api.DeleteOptions{PropagationPolicy: &policy}
	if o.grace >= 0 {
		opts.GracePeriodSeconds = &o.grace
	}
	failed := false
	for _, t := range targets {
		_, err := c.Delete(ctx, t.kind, t.namespace, t.name, opts)
		switch {
		case err == nil:
			fmt.Fprintf(g.out, "%s %q deleted\n", qualifiedKind(t.kind), t.name)
		case api.IsNotFound(err) && o.ignoreNotFound:
		default:
			failed = true
			fmt.Fprintln(g.errs, formatError(err))
		}
	}
	if failed {
		return &exitError{code: 1}
	}
	return nil
}

func cascadePolicy(s string) (string, error) {
	switch s {
	case "background", "true":
		return api.DeletePropagationBackground, nil
	case "foreground":
		return api.DeletePropagationForeground, nil
	case "orphan", "false":
		return api.DeletePropagationOrphan, nil
	}
	return "", fmt.Errorf("--cascade: must be background, foreground or orphan, not %q", s)
}

// deleteTargets resolves the command line into the objects to delete.
func deleteTargets(ctx context.Context, g *globals, cmd *cobra.Command, c *client.Client, o deleteOptions, args []string) ([]deleteTarget, error) {
	if len(o.files) > 0 {
		if len(args) > 0 {
			return nil, fmt.Errorf("pass either -f or a type and names, not both")
		}
		ms, problems := readManifests(o.files, cmd.InOrStdin())
		if len(problems) > 0 {
			return nil, g.fail(problems)
		}
		var ts []deleteTarget
		for _, m := range ms {
			ns := m.doc.Object.GetObjectMeta().Namespace
			if ns == "" && m.doc.Kind.Namespaced {
				ns = g.ns()
			}
			ts = append(ts, deleteTarget{m.doc.Kind, ns, m.doc.Object.GetObjectMeta().Name})
		}
		return ts, nil
	}
	if len(args) == 0 {
		return nil, fmt.Errorf("you must provide one or more resources by argument or filename")
	}
	reqs, err := parseGetArgs(args)
	if err != nil {
		return nil, err
	}
	var ts []deleteTarget
	for _, r := range reqs {
		ns := g.ns()
		if !r.kind.Namespaced {
			ns = ""
		}
		if len(r.names) > 0 {
			for _, n := range r.names {
				ts = append(ts, deleteTarget{r.kind, ns, n})
			}
			continue
		}
		if o.selector == "" && !o.all {
			return nil, fmt.Errorf("resource(s) were provided, but no name was specified: name %s objects, or pass -l SELECTOR or --all", strings.ToLower(r.kind.Kind))
		}
		objs, _, err := c.List(ctx, r.kind, ns, client.ListOptions{LabelSelector: o.selector})
		if err != nil {
			return nil, err
		}
		for _, obj := range objs {
			ts = append(ts, deleteTarget{r.kind, obj.GetObjectMeta().Namespace, obj.GetObjectMeta().Name})
		}
	}
	return ts, nil
}
