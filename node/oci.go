package node

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// errLinuxImage is what an image that holds no wasm module is: the runc runtime's, not wazero's.
var errLinuxImage = errors.New("a Linux image, not a wasm module; it needs the runc runtime")

// wasmLayerTypes are the layer media types of wasm OCI artifacts (oras push ...:application/wasm,
// wasm-to-oci).
var wasmLayerTypes = []types.MediaType{"application/wasm", "application/vnd.wasm.content.layer.v1+wasm"}

// errModuleTooLarge is a wasm layer larger than the agent takes.
var errModuleTooLarge = &imageError{reason: "InvalidImage", err: fmt.Errorf("the module is larger than %d bytes", maxModuleBytes)}

const refNameAnnotation = "org.opencontainers.image.ref.name"

// ociRef is a parsed OCI image: a registry reference, or a skopeo/podman transport
// (oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:REF]).
type ociRef struct {
	transport string         // "" for a registry
	path, tag string         // a transport's file or folder, and the image in it
	ref       name.Reference // a registry's image, or docker-archive's tag
}

var ociTransports = []string{"oci", "oci-archive", "docker-archive"}

// parseOCIRef parses an image that is neither a blob digest nor a URL. As in skopeo, a transport's
// path ends at its first colon; "docker://" may prefix a registry reference.
func parseOCIRef(image string) (ociRef, error) {
	for _, t := range ociTransports {
		if rest, ok := strings.CutPrefix(image, t+":"); ok {
			path, tag, _ := strings.Cut(rest, ":")
			if path == "" {
				return ociRef{}, fmt.Errorf("image %q: %s needs a path, as %s:PATH[:TAG]", image, t, t)
			}
			r := ociRef{transport: t, path: path, tag: tag}
			if t == "docker-archive" && tag != "" {
				ref, err := name.NewTag(tag)
				if err != nil {
					return ociRef{}, fmt.Errorf("image %q: %w", image, err)
				}
				r.ref = ref
			}
			return r, nil
		}
	}
	ref, err := name.ParseReference(strings.TrimPrefix(image, "docker://"))
	if err != nil {
		return ociRef{}, fmt.Errorf("image %q: %w", image, err)
	}
	return ociRef{ref: ref}, nil
}

// fetchOCI pulls the wasm module of an OCI image, from a registry (with credentials from keychain)
// or from one of the image transports on this machine. digest is the module's "sha256:HEX". Errors
// are *imageError: InvalidImage when the image is not a wasm artifact, ErrImagePull otherwise.
func fetchOCI(ctx context.Context, image string, keychain authn.Keychain) (digest string, wasm []byte, err error) {
	r, err := parseOCIRef(image)
	if err != nil {
		return "", nil, &imageError{reason: "InvalidImageName", err: err}
	}
	img, cleanup, err := r.open(ctx, keychain)
	if err == nil {
		defer cleanup()
		wasm, err = wasmModule(img)
	}
	if errors.Is(err, errLinuxImage) {
		return "", nil, &imageError{reason: "InvalidImage", err: fmt.Errorf("%s is %w", image, err)}
	}
	var ie *imageError
	if errors.As(err, &ie) {
		return "", nil, &imageError{reason: ie.reason, err: fmt.Errorf("pull %s: %w", image, ie.err)}
	}
	if err != nil {
		return "", nil, &imageError{reason: "ErrImagePull", err: fmt.Errorf("pull %s: %w", image, err)}
	}
	return digestOf(wasm), wasm, nil
}

// open resolves r to an image; cleanup releases what it took on disk.
func (r ociRef) open(ctx context.Context, keychain authn.Keychain) (img v1.Image, cleanup func(), err error) {
	nothing := func() {}
	switch r.transport {
	case "":
		img, err = remoteImage(ctx, r.ref, keychain)
		return img, nothing, err
	case "oci":
		img, err = layoutImage(r.path, r.tag)
		return img, nothing, err
	case "oci-archive":
		return archiveImage(r.path, r.tag)
	default: // docker-archive
		var tag *name.Tag
		if t, ok := r.ref.(name.Tag); ok {
			tag = &t
		}
		img, err = tarball.ImageFromPath(r.path, tag)
		return img, nothing, err
	}
}

// remoteImage gets ref's manifest; a pinned digest is verified against it. Of a multi-platform
// index it takes the wasm platform's image.
func remoteImage(ctx context.Context, ref name.Reference, keychain authn.Keychain) (v1.Image, error) {
	desc, err := remote.Get(ref, remote.WithContext(ctx), remote.WithAuthFromKeychain(keychain), remote.WithUserAgent("wk"))
	if err != nil {
		return nil, err
	}
	if !desc.MediaType.IsIndex() {
		return desc.Image()
	}
	idx, err := desc.ImageIndex()
	if err != nil {
		return nil, err
	}
	return wasmPlatformImage(idx)
}

// layoutImage opens the image of an OCI layout folder whose ref.name annotation is tag, or its only
// image when tag is empty.
func layoutImage(dir, tag string) (v1.Image, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, err
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return nil, err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	found := m.Manifests
	if tag != "" {
		found = slices.DeleteFunc(slices.Clone(found), func(d v1.Descriptor) bool { return d.Annotations[refNameAnnotation] != tag })
	}
	switch {
	case len(found) == 0 && tag != "":
		return nil, fmt.Errorf("the layout has no image named %q", tag)
	case len(found) != 1:
		return nil, fmt.Errorf("the layout has %d images; name one with :TAG", len(found))
	}
	if !found[0].MediaType.IsIndex() {
		return idx.Image(found[0].Digest)
	}
	child, err := idx.ImageIndex(found[0].Digest)
	if err != nil {
		return nil, err
	}
	return wasmPlatformImage(child)
}

