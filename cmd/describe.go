package cmd

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
)

func newDescribeCmd(g *globals) *cobra.Command {
	var selector string
	c := &cobra.Command{
		Use:   "describe TYPE [NAME...] | TYPE/NAME",
		Short: "Show an object in detail, with its events",
		Example: `  wk describe deploy hello
  wk describe pod/hello-7d9c5
  wk describe nodes`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDescribe(cmd.Context(), g, args, selector)
		},
	}
	c.Flags().StringVarP(&selector, "selector", "l", "", "describe the objects matching this label selector")
	return c
}

func runDescribe(ctx context.Context, g *globals, args []string, selector string) error {
	reqs, err := parseGetArgs(args)
	if err != nil {
		return err
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	first := true
	for _, r := range reqs {
		objs, _, err := fetch(ctx, c, g, getOptions{selector: selector}, r)
		if err != nil {
			return err
		}
		for _, obj := range objs {
			if !first {
				fmt.Fprintln(g.out)
				fmt.Fprintln(g.out)
			}
			first = false
			describe(g, c, ctx, obj)
		}
	}
	if first {
		fmt.Fprintln(g.errs, noResources(g, getOptions{}))
	}
	return nil
}

// describer writes kubectl describe's aligned "Key:  value" lines.
type describer struct {
	tw  *tabwriter.Writer
	now time.Time
}

func (d *describer) line(indent int, key string, value any) {
	fmt.Fprintf(d.tw, "%s%s\t%v\n", strings.Repeat("  ", indent), key, value)
}

func (d *describer) text(indent int, s string) {
	fmt.Fprintf(d.tw, "%s%s\n", strings.Repeat("  ", indent), s)
}

func (d *describer) mapLines(indent int, key string, m map[string]string) {
	if len(m) == 0 {
		d.line(indent, key, "<none>")
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		label := key
		if i > 0 {
			label = ""
		}
		d.line(indent, label, k+"="+m[k])
	}
}

func describe(g *globals, c *client.Client, ctx context.Context, obj api.Object) {
	tw := tabwriter.NewWriter(g.out, 0, 8, 2, ' ', 0)
	d := &describer{tw: tw, now: g.now()}
	m := obj.GetObjectMeta()
	d.line(0, "Name:", m.Name)
	if m.Namespace != "" {
		d.line(0, "Namespace:", m.Namespace)
	}
	d.line(0, "CreationTimestamp:", m.CreationTimestamp.Format("Mon, 02 Jan 2006 15:04:05 -0700"))
	d.mapLines(0, "Labels:", m.Labels)
	d.mapLines(0, "Annotations:", visibleAnnotations(m.Annotations))
	if len(m.OwnerReferences) > 0 {
		o := m.OwnerReferences[0]
		d.line(0, "Controlled By:", o.Kind+"/"+o.Name)
	}
	if fn, ok := describers[api.KindOf(obj).Kind]; ok {
		fn(d, obj)
	}
	describeEvents(d, c, ctx, obj)
	tw.Flush()
}

// visibleAnnotations hides the last-applied manifest, as kubectl describe does.
func visibleAnnotations(a map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		if k != "kubectl.kubernetes.io/last-applied-configuration" {
			out[k] = v
		}
	}
	return out
}

// describeEvents lists the object's events, oldest first.
func describeEvents(d *describer, c *client.Client, ctx context.Context, obj api.Object) {
	k := api.KindOf(obj)
	if k.Kind == "Event" {
		return
	}
	m := obj.GetObjectMeta()
	evKind, _ := api.ResourceFor("events")
	fs := fmt.Sprintf("involvedObject.kind=%s,involvedObject.name=%s", k.Kind, m.Name)
	ns := m.Namespace
	if ns == "" {
		ns = "default"
	}
	if m.UID != "" {
		fs += ",involvedObject.uid=" + m.UID
	}
	evs, _, err := c.List(ctx, evKind, ns, client.ListOptions{FieldSelector: fs})
	if err != nil || len(evs) == 0 {
		d.line(0, "Events:", "<none>")
		return
	}
	sort.SliceStable(evs, func(i, j int) bool {
		return evs[i].(*api.Event).LastTimestamp.Before(evs[j].(*api.Event).LastTimestamp.Time)
	})
	d.text(0, "Events:")
	d.tw.Flush()
	ew := tabwriter.NewWriter(d.tw, 0, 8, 2, ' ', 0)
	fmt.Fprintln(ew, "  Type\tReason\tAge\tFrom\tMessage")
	fmt.Fprintln(ew, "  ----\t------\t----\t----\t-------")
	for _, o := range evs {
		e := o.(*api.Event)
		when := age(d.now, e.LastTimestamp)
		if e.Count > 1 {
			when = fmt.Sprintf("%s (x%d over %s)", when, e.Count, age(d.now, e.FirstTimestamp))
		}
		fmt.Fprintf(ew, "  %s\t%s\t%s\t%s\t%s\n", e.Type, e.Reason, when, e.Source.Component, strings.TrimSpace(e.Message))
	}
	ew.Flush()
}
