package node

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// emptyModule is the smallest valid wasm module.
var emptyModule = []byte("\x00asm\x01\x00\x00\x00")

// wasmArtifact is a module pushed as `oras push REF app.wasm:application/wasm` would.
func wasmArtifact(t *testing.T, mt types.MediaType) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, static.NewLayer(emptyModule, mt))
	if err != nil {
		t.Fatal(err)
	}
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	return mutate.ConfigMediaType(img, "application/vnd.wasm.config.v0+json")
}

type tarEntry struct {
	name string
	typ  byte
	body string
}

func tarBytes(t *testing.T, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: 0o644, Size: int64(len(e.body))}
		if e.typ == tar.TypeSymlink {
			h.Linkname, h.Size = e.body, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fsImage is a one-layer image of files, as a Dockerfile's COPY makes it (a gzipped tar layer).
func fsImage(t *testing.T, entries ...tarEntry) v1.Image {
	t.Helper()
	b := tarBytes(t, entries...)
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func scratchImage(t *testing.T) v1.Image {
	return fsImage(t, tarEntry{"app.wasm", tar.TypeReg, string(emptyModule)})
}

func linuxImage(t *testing.T) v1.Image {
	return fsImage(t, tarEntry{"bin/", tar.TypeDir, ""}, tarEntry{"bin/sh", tar.TypeReg, "\x7fELF"})
}

func platformIndex(t *testing.T, imgs map[string]v1.Image) v1.ImageIndex {
	t.Helper()
	var adds []mutate.IndexAddendum
	for platform, img := range imgs {
		os, arch, _ := strings.Cut(platform, "/")
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: os, Architecture: arch}}})
	}
	return mutate.AppendManifests(empty.Index, adds...)
}

func imageDigest(t *testing.T, img interface{ Digest() (v1.Hash, error) }) string {
	t.Helper()
	h, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}

// testRegistry serves go-containerregistry's in-memory registry on 127.0.0.1 (plain http, as for
// any loopback registry) and returns its host:port.
func testRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func push(t *testing.T, ref string, x any) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	switch x := x.(type) {
	case v1.Image:
		err = remote.Write(r, x)
	case v1.ImageIndex:
		err = remote.WriteIndex(r, x)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// writeLayout writes images to an OCI layout folder, each named by its ref.name annotation.
func writeLayout(t *testing.T, dir string, imgs map[string]v1.Image) {
	t.Helper()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	for tag, img := range imgs {
		if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{refNameAnnotation: tag})); err != nil {
			t.Fatal(err)
		}
	}
}

