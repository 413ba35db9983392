package apiserver

import (
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/wk-project/wk/control/api"
)

// podLog serves GET .../pods/NAME/log by asking the pod's node for the container's log file.
// Query: container, follow, tailLines, previous (as Kubernetes).
func (s *Server) podLog(w http.ResponseWriter, r *http.Request, t target) error {
	pod, err := s.boundPod(t)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if q.Get("container") == "" {
		if len(pod.Spec.Containers) != 1 {
			return api.NewStatusError(http.StatusBadRequest, api.ReasonBadRequest,
				"a container name must be specified for pod %s, choose one of: %v", pod.Name, containerNames(pod))
		}
		q.Set("container", pod.Spec.Containers[0].Name)
	}
	path := fmt.Sprintf("/containerLogs/%s/%s/%s", url.PathEscape(pod.Namespace), url.PathEscape(pod.Name), url.PathEscape(q.Get("container")))
	return s.proxyToNode(w, r, pod, http.MethodGet, path, q, nil)
}

// podExec serves POST .../pods/NAME/exec?command=...&container=... through the pod's node; the
// request body is the command's stdin, the answer its framed output and exit code.
func (s *Server) podExec(w http.ResponseWriter, r *http.Request, t target) error {
	pod, err := s.boundPod(t)
	if err != nil {
		return err
	}
	path := fmt.Sprintf("/exec/%s/%s", url.PathEscape(pod.Namespace), url.PathEscape(pod.Name))
	http.NewResponseController(w).EnableFullDuplex()
	return s.proxyToNode(w, r, pod, http.MethodPost, path, r.URL.Query(), r.Body)
}

// boundPod reads the target pod and checks that it is on a node.
func (s *Server) boundPod(t target) (*api.Pod, error) {
	obj, err := s.getObject(t)
	if err != nil {
		return nil, err
	}
	pod := obj.(*api.Pod)
	if pod.Spec.NodeName == "" {
		return nil, api.NewStatusError(http.StatusBadRequest, api.ReasonBadRequest, "pod %s is not scheduled to a node yet", pod.Name)
	}
	return pod, nil
}

// proxyToNode sends a request to the agent of the pod's node, through the node's tunnel, and
// streams its answer back.
func (s *Server) proxyToNode(w http.ResponseWriter, r *http.Request, pod *api.Pod, method, path string, q url.Values, body io.Reader) error {
	resp, err := s.callAgent(r.Context(), pod.Spec.NodeName, method, path+"?"+q.Encode(), body, "")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return api.NewStatusError(http.StatusBadRequest, api.ReasonBadRequest, "%s", agentMessage(resp))
	}
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
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
