package cmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
)

// manifest is one object read from a file, with where it came from.
type manifest struct {
	source string // file name, or "-" for standard input
	dir    string // folder local image paths are resolved against
	doc    *api.Document
}

// readManifests reads every object of every -f argument: files, folders (their .yaml, .yml and
// .json files) and "-" for standard input. It returns every problem it finds, not just the first.
func readManifests(paths []string, stdin io.Reader) ([]manifest, []string) {
	var out []manifest
	var problems []string
	for _, p := range paths {
		files, err := expandPath(p)
		if err != nil {
			problems = append(problems, fmt.Sprintf("error: %v", err))
			continue
		}
		for _, f := range files {
			var data []byte
			dir := filepath.Dir(f)
			if f == "-" {
				data, err = io.ReadAll(stdin)
				dir, _ = os.Getwd()
			} else {
				data, err = os.ReadFile(f)
			}
			if err != nil {
				problems = append(problems, fmt.Sprintf("error: %v", err))
				continue
			}
			docs, errs := api.DecodeManifest(data)
			for _, e := range errs {
				e.Source = f
				problems = append(problems, strings.Split(e.Error(), "\n")...)
			}
			for _, d := range docs {
				out = append(out, manifest{source: f, dir: dir, doc: d})
			}
		}
	}
	return out, problems
}

func expandPath(p string) ([]string, error) {
	if p == "-" {
		return []string{p}, nil
	}
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("the path %q does not exist", p)
	}
	if !st.IsDir() {
		return []string{p}, nil
	}
	entries, err := os.ReadDir(p)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		switch filepath.Ext(e.Name()) {
		case ".yaml", ".yml", ".json":
			if !e.IsDir() {
				files = append(files, filepath.Join(p, e.Name()))
			}
		}
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("no .yaml, .yml or .json files in %s", p)
	}
	return files, nil
}

// prepare places each object in its namespace and checks it as the server will, so that a bad file
// writes nothing. It returns one line per problem, with the file, document and line.
func prepare(ms []manifest, flagNS string, explicitNS bool) []string {
	var problems []string
	for _, m := range ms {
		obj := m.doc.Object
		meta := obj.GetObjectMeta()
		if m.doc.Kind.Namespaced {
			switch {
			case meta.Namespace == "":
				meta.Namespace = flagNS
			case explicitNS && meta.Namespace != flagNS:
				problems = append(problems, fmt.Sprintf("error: %s: the namespace from the provided object %q does not match the namespace %q. You must pass '--namespace=%s' to perform this operation.",
					where(m, "metadata.namespace"), meta.Namespace, flagNS, meta.Namespace))
			}
		}
		check := cloneForCheck(obj)
		api.SetDefaults(check)
		if check.GetObjectMeta().Name == "" && check.GetObjectMeta().GenerateName != "" {
			check.GetObjectMeta().Name = check.GetObjectMeta().GenerateName + "x"
		}
		if me := m.doc.Locate(api.Validate(check)); me != nil {
			me.Source = m.source
			problems = append(problems, strings.Split(me.Error(), "\n")...)
		}
	}
	return problems
}

// where names a field's place as the decoder does: "FILE: document N (line L)".
func where(m manifest, path string) string {
	return fmt.Sprintf("%s: document %d (line %d)", m.source, m.doc.Index+1, m.doc.LineOf(path))
}

// uploadImages replaces every local wasm path among the objects' container images with the digest
// of the module, uploading it to the control plane's blob store.
func uploadImages(ctx context.Context, c *client.Client, ms []manifest) []string {
	var problems []string
	for _, m := range ms {
		for _, ref := range containerImages(m.doc.Object) {
			if !isLocalImage(*ref.image) {
				continue
			}
			path := *ref.image
			if !filepath.IsAbs(path) {
				path = filepath.Join(m.dir, path)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				problems = append(problems, fmt.Sprintf("error: %s: %s: %v", where(m, ref.path), ref.path, err))
				continue
			}
			digest, err := c.PutBlob(ctx, data)
			if err != nil {
				problems = append(problems, fmt.Sprintf("error: %s: upload %s: %v", where(m, ref.path), *ref.image, err))
				continue
			}
			*ref.image = digest
		}
	}
	return problems
}

// isLocalImage tells a module path on this machine from an image reference.
func isLocalImage(image string) bool {
	if strings.HasPrefix(image, "./") || strings.HasPrefix(image, "../") || strings.HasPrefix(image, "/") {
		return true
	}
	return strings.HasSuffix(image, ".wasm") && !strings.Contains(image, ":")
}

type imageRef struct {
	path  string
	image *string
}

// containerImages points at every container image field of a pod or pod template.
func containerImages(obj api.Object) []imageRef {
	var spec *api.PodSpec
	prefix := "spec.template.spec"
	switch o := obj.(type) {
	case *api.Pod:
		spec, prefix = &o.Spec, "spec"
	case *api.Deployment:
		spec = &o.Spec.Template.Spec
	case *api.ReplicaSet:
		spec = &o.Spec.Template.Spec
	case *api.DaemonSet:
		spec = &o.Spec.Template.Spec
	default:
		return nil
	}
	var refs []imageRef
	for i := range spec.InitContainers {
		refs = append(refs, imageRef{fmt.Sprintf("%s.initContainers[%d].image", prefix, i), &spec.InitContainers[i].Image})
	}
	for i := range spec.Containers {
		refs = append(refs, imageRef{fmt.Sprintf("%s.containers[%d].image", prefix, i), &spec.Containers[i].Image})
	}
	return refs
}
