// Package runctest makes Linux OCI images for tests, from Debian's busybox-static: a v1.Image, and
// the same image as an OCI layout, an oci-archive, a docker-archive and in an in-process registry
// (go-containerregistry's pkg/registry), each named by the image reference the agent takes.
package runctest

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Busybox is where Debian's busybox-static puts its binary.
const Busybox = "/usr/bin/busybox"

// Require skips a test that needs runc, busybox-static, the CNI plugins and root, except in CI,
// where it fails and says what to install.
func Require(t testing.TB) {
	t.Helper()
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root")
	}
	if _, err := exec.LookPath("runc"); err != nil {
		missing = append(missing, "runc")
	}
	if _, err := os.Stat(Busybox); err != nil {
		missing = append(missing, "busybox-static")
	}
	if _, err := os.Stat("/usr/lib/cni/bridge"); err != nil {
		if _, err := os.Stat("/opt/cni/bin/bridge"); err != nil {
			missing = append(missing, "containernetworking-plugins")
		}
	}
	if len(missing) == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("missing %s: apt-get install -y runc busybox-static containernetworking-plugins, and run as root", strings.Join(missing, ", "))
	}
	t.Skipf("needs %s", strings.Join(missing, ", "))
}

// Image returns a Linux image of one layer: busybox with every applet linked in /bin, /tmp, and
// files (path in the image -> content; a path ending in ".sh" or under bin/ is executable), with
// config's entrypoint, cmd, env and working dir.
func Image(t testing.TB, files map[string]string, config v1.Config) v1.Image {
	t.Helper()
	bb, err := os.ReadFile(Busybox)
	if err != nil {
		t.Fatalf("read %s: %v (apt-get install -y busybox-static)", Busybox, err)
	}
	out, err := exec.Command(Busybox, "--list").Output()
	if err != nil {
		t.Fatalf("busybox --list: %v", err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(h *tar.Header, body []byte) {
		h.Size = int64(len(body))
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"bin/", "etc/", "tmp/", "proc/", "sys/", "dev/"} {
		mode := int64(0o755)
		if d == "tmp/" {
			mode = 0o1777
		}
		add(&tar.Header{Name: d, Typeflag: tar.TypeDir, Mode: mode}, nil)
	}
	add(&tar.Header{Name: "bin/busybox", Typeflag: tar.TypeReg, Mode: 0o755}, bb)
	for _, applet := range strings.Fields(string(out)) {
		if applet != "busybox" {
			add(&tar.Header{Name: "bin/" + applet, Typeflag: tar.TypeSymlink, Linkname: "busybox", Mode: 0o777}, nil)
		}
	}
	clean := map[string]string{}
	for p, body := range files {
		clean[strings.TrimPrefix(p, "/")] = body
	}
	paths := make([]string, 0, len(clean))
	for p := range clean {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	dirs := map[string]bool{"bin": true, "etc": true, "tmp": true}
	for _, p := range paths {
		for d := filepath.Dir(p); d != "." && !dirs[d]; d = filepath.Dir(d) {
			dirs[d] = true
			add(&tar.Header{Name: d + "/", Typeflag: tar.TypeDir, Mode: 0o755}, nil)
		}
		mode := int64(0o644)
		if strings.HasSuffix(p, ".sh") || strings.HasPrefix(p, "bin/") {
			mode = 0o755
		}
		add(&tar.Header{Name: p, Typeflag: tar.TypeReg, Mode: mode}, []byte(clean[p]))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
		tarball.WithMediaType(types.OCILayer))
	if err != nil {
		t.Fatal(err)
	}
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	img, err := mutate.AppendLayers(base, l)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS, cf.Config = "amd64", "linux", config
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// Layout writes img as the OCI layout DIR with the tag and returns "oci:DIR:TAG".
func Layout(t testing.TB, img v1.Image, tag string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "layout")
	writeLayout(t, dir, img, tag)
	return "oci:" + dir + ":" + tag
}

func writeLayout(t testing.TB, dir string, img v1.Image, tag string) {
	t.Helper()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": tag})); err != nil {
		t.Fatal(err)
	}
}

// Archive writes img as an oci-archive (a tar of an OCI layout) and returns
// "oci-archive:FILE:TAG".
func Archive(t testing.TB, img v1.Image, tag string) string {
	t.Helper()
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "layout")
	writeLayout(t, dir, img, tag)
	file := filepath.Join(tmp, "image.tar")
	if out, err := exec.Command("tar", "-C", dir, "-cf", file, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v: %s", err, out)
	}
	return "oci-archive:" + file + ":" + tag
}

// DockerArchive writes img as `docker save` does, tagged ref, and returns "docker-archive:FILE".
func DockerArchive(t testing.TB, img v1.Image, ref string) string {
	t.Helper()
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "docker.tar")
	if err := tarball.WriteToFile(file, tag, img); err != nil {
		t.Fatal(err)
	}
	return "docker-archive:" + file
}

// Registry pushes img to a registry served in this process on 127.0.0.1 (plain HTTP, as
// go-containerregistry talks to a loopback registry) and returns its reference, HOST:PORT/REPO.
func Registry(t testing.TB, img v1.Image, repo string) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	ref := strings.TrimPrefix(srv.URL, "http://") + "/" + repo
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	return ref
}

// RemoveLeftovers deletes what runc pods of an agent on dataDir left on the machine once the agent
// stopped (as it leaves its containers running for the next agent to adopt): the containers, the
// overlays of their root filesystems, and the pods' network namespaces.
func RemoveLeftovers(t testing.TB, dataDir string) {
	root := filepath.Join(dataDir, "runc", "state")
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		if out, err := exec.Command("runc", "--root", root, "delete", "--force", e.Name()).CombinedOutput(); err != nil {
			t.Logf("left-over container %s: %v: %s", e.Name(), err, out)
		}
	}
	pods, _ := os.ReadDir(filepath.Join(dataDir, "pods"))
	for _, p := range pods {
		rootfs, _ := filepath.Glob(filepath.Join(dataDir, "pods", p.Name(), "runc", "*", "rootfs"))
		for _, r := range rootfs {
			_ = syscall.Unmount(r, syscall.MNT_DETACH)
		}
		if _, err := os.Stat("/run/netns/wk-" + p.Name()); err == nil {
			exec.Command("ip", "netns", "delete", "wk-"+p.Name()).Run()
		}
	}
}

// ServiceDevice names a service device for one test's agents and removes it when the test ends,
// so that the ClusterIPs of clusters of tests that run at the same time do not meet.
func ServiceDevice(t testing.TB) string {
	name := fmt.Sprintf("wkst%d", rand.IntN(1_000_000))
	t.Cleanup(func() { exec.Command("ip", "link", "del", name).Run() })
	return name
}
