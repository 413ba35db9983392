package apiserver

import (
	"net/http"
	"strings"

	"github.com/wk-project/wk/control/api"
)

// target is what a resource path names.
type target struct {
	kind      *api.Kind
	namespace string
	name      string
	sub       string // "status", "log", "exec", "portforward", "binding" or ""
}

// parsePath splits a REST path: /api/v1/[namespaces/NS/]RESOURCE[/NAME[/SUB]] or the same under
// /apis/GROUP/VERSION.
func parsePath(path string) (target, *api.StatusError) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	var group, version string
	switch {
	case len(segs) >= 2 && segs[0] == "api":
		version, segs = segs[1], segs[2:]
	case len(segs) >= 3 && segs[0] == "apis":
		group, version, segs = segs[1], segs[2], segs[3:]
	default:
		return target{}, notFoundPath(path)
	}
	var t target
	if len(segs) >= 3 && segs[0] == "namespaces" && segs[2] != "status" && segs[2] != "finalize" {
		t.namespace, segs = segs[1], segs[2:]
	}
	if len(segs) == 0 || len(segs) > 3 {
		return target{}, notFoundPath(path)
	}
	for _, k := range api.Kinds() {
		if k.Resource == segs[0] && k.Group == group && k.Version == version {
			t.kind = k
		}
	}
	if t.kind == nil {
		return target{}, notFoundPath(path)
	}
	if len(segs) > 1 {
		t.name = segs[1]
	}
	if len(segs) > 2 {
		t.sub = segs[2]
		if t.sub != "status" && !((t.sub == "log" || t.sub == "exec" || t.sub == "portforward" || t.sub == "binding") && t.kind.Kind == "Pod") {
			return target{}, notFoundPath(path)
		}
	}
	if t.namespace != "" && !t.kind.Namespaced {
		return target{}, notFoundPath(path)
	}
	return t, nil
}

func notFoundPath(path string) *api.StatusError {
	return api.NewStatusError(http.StatusNotFound, api.ReasonNotFound, "the server could not find the requested resource %s", path)
}

// key is the store key of the named object, or the prefix of the collection.
func (t target) key() string { return t.kind.StoreKey(t.namespace, t.name) }

func (s *Server) serveResource(w http.ResponseWriter, r *http.Request) {
	t, serr := parsePath(r.URL.Path)
	if serr != nil {
		writeError(w, serr)
		return
	}
	var err error
	switch {
	case r.Method == http.MethodGet && t.name == "" && isWatch(r):
		err = s.watch(w, r, t)
	case r.Method == http.MethodGet && t.name == "":
		err = s.list(w, r, t)
	case r.Method == http.MethodGet && t.sub == "log":
		err = s.podLog(w, r, t)
	case r.Method == http.MethodPost && t.sub == "exec":
		err = s.podExec(w, r, t)
	case (r.Method == http.MethodPost || r.Method == http.MethodGet) && t.sub == "portforward":
		err = s.podPortForward(w, r, t)
	case r.Method == http.MethodPost && t.sub == "binding":
		err = s.bind(w, r, t)
	case r.Method == http.MethodGet && t.sub != "binding":
		err = s.get(w, t)
	case r.Method == http.MethodPost && t.name == "":
		err = s.create(w, r, t)
	case r.Method == http.MethodPut && t.name != "" && (t.sub == "" || t.sub == "status"):
		err = s.update(w, r, t)
	case r.Method == http.MethodPatch && t.name != "" && t.sub == "":
		err = s.apply(w, r, t)
	case r.Method == http.MethodDelete && t.name != "" && t.sub == "":
		err = s.delete(w, r, t)
	default:
		err = api.NewStatusError(http.StatusMethodNotAllowed, api.ReasonMethodNotAllowd, "%s is not supported on %s", r.Method, r.URL.Path)
	}
	if err != nil {
		writeError(w, err)
	}
}

func isWatch(r *http.Request) bool {
	v := r.URL.Query().Get("watch")
	return v == "1" || v == "true"
}
