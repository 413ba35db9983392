package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestBenchSchedule(t *testing.T) {
	var out, errs bytes.Buffer
	root := newRoot(&out, &errs, time.Now)
	root.SetArgs([]string{"bench", "schedule", "--nodes", "10", "--pods", "100", "--constraints", "-o", "json", "--data-dir", t.TempDir()})
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("%v\n%s", err, errs.String())
	}
	var res map[string]any
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	for _, key := range []string{"pods_per_second", "p50_ms", "p99_ms", "peak_memory_bytes"} {
		if v, ok := res[key].(float64); !ok || v <= 0 {
			t.Errorf("%s = %v in %s", key, res[key], out.String())
		}
	}
	if !strings.Contains(errs.String(), "bound 100") {
		t.Errorf("no progress on stderr:\n%s", errs.String())
	}
}
