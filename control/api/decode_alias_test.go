package api

import (
	"strings"
	"testing"
)

// TestDecodeRefusesAliasCycles: an alias inside the node its anchor names would expand for ever;
// the decoder names it instead (found by FuzzDecodeManifest).
func TestDecodeRefusesAliasCycles(t *testing.T) {
	for _, doc := range []string{
		"apiVersion: apps/v1\nkind: DaemonSet\nmetadata: \n  labels: &labels\nspec:\n  template:\n    spec: \n      containers:\n      - &base\n        resources:\n         requests: *base\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: &m\n  name: x\n  labels:\n    a: *m\n",
	} {
		_, errs := DecodeManifest([]byte(doc))
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), "refers to a node that contains it") {
			t.Errorf("decode of a cyclic alias: %v", errs)
		}
	}
	// An alias to a sibling is fine.
	docs, errs := DecodeManifest([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: &l\n    a: b\n  annotations: *l\n"))
	if len(errs) != 0 || len(docs) != 1 {
		t.Fatalf("decode of a shared alias: %v", errs)
	}
}
