package cmd

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wk-project/wk/control"
	"github.com/wk-project/wk/control/client"
	"github.com/wk-project/wk/control/controltest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// cluster is a real control plane on 127.0.0.1:0 that CLI commands run against, over https with
// the client config file it wrote.
type cluster struct {
	config string
}

// clusterOf writes srv's admin client config to a file for the CLI.
func clusterOf(t *testing.T, srv *control.Server) *cluster {
	t.Helper()
	config := filepath.Join(t.TempDir(), "config")
	if err := client.WriteFile(config, srv.ClientConfig()); err != nil {
		t.Fatal(err)
	}
	return &cluster{config: config}
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	srv, _ := controltest.Start(t, control.Config{NoControllers: true})
	return clusterOf(t, srv)
}

// wk runs one CLI command against the cluster, with a clock ten minutes ahead so ages print "10m".
func (c *cluster) wk(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errs bytes.Buffer
	later := func() time.Time { return time.Now().Add(10 * time.Minute) }
	root := newRoot(&out, &errs, later)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(append([]string{"--config", c.config}, args...))
	err := root.ExecuteContext(context.Background())
	switch e := err.(type) {
	case nil:
	case *exitError:
		code = e.code
	default:
		errs.WriteString(formatError(err) + "\n")
		code = 1
	}
	return out.String(), errs.String(), code
}

var (
	timestampRE = regexp.MustCompile(`\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} [-+]\d{4}`)
	digestRE    = regexp.MustCompile(`sha256:[0-9a-f]{64}`)
)

// golden compares got with testdata/NAME.golden, after masking what changes run to run.
func golden(t *testing.T, name, got string) {
	t.Helper()
	got = timestampRE.ReplaceAllString(got, "<timestamp>")
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s:\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}

func TestApplyGetDescribeDeleteExamples(t *testing.T) {
	c := newCluster(t)
	examples := filepath.Join("..", "docs", "examples")

	out, errs, code := c.wk(t, "", "apply", "-f", examples)
	if code != 0 {
		t.Fatalf("apply: exit %d: %s", code, errs)
	}
	golden(t, "apply-created", out)

	out, _, _ = c.wk(t, "", "apply", "-f", examples)
	golden(t, "apply-unchanged", out)

	changed := strings.Replace(readFile(t, filepath.Join(examples, "nginx-deployment.yaml")), "replicas: 3", "replicas: 5", 1)
	out, errs, code = c.wk(t, changed, "apply", "-f", "-")
	if code != 0 || out != "deployment.apps/nginx-deployment configured\n" {
		t.Fatalf("apply of a changed field: exit %d, %q %s", code, out, errs)
	}

	out, _, _ = c.wk(t, "", "get", "deploy,svc,ing,cm")
	golden(t, "get-many", out)
	out, _, _ = c.wk(t, "", "get", "deployments", "-o", "wide")
	golden(t, "get-deploy-wide", out)
	out, _, _ = c.wk(t, "", "get", "cm", "-o", "name")
	golden(t, "get-name", out)
	out, _, _ = c.wk(t, "", "describe", "configmap", "game-demo")
	golden(t, "describe-configmap", out)
	out, _, _ = c.wk(t, "", "describe", "ing/minimal-ingress")
	golden(t, "describe-ingress", out)
	out, _, _ = c.wk(t, "", "describe", "deploy", "nginx-deployment")
	golden(t, "describe-deployment", out)

	out, _, _ = c.wk(t, "", "get", "deploy", "nginx-deployment", "-o", "yaml")
	for _, want := range []string{"kind: Deployment", "replicas: 5", "uid: ", "resourceVersion: ", "image: ghcr.io/wk-project/samples/hello:1.0"} {
		if !strings.Contains(out, want) {
			t.Errorf("get -o yaml lacks %q:\n%s", want, out)
		}
	}

	out, errs, code = c.wk(t, "", "delete", "-f", examples)
	if code != 0 {
		t.Fatalf("delete -f: exit %d: %s", code, errs)
	}
	golden(t, "delete", out)
	_, errs, _ = c.wk(t, "", "get", "deploy")
	if errs != "No resources found in default namespace.\n" {
		t.Fatalf("get after delete: %q", errs)
	}
}

func TestInvalidManifestWritesNothing(t *testing.T) {
	c := newCluster(t)
	out, errs, code := c.wk(t, "", "apply", "-f", filepath.Join("testdata", "invalid.yaml"))
	if code == 0 {
		t.Fatalf("apply of an invalid manifest exited 0: %s", out)
	}
	golden(t, "apply-invalid", errs)
	_, errs, _ = c.wk(t, "", "get", "deploy,po,cm")
	if !strings.Contains(errs, "No resources found") {
		t.Fatalf("an invalid file wrote objects: %s", errs)
	}
}

func TestErrorsReadLikeKubectl(t *testing.T) {
	c := newCluster(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"get", "pod", "ghost"}, "Error from server (NotFound): pods \"ghost\" not found\n"},
		{[]string{"get", "widgets"}, "error: the server doesn't have a resource type \"widgets\"\n"},
		{[]string{"delete", "pod", "ghost"}, "Error from server (NotFound): pods \"ghost\" not found\n"},
		{[]string{"get", "pods", "-o", "toml"}, "error: --output: unknown format \"toml\" (use wide, yaml, json or name)\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, errs, code := c.wk(t, "", tt.args...)
			if code == 0 || errs != tt.want {
				t.Fatalf("exit %d, stderr %q, want %q", code, errs, tt.want)
			}
		})
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
