//go:build wasip1

package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wk-project/wk/wasmrt/guest"
)

// newClient is the HTTP client of curl and wget: it dials through the pod's
// /net, asks for no compression (as curl does not), follows redirects only
// if told and gives up after timeout, if not 0.
func newClient(timeout time.Duration, follow, insecure bool) *http.Client {
	t := guest.Transport()
	t.DialContext = dial
	t.DisableCompression = true
	if insecure {
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	}
	c := &http.Client{Transport: t, Timeout: timeout}
	if !follow {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return c
}

// dialError is a failure to connect, which curl and wget tell apart from
// a failure later on.
type dialError struct{ err error }

func (e *dialError) Error() string { return e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

func dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := guest.DialContext(ctx, network, addr)
	if err != nil {
		return nil, &dialError{err}
	}
	return c, nil
}

// failure is what went wrong with a request.
type failure int

const (
	failRecv    failure = iota // after connecting
	failEmpty                  // the server closed the connection without answering
	failResolve                // the host name does not resolve
	failConnect
	failTimeout
	failCert // https: the server's certificate was not verified
)

func classify(err error) failure {
	var de *dialError
	var ne net.Error
	var ce *tls.CertificateVerificationError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return failTimeout
	case errors.As(err, &de) && errors.Is(err, syscall.ENOENT):
		return failResolve
	case errors.As(err, &de):
		return failConnect
	case errors.As(err, &ce):
		return failCert
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return failEmpty
	}
	return failRecv
}

// cause is err without the "Get URL:" and "dial HOST:PORT:" the layers add.
func cause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// parseURL parses a URL as curl and wget take it, http:// when it names no
// scheme.
func parseURL(raw string) (*url.URL, error) {
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	if u.Host == "" {
		return nil, errors.New("no host")
	}
	return u, nil
}

// setHeader applies "K: V" to req; "K:" removes K.
func setHeader(req *http.Request, kv string) error {
	k, v, ok := strings.Cut(kv, ":")
	k, v = strings.TrimSpace(k), strings.TrimSpace(v)
	switch {
	case !ok || k == "":
		return fmt.Errorf("bad header %q: want 'NAME: VALUE'", kv)
	case strings.EqualFold(k, "Host"):
		req.Host = v
	case v == "":
		req.Header.Del(k)
	default:
		req.Header.Set(k, v)
	}
	return nil
}

// writeHead writes a response's status line and headers as they came, in
// sorted order, with prefix before each line.
func writeHead(w io.Writer, resp *http.Response, prefix string) {
	fmt.Fprintf(w, "%s%s %s\r\n", prefix, resp.Proto, resp.Status)
	if len(resp.TransferEncoding) > 0 {
		fmt.Fprintf(w, "%sTransfer-Encoding: %s\r\n", prefix, strings.Join(resp.TransferEncoding, ", "))
	}
	for _, k := range slices.Sorted(maps.Keys(resp.Header)) {
		for _, v := range resp.Header[k] {
			fmt.Fprintf(w, "%s%s: %s\r\n", prefix, k, v)
		}
	}
	fmt.Fprintf(w, "%s\r\n", prefix)
}

// openOutput opens where a body goes: stdout for "-", nowhere for
// /dev/null, which a pod does not have, else the file name.
func openOutput(name string) (io.WriteCloser, error) {
	switch name {
	case "-":
		return nopCloser{os.Stdout}, nil
	case "/dev/null":
		return nopCloser{io.Discard}, nil
	}
	return os.Create(name)
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// counter counts the bytes written through it.
type counter struct {
	w io.Writer
	n int64
}

func (c *counter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// seconds parses a timeout in seconds, which may have a fraction.
func seconds(s string) (time.Duration, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("invalid number of seconds '%s'", s)
	}
	return time.Duration(f * float64(time.Second)), nil
}
