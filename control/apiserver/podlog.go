package apiserver

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"

	"github.com/wk-project/wk/control/api"
)

// podLog serves GET .../pods/NAME/log by asking the pod's node for the container's log file.
// Query: container, follow, tailLines, previous (as Kubernetes).
func (s *Server) podLog(w http.ResponseWriter, r *http.Request, t target) error {
	kv, err := s.store.Get(t.key())
	if err != nil {
		return storeError(err, t, t.name)
	}
	obj, err := fromKV(t.kind, kv)
	if err != nil {
		return err
	}
	pod := obj.(*api.Pod)
	q := r.URL.Query()
	container := q.Get("container")
	if container == "" {
		if len(pod.Spec.Containers) != 1 {
			return api.NewStatusError(http.StatusBadRequest, api.ReasonBadRequest,
				"a container name must be specified for pod %s, choose one of: %v", pod.Name, containerNames(pod))
		}
		container = pod.Spec.Containers[0].Name
	}
	if pod.Spec.NodeName == "" {
		return api.NewStatusError(http.StatusBadRequest, api.ReasonBadRequest, "pod %s is not scheduled to a node yet", pod.Name)
	}
	base, err := s.nodeURL(pod.Spec.NodeName)
	if err != nil {
		return err
	}
	u := fmt.Sprintf("%s/containerLogs/%s/%s/%s?%s", base, url.PathEscape(pod.Namespace), url.PathEscape(pod.Name), url.PathEscape(container), q.Encode())
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.cfg.JoinToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return api.NewStatusError(http.StatusServiceUnavailable, api.ReasonUnavailable, "node %s cannot be reached: %v", pod.Spec.NodeName, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return api.NewStatusError(http.StatusBadRequest, api.ReasonBadRequest, "%s", trimNewline(string(msg)))
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			w.Write(buf[:n])
			rc.Flush()
		}
		if err != nil {
			return nil
		}
	}
}

// nodeURL is the base URL of a node agent's API, from the node's status.
func (s *Server) nodeURL(name string) (string, error) {
	k, _ := api.ResourceFor("nodes")
	kv, err := s.store.Get(k.StoreKey("", name))
	if err != nil {
		return "", storeError(err, target{kind: k}, name)
	}
	obj, err := fromKV(k, kv)
	if err != nil {
		return "", err
	}
	n := obj.(*api.Node)
	port := n.Status.DaemonEndpoints.KubeletEndpoint.Port
	for _, a := range n.Status.Addresses {
		if a.Type == api.NodeInternalIP && port != 0 {
			return "http://" + net.JoinHostPort(a.Address, strconv.Itoa(int(port))), nil
		}
	}
	return "", api.NewStatusError(http.StatusServiceUnavailable, api.ReasonUnavailable, "node %s has not reported its address yet", name)
}

func containerNames(p *api.Pod) []string {
	var names []string
	for _, c := range p.Spec.Containers {
		names = append(names, c.Name)
	}
	return names
}

func trimNewline(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}
