package controller

import (
	"context"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
)

// Client is how the controllers read and write objects: the methods of *client.Client they use.
type Client interface {
	Get(ctx context.Context, k *api.Kind, ns, name string) (api.Object, error)
	List(ctx context.Context, k *api.Kind, ns string, opts client.ListOptions) ([]api.Object, string, error)
	Create(ctx context.Context, obj api.Object) (api.Object, error)
	Update(ctx context.Context, obj api.Object) (api.Object, error)
	UpdateStatus(ctx context.Context, obj api.Object) (api.Object, error)
	Delete(ctx context.Context, k *api.Kind, ns, name string, opts *api.DeleteOptions) (api.Object, error)
	Watch(ctx context.Context, k *api.Kind, ns string, opts client.ListOptions) (<-chan client.Event, error)
}

// The kinds the controllers work on.
var (
	podKind        = mustKind("pods")
	nodeKind       = mustKind("nodes")
	replicaSetKind = mustKind("replicasets")
	deploymentKind = mustKind("deployments")
	daemonSetKind  = mustKind("daemonsets")
	serviceKind    = mustKind("services")
	endpointsKind  = mustKind("endpoints")
)

func mustKind(resource string) *api.Kind {
	k, err := api.ResourceFor(resource)
	if err != nil {
		panic(err)
	}
	return k
}
