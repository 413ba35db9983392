package node

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wk-project/wk/control/api"
)

func TestPodRecorder(t *testing.T) {
	dir := t.TempDir()
	a := New(Config{Name: "node-a", DataDir: dir}, nil)
	pod := func(uid, rv, phase string, deleting bool) *api.Pod {
		p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "p-" + uid, Namespace: "default", UID: uid, ResourceVersion: rv},
			Spec: api.PodSpec{NodeName: "node-a", Containers: []api.Container{{Name: "c", Image: "sha256:00"}}}}
		p.Status.Phase = phase
		if deleting {
			now := api.Now()
			p.DeletionTimestamp = &now
		}
		return p
	}
	r := a.newPodRecorder()
	desired := map[string]*api.Pod{
		"1": pod("1", "10", api.PodRunning, false),
		"2": pod("2", "11", api.PodSucceeded, false),
		"3": pod("3", "12", api.PodRunning, true),
		"4": pod("4", "13", api.PodPending, false),
	}
	if err := r.save(desired); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "state", "pods.json")
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}

	// A status write bumps the resourceVersion and changes the status: the record stays.
	desired["1"] = pod("1", "20", api.PodRunning, false)
	desired["1"].Status.PodIP = "10.88.0.2"
	old := before.ModTime().Add(-time.Second)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	if err := r.save(desired); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.Stat(path); !after.ModTime().Equal(old) {
		t.Error("a status change rewrote pods.json")
	}

	got, err := a.newPodRecorder().load()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["1"] == nil || got["4"] == nil {
		t.Fatalf("recorded %v, want the running and the pending pod", got)
	}
	if got["1"].ResourceVersion != "" || got["1"].Status.Phase != "" {
		t.Errorf("a pod is recorded with its status or revision: %+v", got["1"].ObjectMeta)
	}

	// Another node's agent on this data dir finds nothing to run.
	other := New(Config{Name: "node-b", DataDir: dir}, nil)
	if got, err := other.newPodRecorder().load(); err != nil || len(got) != 0 {
		t.Errorf("node-b loads %v, %v", got, err)
	}
	if _, ok := other.recordedPodCIDR(); ok {
		t.Error("node-b finds a pod CIDR recorded")
	}
	if err := a.recordPodCIDR("10.88.3.0/24"); err != nil {
		t.Fatal(err)
	}
	if cidr, ok := a.recordedPodCIDR(); !ok || cidr != "10.88.3.0/24" {
		t.Errorf("recorded pod CIDR %q, %t", cidr, ok)
	}
}
