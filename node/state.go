package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/wk-project/wk/control/api"
)

// The agent's record of its assignment, under DATA/state, so that an agent that starts while the
// control plane is away can run what it was told to run: node.json holds the node's pod CIDR,
// pods.json the pods bound to the node that it should run. Each file is rewritten whole, atomically
// (a temporary file renamed over it), and only when what it records changes.

// nodeRecord is the content of node.json.
type nodeRecord struct {
	Node    string `json:"node"`
	PodCIDR string `json:"podCIDR"`
}

// podsRecord is the content of pods.json: read with P *api.Pod, written with P json.RawMessage.
type podsRecord[P any] struct {
	Node string `json:"node"`
	Pods []P    `json:"pods"`
}

func (a *Agent) readPodCIDR(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, firstListTimeout)
	defer cancel()
	obj, err := a.client.Get(ctx, a.nodes, "", a.cfg.Name)
	if err != nil {
		return "", err
	}
	return obj.(*api.Node).Spec.PodCIDR, nil
}

func (a *Agent) useIPAM(cidr string) error {
	m, err := newIPAM(cidr)
	if err != nil {
		return err
	}
	if a.runc != nil {
		// The runc pods of an earlier agent keep the addresses their namespaces hold.
		for ip, uid := range a.runc.useNetwork(m.prefix, a.runcPlugins) {
			if m.usable(ip) {
				m.used[ip] = uid
			}
		}
	}
	a.ipam = m
	return nil
}

// unreachable reports whether err says that the API server did not answer, rather than what it
// answered: a network error, a timeout, or a 5xx from something in between.
func unreachable(err error) bool {
	var se *api.StatusError
	return !errors.As(err, &se) || se.Status.Code >= 500
}

func (a *Agent) statePath(name string) string {
	return filepath.Join(a.cfg.DataDir, "state", name)
}

// recordPodCIDR records the node's pod CIDR, unless it is recorded already.
func (a *Agent) recordPodCIDR(cidr string) error {
	if got, ok := a.recordedPodCIDR(); ok && got == cidr {
		return nil
	}
	b, err := json.Marshal(nodeRecord{Node: a.cfg.Name, PodCIDR: cidr})
	if err != nil {
		return err
	}
	if err := writeFileAtomic(a.statePath("node.json"), b); err != nil {
		return fmt.Errorf("record pod CIDR: %w", err)
	}
	return nil
}

// recordedPodCIDR is the pod CIDR recorded for this node, if any.
func (a *Agent) recordedPodCIDR() (string, bool) {
	var rec nodeRecord
	b, err := os.ReadFile(a.statePath("node.json"))
	if err != nil || json.Unmarshal(b, &rec) != nil || rec.Node != a.cfg.Name || rec.PodCIDR == "" {
		return "", false
	}
	return rec.PodCIDR, true
}

// podRecorder keeps pods.json equal to the pods the agent should run.
type podRecorder struct {
	path string
	node string
	last []byte               // what pods.json holds
	pods map[string]recordPod // by UID, the pods last holds; nil before the first save
}

// recordPod is a pod as pods.json records it, and the object it was made from: a watch event
// replaces one pod of the desired set, so that a save encodes that one only, and finds the record
// unchanged without encoding the others.
type recordPod struct {
	from *api.Pod
	json []byte
}

func (a *Agent) newPodRecorder() *podRecorder {
	return &podRecorder{path: a.statePath("pods.json"), node: a.cfg.Name}
}

// save records the pods of desired that diffPods would run, if they differ from the record.
// A pod is recorded without its status and resourceVersion, so that status writes do not
// rewrite the file.
func (r *podRecorder) save(desired map[string]*api.Pod) error {
	pods := make(map[string]recordPod, len(desired))
	changed := r.pods == nil
	for uid, p := range desired {
		if !runnable(p) {
			continue
		}
		rp, ok := r.pods[uid]
		if !ok || rp.from != p {
			cp := *p
			cp.ResourceVersion, cp.Status = "", api.PodStatus{}
			b, err := json.Marshal(&cp)
			if err != nil {
				return err
			}
			changed = changed || !ok || !bytes.Equal(b, rp.json)
			rp = recordPod{from: p, json: b}
		}
		pods[uid] = rp
	}
	if !changed && len(pods) == len(r.pods) {
		r.pods = pods
		return nil
	}
	rec := podsRecord[json.RawMessage]{Node: r.node, Pods: []json.RawMessage{}}
	for _, uid := range slices.Sorted(maps.Keys(pods)) {
		rec.Pods = append(rec.Pods, pods[uid].json)
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if !bytes.Equal(b, r.last) {
		if err := writeFileAtomic(r.path, b); err != nil {
			return fmt.Errorf("record pods: %w", err)
		}
		r.last = b
	}
	r.pods = pods
	return nil
}

// load reads the recorded pods by UID; none when nothing is recorded for this node.
func (r *podRecorder) load() (map[string]*api.Pod, error) {
	pods := map[string]*api.Pod{}
	b, err := os.ReadFile(r.path)
	if errors.Is(err, os.ErrNotExist) {
		return pods, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read recorded pods: %w", err)
	}
	var rec podsRecord[*api.Pod]
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("read recorded pods %s: %w", r.path, err)
	}
	if rec.Node != r.node {
		return pods, nil
	}
	for _, p := range rec.Pods {
		if p.UID != "" && p.Spec.NodeName == r.node {
			pods[p.UID] = p
		}
	}
	r.last = b
	return pods, nil
}

// removeOrphanPodDirs removes the folders of pods that no worker runs: those a previous agent
// left for pods deleted since.
func (a *Agent) removeOrphanPodDirs(workers map[string]*podWorker) {
	root := filepath.Join(a.cfg.DataDir, "pods")
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		if _, ok := workers[e.Name()]; !ok && e.IsDir() {
			if err := os.RemoveAll(filepath.Join(root, e.Name())); err != nil {
				a.log.Warn("remove folder of a pod gone", "uid", e.Name(), "err", err)
			}
		}
	}
}
