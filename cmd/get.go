package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
)

// getOptions are the flags of wk get.
type getOptions struct {
	output        string
	selector      string
	fieldSelector string
	allNamespaces bool
	watch         bool
	showLabels    bool
}

func newGetCmd(g *globals) *cobra.Command {
	var o getOptions
	c := &cobra.Command{
		Use:   "get TYPE[,TYPE...] [NAME...] | TYPE/NAME...",
		Short: "List objects, or show some by name",
		Long: `List objects, or show some by name.

Types: pods (po), deployments (deploy), replicasets (rs), daemonsets (ds), services (svc),
endpoints (ep), ingresses (ing), nodes (no), configmaps (cm), secrets, namespaces (ns), events (ev).`,
		Example: `  wk get pods
  wk get deploy,svc -o wide
  wk get pod hello-7d9c5 -o yaml
  wk get pods -l app=hello -A -w`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runGet(cmd.Context(), g, o, args)
		},
	}
	f := c.Flags()
	f.StringVarP(&o.output, "output", "o", "", "output format: wide, yaml, json or name")
	f.StringVarP(&o.selector, "selector", "l", "", "label selector (e.g. -l app=hello,tier!=db)")
	f.StringVar(&o.fieldSelector, "field-selector", "", "field selector (e.g. spec.nodeName=node1)")
	f.BoolVarP(&o.allNamespaces, "all-namespaces", "A", false, "list across all namespaces")
	f.BoolVarP(&o.watch, "watch", "w", false, "after listing, watch for changes")
	f.BoolVar(&o.showLabels, "show-labels", false, "show each object's labels as the last column")
	return c
}

// request is one kind and the names asked for (none: list).
type request struct {
	kind  *api.Kind
	names []string
}

func parseGetArgs(args []string) ([]request, error) {
	if strings.Contains(args[0], "/") {
		var reqs []request
		for _, a := range args {
			t, name, ok := strings.Cut(a, "/")
			if !ok || name == "" {
				return nil, fmt.Errorf("there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (got %q)", a)
			}
			k, err := api.ResourceFor(t)
			if err != nil {
				return nil, err
			}
			reqs = append(reqs, request{kind: k, names: []string{name}})
		}
		return reqs, nil
	}
	var reqs []request
	types := strings.Split(args[0], ",")
	if args[0] == "all" {
		types = []string{"pods", "services", "daemonsets", "deployments", "replicasets"}
	}
	for _, t := range types {
		k, err := api.ResourceFor(t)
		if err != nil {
			return nil, err
		}
		reqs = append(reqs, request{kind: k, names: args[1:]})
	}
	return reqs, nil
}