// tarFolder writes the files under dir to a tar, as `skopeo copy ... oci-archive:FILE` would.
func tarFolder(t *testing.T, dir, file string) {
	t.Helper()
	var entries []tarEntry
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if d.IsDir() {
			entries = append(entries, tarEntry{rel + "/", tar.TypeDir, ""})
			return nil
		}
		b, err := os.ReadFile(path)
		entries = append(entries, tarEntry{rel, tar.TypeReg, string(b)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, file, tarBytes(t, entries...))
}

func writeFile(t *testing.T, file string, b []byte) {
	t.Helper()
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeDockerArchive(t *testing.T, file, tag string, img v1.Image) {
	t.Helper()
	ref, err := name.NewTag(tag)
	if err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteToFile(file, ref, img); err != nil {
		t.Fatal(err)
	}
}

func TestFetchOCI(t *testing.T) {
	host := testRegistry(t)
	artifact := wasmArtifact(t, "application/wasm")
	push(t, host+"/app:v1", artifact)
	push(t, host+"/app:v2", wasmArtifact(t, "application/vnd.wasm.content.layer.v1+wasm"))
	push(t, host+"/scratch:v1", scratchImage(t))
	push(t, host+"/linux:v1", linuxImage(t))
	push(t, host+"/multi:v1", platformIndex(t, map[string]v1.Image{"linux/amd64": linuxImage(t), "wasip1/wasm": artifact}))
	push(t, host+"/multi:linux", platformIndex(t, map[string]v1.Image{"linux/amd64": linuxImage(t), "linux/arm64": linuxImage(t)}))
	twoWasm, err := mutate.AppendLayers(artifact, static.NewLayer(emptyModule, "application/wasm"))
	if err != nil {
		t.Fatal(err)
	}
	push(t, host+"/two:v1", twoWasm)
	push(t, host+"/twofiles:v1", fsImage(t, tarEntry{"a.wasm", tar.TypeReg, string(emptyModule)}, tarEntry{"b.wasm", tar.TypeReg, string(emptyModule)}))
	manifest := imageDigest(t, artifact)

	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dir := filepath.Join(tmp, "layout")
	writeLayout(t, dir, map[string]v1.Image{"v1": artifact, "linux": linuxImage(t)})
	single := filepath.Join(tmp, "single")
	writeLayout(t, single, map[string]v1.Image{"latest": scratchImage(t)})
	tarFolder(t, dir, filepath.Join(tmp, "app.tar"))
	writeDockerArchive(t, filepath.Join(tmp, "docker.tar"), "example.com/app:v1", scratchImage(t))
	writeDockerArchive(t, filepath.Join(tmp, "artifact.tar"), "example.com/app:v1", artifact)

	const linux = "is a Linux image, not a wasm module; it needs the runc runtime"
	tests := []struct {
		name, image    string
		reason, errHas string // reason "" wants the module
	}{
		{"registry tag", host + "/app:v1", "", ""},
		{"registry wasm-to-oci media type", host + "/app:v2", "", ""},
		{"registry digest", host + "/app@" + manifest, "", ""},
		{"registry tag and digest", host + "/app:v1@" + manifest, "", ""},
		{"docker transport", "docker://" + host + "/app:v1", "", ""},
		{"registry scratch image", host + "/scratch:v1", "", ""},
		{"registry index with wasm platform", host + "/multi:v1", "", ""},
		{"registry wrong tag", host + "/app:nope", "ErrImagePull", "MANIFEST_UNKNOWN"},
		{"registry wrong digest", host + "/app@" + digestOf([]byte("other")), "ErrImagePull", "pull "},
		{"registry linux image", host + "/linux:v1", "InvalidImage", linux},
		{"registry linux index", host + "/multi:linux", "InvalidImage", linux},
		{"registry two wasm layers", host + "/two:v1", "InvalidImage", "2 wasm layers"},
		{"registry two wasm files", host + "/twofiles:v1", "InvalidImage", "2 .wasm files"},
		{"registry unreachable", "127.0.0.1:1/app:v1", "ErrImagePull", "pull "},
		{"bad reference", "Not/Lower:case", "InvalidImageName", "image "},
		{"oci layout tag", "oci:" + dir + ":v1", "", ""},
		{"oci layout only image", "oci:" + single, "", ""},
		{"oci layout linux", "oci:" + dir + ":linux", "InvalidImage", linux},
		{"oci layout wrong tag", "oci:" + dir + ":nope", "ErrImagePull", `no image named "nope"`},
		{"oci layout two images", "oci:" + dir, "ErrImagePull", "has 2 images"},
		{"oci layout missing", "oci:" + filepath.Join(tmp, "nothing"), "ErrImagePull", "pull "},
		{"oci-archive", "oci-archive:" + filepath.Join(tmp, "app.tar") + ":v1", "", ""},
		{"oci-archive linux", "oci-archive:" + filepath.Join(tmp, "app.tar") + ":linux", "InvalidImage", linux},
		{"docker-archive", "docker-archive:" + filepath.Join(tmp, "docker.tar"), "", ""},
		{"docker-archive tag", "docker-archive:" + filepath.Join(tmp, "docker.tar") + ":example.com/app:v1", "", ""},
		{"docker-archive of an artifact", "docker-archive:" + filepath.Join(tmp, "artifact.tar"), "", ""},
		{"docker-archive wrong tag", "docker-archive:" + filepath.Join(tmp, "docker.tar") + ":example.com/app:v2", "ErrImagePull", "pull "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			digest, wasm, err := fetchOCI(context.Background(), tt.image, authn.NewMultiKeychain())
			checkFetch(t, digest, wasm, err, tt.reason, tt.errHas)
		})
	}
	checkNoExtractLeft(t, tmp)
}

func checkFetch(t *testing.T, digest string, wasm []byte, err error, reason, errHas string) {
	t.Helper()
	if reason == "" {
		if err != nil {
			t.Fatal(err)
		}
		if digest != digestOf(emptyModule) || !bytes.Equal(wasm, emptyModule) {
			t.Fatalf("got %s %q, want %s %q", digest, wasm, digestOf(emptyModule), emptyModule)
		}
		return
	}
	t.Log(err)
	var ie *imageError
	if !errors.As(err, &ie) {
		t.Fatalf("got %v, want an *imageError", err)
	}
	if ie.reason != reason || !strings.Contains(err.Error(), errHas) {
		t.Fatalf("got %s: %v, want %s: ...%s...", ie.reason, err, reason, errHas)
	}
}

func TestFetchOCIArchiveUnsafe(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // archives extract to tmp/wk-oci-archive-*; "../escape" would be tmp/escape
	tests := []struct {
		name  string
		entry tarEntry
	}{
		{"dot-dot", tarEntry{"../escape", tar.TypeReg, "x"}},
		{"inner dot-dot", tarEntry{"blobs/../../escape", tar.TypeReg, "x"}},
		{"absolute", tarEntry{filepath.Join(tmp, "escape"), tar.TypeReg, "x"}},
		{"symlink", tarEntry{"blobs", tar.TypeSymlink, "/etc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(tmp, tt.name+".tar")
			writeFile(t, file, tarBytes(t, tarEntry{"oci-layout", tar.TypeReg, `{"imageLayoutVersion":"1.0.0"}`}, tt.entry))
			_, _, err := fetchOCI(context.Background(), "oci-archive:"+file, authn.NewMultiKeychain())
			checkFetch(t, "", nil, err, "InvalidImage", tt.entry.name)
			if _, err := os.Stat(filepath.Join(tmp, "escape")); err == nil {
				t.Fatal("the archive wrote outside its folder")
			}
		})
	}
	checkNoExtractLeft(t, tmp)
}

// checkNoExtractLeft checks fetchOCI removed the folders it extracted archives to under dir.
func checkNoExtractLeft(t *testing.T, dir string) {
	t.Helper()
	left, err := filepath.Glob(filepath.Join(dir, "wk-oci-archive-*"))
	if err != nil || len(left) > 0 {
		t.Fatalf("extracted archives left behind: %v %v", left, err)
	}
}

// TestImageStoreFetchOCI checks fetch hands OCI images to fetchOCI and rejects bad names up front.
func TestImageStoreFetchOCI(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "layout")
	writeLayout(t, dir, map[string]v1.Image{"v1": wasmArtifact(t, "application/wasm")})
	s := &imageStore{dir: t.TempDir()}
	digest, wasm, err := s.fetch(context.Background(), "oci:"+dir+":v1")
	checkFetch(t, digest, wasm, err, "", "")
	for _, image := range []string{"oci:", "oci-archive:", "docker-archive:x.tar:Bad Tag", "UPPER/case:v1", ""} {
		_, _, err := s.fetch(context.Background(), image)
		checkFetch(t, "", nil, err, "InvalidImageName", "image ")
	}
}

// hugeLayer claims a size no module has, to check such layers are refused before they download.
type hugeLayer struct{ v1.Layer }

func (hugeLayer) Size() (int64, error) { return 1 << 40, nil }
func (hugeLayer) Uncompressed() (io.ReadCloser, error) {
	return nil, errors.New("a layer too large to be a module was downloaded")
}

func TestOCILayerTooLarge(t *testing.T) {
	for _, tt := range []struct {
		mt   types.MediaType
		want error
	}{
		{"application/wasm", errModuleTooLarge},
		{types.DockerLayer, errLinuxImage},
	} {
		img, err := mutate.AppendLayers(empty.Image, hugeLayer{static.NewLayer(emptyModule, tt.mt)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := wasmModule(img); !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.mt, err, tt.want)
		}
	}
}
