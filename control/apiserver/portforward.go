package apiserver

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
)

// podPortForward serves POST .../pods/NAME/portforward?port=N, upgraded to client.PortForwardProtocol:
// it asks the agent of the pod's node, through the node's tunnel, for a connection to the pod's
// port, then switches the caller's connection to a raw byte stream spliced to it. What the agent
// refuses (no such pod there, nothing listening on the port) is answered as a Status before the
// switch.
func (s *Server) podPortForward(w http.ResponseWriter, r *http.Request, t target) error {
	port, err := strconv.Atoi(r.URL.Query().Get("port"))
	if err != nil || port < 1 || port > 65535 {
		return api.NewStatusError(http.StatusBadRequest, api.ReasonBadRequest, "port must be a number from 1 to 65535, not %q", r.URL.Query().Get("port"))
	}
	if !wantsUpgrade(r, client.PortForwardProtocol) {
		return api.NewStatusError(http.StatusBadRequest, api.ReasonBadRequest,
			"port forwarding needs the headers Connection: Upgrade and Upgrade: %s", client.PortForwardProtocol)
	}
	pod, err := s.boundPod(t)
	if err != nil {
		return err
	}
	if pod.Status.Phase != api.PodRunning {
		return api.NewStatusError(http.StatusBadRequest, api.ReasonBadRequest,
			"unable to forward port because pod is not running. Current status=%s", podPhase(pod))
	}
	upstream, err := s.dialPodPort(r, pod, port)
	if err != nil {
		return err
	}
	conn := switchProtocols(w, client.PortForwardProtocol, fmt.Sprintf("forward port %d of pod %s", port, pod.Name))
	if conn == nil {
		upstream.Close()
		return nil
	}
	client.Splice(&upgradedConn{conn}, upstream)
	return nil
}

// dialPodPort asks the agent of the pod's node for a connection to the pod's port, upgraded the
// same way as the caller's.
func (s *Server) dialPodPort(r *http.Request, pod *api.Pod, port int) (io.ReadWriteCloser, error) {
	path := fmt.Sprintf("/portForward/%s/%s?port=%d", url.PathEscape(pod.Namespace), url.PathEscape(pod.Name), port)
	resp, err := s.callAgent(r.Context(), pod.Spec.NodeName, http.MethodPost, path, nil, client.PortForwardProtocol)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound {
			return nil, api.NewStatusError(http.StatusBadRequest, api.ReasonBadRequest, "%s", agentMessage(resp))
		}
		return nil, api.NewStatusError(http.StatusInternalServerError, api.ReasonInternal, "%s", agentMessage(resp))
	}
	upstream, ok := resp.Body.(io.ReadWriteCloser)
	if !ok {
		resp.Body.Close()
		return nil, api.NewStatusError(http.StatusInternalServerError, api.ReasonInternal, "node %s switched protocols without a writable connection", pod.Spec.NodeName)
	}
	return upstream, nil
}

// podPhase is the pod's phase, Pending when it has none yet.
func podPhase(p *api.Pod) string {
	if p.Status.Phase == "" {
		return api.PodPending
	}
	return p.Status.Phase
}

// upgradedConn is a hijacked connection that passes a half close on to the caller, when the
// connection under it can (TCP, TLS).
type upgradedConn struct{ *hijackedConn }

func (c *upgradedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}