// wasmPlatformImage picks the image for the wasm architecture (platform wasi/wasm) from an index.
func wasmPlatformImage(idx v1.ImageIndex) (v1.Image, error) {
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	for _, d := range m.Manifests {
		if d.Platform != nil && d.Platform.Architecture == "wasm" && !d.MediaType.IsIndex() {
			return idx.Image(d.Digest)
		}
	}
	return nil, errLinuxImage
}

// archiveImage extracts a tar of an OCI layout to a temporary folder and opens it as oci:.
func archiveImage(file, tag string) (v1.Image, func(), error) {
	dir, err := os.MkdirTemp("", "wk-oci-archive-")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	var img v1.Image
	err = extractTar(file, dir)
	if err == nil {
		img, err = layoutImage(dir, tag)
	}
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return img, cleanup, nil
}

// extractTar writes the folders and regular files of the tar file under dir. It refuses absolute
// names, ".." and links, and writes no more bytes than the archive holds.
func extractTar(file, dir string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	budget := st.Size()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read the archive: %w", err)
		}
		if err := extractEntry(tr, h, dir, &budget); err != nil {
			return &imageError{reason: "InvalidImage", err: fmt.Errorf("archive entry %q: %w", h.Name, err)}
		}
	}
}

func extractEntry(tr *tar.Reader, h *tar.Header, dir string, budget *int64) error {
	if h.Typeflag == tar.TypeXGlobalHeader {
		return nil
	}
	if !filepath.IsLocal(h.Name) || slices.Contains(strings.Split(h.Name, "/"), "..") {
		return errors.New("name leaves the archive's folder")
	}
	target := filepath.Join(dir, h.Name)
	switch h.Typeflag {
	case tar.TypeDir:
		return os.MkdirAll(target, 0o755)
	case tar.TypeReg:
		if h.Size > *budget {
			return errors.New("larger than the archive")
		}
		*budget -= h.Size
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return err
		}
		_, err = io.Copy(out, io.LimitReader(tr, h.Size))
		return errors.Join(err, out.Close())
	default:
		return fmt.Errorf("type %q is not a folder or a regular file", h.Typeflag)
	}
}

// wasmModule takes the module out of an image: its wasm layer, or the single layer that is a module
// or a tar holding one .wasm file.
func wasmModule(img v1.Image) ([]byte, error) {
	layers, err := img.Layers()
	if err != nil {
		return nil, err
	}
	var wasm []v1.Layer
	for _, l := range layers {
		mt, err := l.MediaType()
		if err != nil {
			return nil, err
		}
		if slices.Contains(wasmLayerTypes, mt) {
			wasm = append(wasm, l)
		}
	}
	switch {
	case len(wasm) > 1:
		return nil, &imageError{reason: "InvalidImage", err: fmt.Errorf("the image has %d wasm layers; a wasm artifact has one", len(wasm))}
	case len(wasm) == 1:
		return readLayer(wasm[0], readAll, errModuleTooLarge)
	case len(layers) == 1:
		return readLayer(layers[0], moduleOrTar, errLinuxImage)
	}
	return nil, errLinuxImage
}

// readLayer reads the uncompressed content of l with read. A layer too large to hold a module is
// not downloaded: it is tooLarge.
func readLayer(l v1.Layer, read func(*bufio.Reader) ([]byte, error), tooLarge error) ([]byte, error) {
	if size, err := l.Size(); err == nil && size > maxModuleBytes+1<<20 {
		return nil, tooLarge
	}
	rc, err := l.Uncompressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return read(bufio.NewReader(rc))
}

func readAll(r *bufio.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxModuleBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxModuleBytes {
		return nil, errModuleTooLarge
	}
	return b, nil
}

// moduleOrTar reads a layer that is itself a module, or a tar ("FROM scratch; COPY app.wasm /")
// from which it takes the only .wasm file.
func moduleOrTar(r *bufio.Reader) ([]byte, error) {
	if magic, _ := r.Peek(4); bytes.Equal(magic, []byte("\x00asm")) {
		return readAll(r)
	}
	var found [][]byte
	lr := &io.LimitedReader{R: r, N: 2 * maxModuleBytes}
	tr := tar.NewReader(lr)
	for {
		h, err := tr.Next()
		if lr.N == 0 {
			return nil, errLinuxImage // far larger than a module
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, tar.ErrHeader) {
			return nil, &imageError{reason: "InvalidImage", err: errors.New("the image's layer is neither a wasm module nor a tar")}
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag == tar.TypeReg && strings.HasSuffix(h.Name, ".wasm") {
			b, err := readAll(bufio.NewReader(tr))
			if err != nil {
				return nil, err
			}
			found = append(found, b)
		}
	}
	switch len(found) {
	case 0:
		return nil, errLinuxImage
	case 1:
		return found[0], nil
	}
	return nil, &imageError{reason: "InvalidImage", err: fmt.Errorf("the image's layer holds %d .wasm files; a wasm image has one", len(found))}
}
