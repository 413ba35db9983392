package node

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/wk-project/wk/control/api"
)

// event records an Event about a pod, as the kubelet does; failures to record are only logged.
func (a *Agent) event(pod *api.Pod, typ, reason, msg string) {
	var b [8]byte
	rand.Read(b[:])
	now := api.Now()
	ev := &api.Event{
		ObjectMeta:     api.ObjectMeta{Name: pod.Name + "." + hex.EncodeToString(b[:]), Namespace: pod.Namespace},
		InvolvedObject: api.ObjectReference{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID, APIVersion: "v1"},
		Reason:         reason, Message: msg, Type: typ, Count: 1,
		FirstTimestamp: now, LastTimestamp: now,
		Source: api.EventSource{Component: "wk-agent", Host: a.cfg.Name},
	}
	api.SetTypeMeta(ev)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := a.client.Create(ctx, ev); err != nil {
			a.log.Debug("event not recorded", "reason", reason, "err", err)
		}
	}()
}