func runGet(ctx context.Context, g *globals, o getOptions, args []string) error {
	switch o.output {
	case "", "wide", "yaml", "json", "name":
	default:
		return fmt.Errorf("--output: unknown format %q (use wide, yaml, json or name)", o.output)
	}
	reqs, err := parseGetArgs(args)
	if err != nil {
		return err
	}
	if o.watch && len(reqs) != 1 {
		return fmt.Errorf("--watch works with one type at a time")
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	p := &printer{g: g, o: o, prefix: len(reqs) > 1, single: len(reqs) == 1 && len(reqs[0].names) == 1}
	var errs []error
	for i, r := range reqs {
		objs, rv, err := fetch(ctx, c, g, o, r)
		if err != nil && len(objs) == 0 {
			return err
		}
		if err != nil {
			errs = append(errs, err)
		}
		if i > 0 && len(objs) > 0 && p.table() {
			fmt.Fprintln(g.out)
		}
		p.add(r.kind, objs)
		if o.watch {
			p.flush()
			return watchAndPrint(ctx, c, g, o, r.kind, rv, p)
		}
	}
	p.flush()
	if p.count == 0 && len(errs) == 0 && p.table() {
		fmt.Fprintln(g.errs, noResources(g, o))
	}
	for _, err := range errs {
		fmt.Fprintln(g.errs, formatError(err))
	}
	if len(errs) > 0 {
		return &exitError{code: 1}
	}
	return nil
}

func noResources(g *globals, o getOptions) string {
	if o.allNamespaces {
		return "No resources found"
	}
	return fmt.Sprintf("No resources found in %s namespace.", g.ns())
}

// fetch lists a kind, or gets the named objects of it (continuing past missing ones).
func fetch(ctx context.Context, c *client.Client, g *globals, o getOptions, r request) ([]api.Object, string, error) {
	ns := g.ns()
	if o.allNamespaces || !r.kind.Namespaced {
		ns = ""
	}
	if len(r.names) == 0 {
		return c.List(ctx, r.kind, ns, client.ListOptions{LabelSelector: o.selector, FieldSelector: o.fieldSelector})
	}
	if ns == "" && r.kind.Namespaced {
		ns = g.ns()
	}
	var objs []api.Object
	var firstErr error
	for _, name := range r.names {
		obj, err := c.Get(ctx, r.kind, ns, name)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		objs = append(objs, obj)
	}
	return objs, "", firstErr
}

// watchAndPrint prints each change after the list, as kubectl get -w does.
func watchAndPrint(ctx context.Context, c *client.Client, g *globals, o getOptions, k *api.Kind, rv string, p *printer) error {
	ns := g.ns()
	if o.allNamespaces || !k.Namespaced {
		ns = ""
	}
	for {
		events, err := c.Watch(ctx, k, ns, client.ListOptions{LabelSelector: o.selector, FieldSelector: o.fieldSelector, ResourceVersion: rv})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		for ev := range events {
			if ev.Type == api.Bookmark {
				rv = ev.Object.GetObjectMeta().ResourceVersion
				continue
			}
			rv = ev.Object.GetObjectMeta().ResourceVersion
			p.noHeader = p.count > 0
			p.add(k, []api.Object{ev.Object})
			p.flush()
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// printer renders objects in one of get's output formats.
type printer struct {
	g        *globals
	o        getOptions
	prefix   bool // name column as kind/name (several kinds in one get)
	single   bool // one object asked for by name: yaml and json print it alone, not in a List
	noHeader bool
	count    int
	pending  []api.Object
	kind     *api.Kind
}

func (p *printer) table() bool { return p.o.output == "" || p.o.output == "wide" }

func (p *printer) add(k *api.Kind, objs []api.Object) {
	if p.table() && p.kind != nil && p.kind != k {
		p.flush()
	}
	p.kind = k
	p.pending = append(p.pending, objs...)
	p.count += len(objs)
	if p.table() {
		p.flush()
	}
}

// flush writes what is pending; yaml and json gather everything into one document or list.
func (p *printer) flush() {
	objs := p.pending
	p.pending = nil
	switch p.o.output {
	case "name":
		for _, obj := range objs {
			fmt.Fprintln(p.g.out, objectName(obj))
		}
	case "yaml", "json":
		if len(objs) > 0 || p.count == 0 {
			writeObjects(p.g.out, p.o.output, objs, len(objs) == 1 && (p.single || p.noHeader))
		}
	default:
		if len(objs) > 0 {
			writeTable(p.g, p.o, p.kind, objs, p.prefix, p.noHeader)
		}
	}
}

// writeObjects prints objects as YAML or JSON: one object alone, or a List.
func writeObjects(out io.Writer, format string, objs []api.Object, single bool) {
	var v any
	if single {
		v = objs[0]
	} else {
		items := make([]api.Object, len(objs))
		copy(items, objs)
		v = map[string]any{"apiVersion": "v1", "kind": "List", "items": items, "metadata": map[string]string{"resourceVersion": ""}}
	}
	if format == "json" {
		b, _ := json.MarshalIndent(v, "", "    ")
		fmt.Fprintln(out, string(b))
		return
	}
	b, _ := yaml.Marshal(v)
	out.Write(b)
}

// writeTable prints objects of one kind as kubectl's table.
func writeTable(g *globals, o getOptions, k *api.Kind, objs []api.Object, prefix, noHeader bool) {
	cols := tableFor(k)
	tw := newTable(g.out)
	now := g.now()
	if !noHeader {
		head := cols.head
		if o.allNamespaces && k.Namespaced {
			head = append([]string{"NAMESPACE"}, head...)
		}
		if o.output == "wide" {
			head = append(head, cols.wide...)
		}
		if o.showLabels {
			head = append(head, "LABELS")
		}
		fmt.Fprintln(tw, strings.Join(head, "\t"))
	}
	for _, obj := range objs {
		cells, wide := cols.row(obj, now)
		if prefix && k.Kind != "Event" {
			cells[0] = objectName(obj)
		}
		if o.allNamespaces && k.Namespaced {
			cells = append([]string{obj.GetObjectMeta().Namespace}, cells...)
		}
		if o.output == "wide" {
			cells = append(cells, wide...)
		}
		if o.showLabels {
			cells = append(cells, orNone(joinMap(obj.GetObjectMeta().Labels)))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	tw.Flush()
}
