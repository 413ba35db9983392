//go:build wasip1

package main

import (
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// curl's exit codes.
const (
	curlUnsupported = 1
	curlMalformed   = 3
	curlResolve     = 6
	curlConnect     = 7
	curlHTTPError   = 22
	curlWrite       = 23
	curlRead        = 26
	curlTimeout     = 28
	curlEmpty       = 52
	curlRecv        = 56
	curlCert        = 60
)

var curlFlags = flagSet{
	bools:  "sSfiIvLk",
	values: "oXHdwmuA",
	long: map[string]byte{
		"silent": 's', "show-error": 'S', "fail": 'f', "include": 'i', "head": 'I', "verbose": 'v',
		"location": 'L', "insecure": 'k', "output": 'o', "request": 'X', "header": 'H', "data": 'd',
		"write-out": 'w', "max-time": 'm', "user": 'u', "user-agent": 'A',
	},
}

// curlCmd is one curl run.
type curlCmd struct {
	opts   options
	quiet  bool // -s without -S: no error messages
	start  time.Time
	u      *url.URL
	resp   *http.Response
	size   int64
	method string
}

// curl makes one HTTP request and prints the answer.
func curl(args []string) int {
	o, code, ok := parseFlags("curl", curlFlags, args)
	if !ok {
		return code
	}
	if len(o.args) != 1 {
		warn("curl", "want one URL")
		return usage("curl")
	}
	c := &curlCmd{opts: o, quiet: o.has('s') && !o.has('S')}
	code = c.run()
	c.writeOut(code)
	return code
}

func (c *curlCmd) run() int {
	req, code := c.request()
	if code != exitOK {
		return code
	}
	var timeout time.Duration
	if c.opts.has('m') {
		var err error
		if timeout, err = seconds(c.opts.last('m')); err != nil {
			warn("curl", "%v", err)
			return exitUsage
		}
	}
	c.verboseRequest(req)
	c.start = time.Now()
	var err error
	c.resp, err = newClient(timeout, c.opts.has('L'), c.opts.has('k')).Do(req)
	if err != nil {
		return c.failed(err, timeout)
	}
	defer c.resp.Body.Close()
	if c.opts.has('v') {
		writeHead(os.Stderr, c.resp, "< ")
	}
	if c.opts.has('f') && c.resp.StatusCode >= 400 {
		return c.fail(curlHTTPError, "The requested URL returned error: %d", c.resp.StatusCode)
	}
	return c.output()
}

// request builds the request from the flags.
func (c *curlCmd) request() (*http.Request, int) {
	u, err := parseURL(c.opts.args[0])
	switch {
	case err != nil:
		return nil, c.fail(curlMalformed, "URL rejected: Malformed input to a URL function")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, c.fail(curlUnsupported, "Protocol %q not supported", u.Scheme)
	}
	c.u = u
	body, err := c.data()
	if err != nil {
		return nil, c.fail(curlRead, "Failed to open/read local data: %s", errText(err))
	}
	c.method = c.opts.last('X')
	switch {
	case c.method != "":
	case c.opts.has('I'):
		c.method = http.MethodHead
	case c.opts.has('d'):
		c.method = http.MethodPost
	default:
		c.method = http.MethodGet
	}
	req, err := http.NewRequest(c.method, u.String(), body)
	if err != nil {
		return nil, c.fail(curlMalformed, "%v", err)
	}
	req.Header.Set("User-Agent", "curl/wk")
	req.Header.Set("Accept", "*/*")
	if c.opts.has('d') {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c.opts.has('A') {
		req.Header.Set("User-Agent", c.opts.last('A'))
	}
	if c.opts.has('u') {
		user, pass, _ := strings.Cut(c.opts.last('u'), ":")
		req.SetBasicAuth(user, pass)
	}
	for _, h := range c.opts.all('H') {
		if err := setHeader(req, h); err != nil {
			warn("curl", "%v", err)
			return nil, exitUsage
		}
	}
	return req, exitOK
}

// data is the body -d gives: its values joined with "&", "@FILE" read from
// FILE (stdin for "@-") without line breaks, as curl does.
func (c *curlCmd) data() (io.Reader, error) {
	if !c.opts.has('d') {
		return nil, nil
	}
	var parts []string
	for _, d := range c.opts.all('d') {
		if name, ok := strings.CutPrefix(d, "@"); ok {
			var b strings.Builder
			if err := copyFile(&b, name); err != nil {
				return nil, err
			}
			d = strings.NewReplacer("\r", "", "\n", "").Replace(b.String())
		}
		parts = append(parts, d)
	}
	return strings.NewReader(strings.Join(parts, "&")), nil
}

// output writes the headers (-i, -I) and the body (unless -I) to stdout
// or the -o file.
func (c *curlCmd) output() int {
	name := c.opts.last('o')
	if name == "" {
		name = "-"
	}
	f, err := openOutput(name)
	if err != nil {
		return c.fail(curlWrite, "Failed to open the file %s: %s", name, errText(err))
	}
	if c.opts.has('i') || c.opts.has('I') {
		writeHead(f, c.resp, "")
	}
	if !c.opts.has('I') {
		w := &counter{w: f}
		_, err = io.Copy(w, c.resp.Body)
		c.size = w.n
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		return c.fail(curlWrite, "Failure writing output to destination: %s", errText(cerr))
	}
	if err != nil {
		return c.failed(err, 0)
	}
	return exitOK
}

// failed reports a failed request with curl's code for it.
func (c *curlCmd) failed(err error, timeout time.Duration) int {
	host, port := c.u.Hostname(), c.u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[c.u.Scheme]
	}
	switch classify(err) {
	case failTimeout:
		return c.fail(curlTimeout, "Operation timed out after %d milliseconds", time.Since(c.start).Milliseconds())
	case failResolve:
		return c.fail(curlResolve, "Could not resolve host: %s", host)
	case failConnect:
		return c.fail(curlConnect, "Failed to connect to %s port %s: %s", host, port, cause(err))
	case failCert:
		return c.fail(curlCert, "SSL certificate problem: %s", cause(err))
	case failEmpty:
		return c.fail(curlEmpty, "Empty reply from server")
	}
	return c.fail(curlRecv, "Recv failure: %s", cause(err))
}

// fail prints "curl: (CODE) MESSAGE", unless silent, and returns code.
func (c *curlCmd) fail(code int, format string, a ...any) int {
	if !c.quiet {
		fmt.Fprintf(os.Stderr, "curl: (%d) %s\n", code, fmt.Sprintf(format, a...))
	}
	return code
}

// verboseRequest prints the request for -v, as curl does.
func (c *curlCmd) verboseRequest(req *http.Request) {
	if !c.opts.has('v') {
		return
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	fmt.Fprintf(os.Stderr, "> %s %s HTTP/1.1\r\n> Host: %s\r\n", req.Method, req.URL.RequestURI(), host)
	for _, k := range slices.Sorted(maps.Keys(req.Header)) {
		for _, v := range req.Header[k] {
			fmt.Fprintf(os.Stderr, "> %s: %s\r\n", k, v)
		}
	}
	fmt.Fprint(os.Stderr, ">\r\n")
}

// writeOut prints -w's format with its %{variables} and \n, \r, \t.
func (c *curlCmd) writeOut(code int) {
	if !c.opts.has('w') {
		return
	}
	vars := map[string]string{
		"http_code": "000", "response_code": "000", "exitcode": strconv.Itoa(code), "method": c.method,
		"size_download": strconv.FormatInt(c.size, 10), "time_total": fmt.Sprintf("%.6f", time.Since(c.start).Seconds()),
	}
	if c.u != nil {
		vars["url_effective"] = c.u.String()
	}
	if c.resp != nil {
		vars["http_code"] = fmt.Sprintf("%03d", c.resp.StatusCode)
		vars["response_code"] = vars["http_code"]
		vars["content_type"] = c.resp.Header.Get("Content-Type")
		vars["url_effective"] = c.resp.Request.URL.String()
	}
	fmt.Print(expand(c.opts.last('w'), vars))
}

// expand replaces %{NAME} in format by vars[NAME] and the escapes \n, \r, \t
// and \\ by what they stand for.
func expand(format string, vars map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		switch rest := format[i:]; {
		case strings.HasPrefix(rest, "%{"):
			name, _, ok := strings.Cut(rest[2:], "}")
			if !ok {
				b.WriteString(rest)
				return b.String()
			}
			v, known := vars[name]
			if !known {
				warn("curl", "unknown --write-out variable: '%s'", name)
			}
			b.WriteString(v)
			i += len(name) + 2
		case strings.HasPrefix(rest, "%%"):
			b.WriteByte('%')
			i++
		case len(rest) > 1 && rest[0] == '\\' && strings.IndexByte(`nrt\`, rest[1]) >= 0:
			b.WriteByte(map[byte]byte{'n': '\n', 'r': '\r', 't': '\t', '\\': '\\'}[rest[1]])
			i++
		default:
			b.WriteByte(format[i])
		}
	}
	return b.String()
}
