package cmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
)

// updateObject reads an object, changes it with mutate and writes it back, again on a conflict.
func updateObject(ctx context.Context, c *client.Client, k *api.Kind, ns, name string, mutate func(api.Object) error) (api.Object, error) {
	for attempt := 0; ; attempt++ {
		obj, err := c.Get(ctx, k, ns, name)
		if err != nil {
			return nil, err
		}
		if err := mutate(obj); err != nil {
			return nil, err
		}
		out, err := c.Update(ctx, obj)
		if api.IsConflict(err) && attempt < 10 {
			continue
		}
		return out, err
	}
}

// kindAndName reads "TYPE NAME" or "TYPE/NAME" from args, for the kinds allowed.
func kindAndName(args []string, allowed ...string) (*api.Kind, string, []string, error) {
	var t, name string
	rest := args
	if len(args) > 0 && strings.Contains(args[0], "/") {
		t, name, _ = strings.Cut(args[0], "/")
		rest = args[1:]
	} else if len(args) > 1 {
		t, name, rest = args[0], args[1], args[2:]
	} else {
		return nil, "", nil, fmt.Errorf("name a %s as TYPE NAME or TYPE/NAME", strings.Join(allowed, " or "))
	}
	k, err := api.ResourceFor(t)
	if err != nil {
		return nil, "", nil, err
	}
	for _, a := range allowed {
		if k.Resource == a {
			return k, name, rest, nil
		}
	}
	return nil, "", nil, fmt.Errorf("%s is not supported here (use %s)", k.Resource, strings.Join(allowed, " or "))
}
