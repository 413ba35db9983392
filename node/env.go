package node

import (
	"context"
	"fmt"
	"sort"

	"github.com/wk-project/wk/control/api"
)

// containerEnv resolves a container's environment: envFrom first, then env (later wins), with
// values from ConfigMaps, Secrets and the pod's own fields. HOSTNAME is the pod name.
func (a *Agent) containerEnv(ctx context.Context, pod *api.Pod, c *api.Container) ([]string, error) {
	vars := map[string]string{"HOSTNAME": pod.Name}
	order := []string{"HOSTNAME"}
	set := func(k, v string) {
		if _, ok := vars[k]; !ok {
			order = append(order, k)
		}
		vars[k] = v
	}
	for _, from := range c.EnvFrom {
		data, err := a.sourceData(ctx, pod.Namespace, from.ConfigMapRef, from.SecretRef)
		if err != nil {
			return nil, err
		}
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			set(from.Prefix+k, data[k])
		}
	}
	for _, e := range c.Env {
		v, err := a.envValue(ctx, pod, e)
		if err != nil {
			return nil, fmt.Errorf("env %s: %w", e.Name, err)
		}
		set(e.Name, v)
	}
	env := make([]string, len(order))
	for i, k := range order {
		env[i] = k + "=" + vars[k]
	}
	return env, nil
}

func (a *Agent) envValue(ctx context.Context, pod *api.Pod, e api.EnvVar) (string, error) {
	src := e.ValueFrom
	switch {
	case src == nil:
		return e.Value, nil
	case src.FieldRef != nil:
		switch src.FieldRef.FieldPath {
		case "metadata.name":
			return pod.Name, nil
		case "metadata.namespace":
			return pod.Namespace, nil
		case "metadata.uid":
			return pod.UID, nil
		case "spec.nodeName":
			return pod.Spec.NodeName, nil
		case "status.podIP":
			return pod.Status.PodIP, nil
		case "status.hostIP":
			return pod.Status.HostIP, nil
		}
		return "", fmt.Errorf("field %q is not supported", src.FieldRef.FieldPath)
	case src.ConfigMapKeyRef != nil:
		return a.keyValue(ctx, a.kinds.configMaps, pod.Namespace, src.ConfigMapKeyRef)
	case src.SecretKeyRef != nil:
		return a.keyValue(ctx, a.kinds.secrets, pod.Namespace, src.SecretKeyRef)
	}
	return "", nil
}

func (a *Agent) keyValue(ctx context.Context, k *api.Kind, ns string, ref *api.KeySelector) (string, error) {
	var data map[string]string
	var err error
	if k == a.kinds.configMaps {
		data, err = a.sourceData(ctx, ns, &api.LocalObjectName{Name: ref.Name, Optional: ref.Optional}, nil)
	} else {
		data, err = a.sourceData(ctx, ns, nil, &api.LocalObjectName{Name: ref.Name, Optional: ref.Optional})
	}
	if err != nil {
		return "", err
	}
	v, ok := data[ref.Key]
	if !ok && !optional(ref.Optional) {
		return "", fmt.Errorf("key %q not found in %s %q", ref.Key, k.Singular, ref.Name)
	}
	return v, nil
}

// sourceData reads a ConfigMap's or a Secret's keys as strings.
func (a *Agent) sourceData(ctx context.Context, ns string, cm, secret *api.LocalObjectName) (map[string]string, error) {
	out := map[string]string{}
	ref, k := cm, a.kinds.configMaps
	if secret != nil {
		ref, k = secret, a.kinds.secrets
	}
	if ref == nil {
		return out, nil
	}
	obj, err := a.client.Get(ctx, k, ns, ref.Name)
	if err != nil {
		if api.IsNotFound(err) && optional(ref.Optional) {
			return out, nil
		}
		return nil, fmt.Errorf("%s %q: %w", k.Singular, ref.Name, err)
	}
	switch o := obj.(type) {
	case *api.ConfigMap:
		for k, v := range o.Data {
			out[k] = v
		}
	case *api.Secret:
		for k, v := range o.Data {
			out[k] = string(v)
		}
	}
	return out, nil
}
