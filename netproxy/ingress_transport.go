package netproxy

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
)

// The transport's connection pool is keyed by the request URL's host, so each backend gets a
// host of its own, "PORT.NAME.NAMESPACE:80", that is never resolved: the transport's DialContext
// reads the Service back from it and calls DialService. Service, namespace and port names hold
// no dots, so the three parts are unambiguous.
const ingressBackendHostPort = "80"

func (b serviceTarget) urlHost() string {
	return net.JoinHostPort(b.port+"."+b.name+"."+b.namespace, ingressBackendHostPort)
}

func parseIngressBackendAddr(addr string) (serviceTarget, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return serviceTarget{}, fmt.Errorf("ingress backend address %q: %w", addr, err)
	}
	parts := strings.Split(host, ".")
	if len(parts) != 3 {
		return serviceTarget{}, fmt.Errorf("ingress backend address %q: want PORT.NAME.NAMESPACE", addr)
	}
	return serviceTarget{port: parts[0], name: parts[1], namespace: parts[2]}, nil
}

// ingressDialError marks a failure to open a connection to the backend Service, so that the
// error handler can answer 503 rather than 502.
type ingressDialError struct {
	backend serviceTarget
	err     error
}

func (e *ingressDialError) Error() string {
	return fmt.Sprintf("dial service %s/%s port %s: %v", e.backend.namespace, e.backend.name, e.backend.port, e.err)
}

func (e *ingressDialError) Unwrap() error { return e.err }

// newIngressTransport keeps connections alive per backend and dials through cfg.Dialer. It speaks
// HTTP/1.1 to backends, which also carries Upgrade (WebSocket) requests.
func newIngressTransport(cfg IngressConfig) *http.Transport {
	return &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			b, err := parseIngressBackendAddr(addr)
			if err != nil {
				return nil, &ingressDialError{backend: b, err: err}
			}
			ctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
			defer cancel()
			conn, err := cfg.Dialer.DialService(ctx, b.namespace, b.name, b.port)
			if err != nil {
				return nil, &ingressDialError{backend: b, err: err}
			}
			return conn, nil
		},
		MaxIdleConns:        0, // no limit over all backends
		MaxIdleConnsPerHost: cfg.IdleConnsPerBackend,
		IdleConnTimeout:     cfg.IdleConnTimeout,
		ForceAttemptHTTP2:   false,
		DisableCompression:  true, // pass bodies and Accept-Encoding through untouched
	}
}

// ingressRewrite points the outbound request at the backend chosen by ServeHTTP. The Host
// header is kept; X-Forwarded-For gets the client's address appended, X-Forwarded-Host and
// X-Forwarded-Proto say what the client asked for.
func ingressRewrite(pr *httputil.ProxyRequest) {
	b, _ := pr.In.Context().Value(ingressBackendKey{}).(serviceTarget)
	pr.Out.URL.Scheme = "http"
	pr.Out.URL.Host = b.urlHost()
	pr.Out.Host = pr.In.Host
	pr.Out.Header["X-Forwarded-For"] = pr.In.Header["X-Forwarded-For"]
	pr.SetXForwarded()
}
