package toolbox_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wk-project/wk/node/toolbox"
	"github.com/wk-project/wk/samples/build"
	"github.com/wk-project/wk/wasmrt"
)

var podAddr = netip.MustParseAddr("127.79.0.5")

// runtime is one wasmrt runtime with the toolbox loaded, shared by the tests.
var runtime = struct {
	once   sync.Once
	rt     *wasmrt.Runtime
	digest string
	err    error
}{}

func TestMain(m *testing.M) {
	code := m.Run()
	if runtime.rt != nil {
		runtime.rt.Close(context.Background())
	}
	os.Exit(code)
}

// loadToolbox builds the toolbox for wasip1, as make does, and loads it.
func loadToolbox(t *testing.T) (*wasmrt.Runtime, string) {
	t.Helper()
	wasm := build.Go(t, "node/toolbox/guest")
	runtime.once.Do(func() {
		ctx := context.Background()
		if runtime.rt, runtime.err = wasmrt.New(ctx, wasmrt.Config{}); runtime.err != nil {
			return
		}
		runtime.digest = wasmrt.Digest(wasm)
		runtime.err = runtime.rt.Load(ctx, runtime.digest, wasm)
	})
	if runtime.err != nil {
		t.Fatal(runtime.err)
	}
	return runtime.rt, runtime.digest
}

// names stands in for cluster DNS.
type names map[string][]netip.Addr

func (n names) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if ips, ok := n[host]; ok {
		return ips, nil
	}
	return nil, &net.DNSError{Name: host, Err: "no such host", IsNotFound: true}
}

// proxy stands in for the node proxy: it sends the service web:80 to the
// test server, dials addresses as they are and knows no other name.
type proxy map[string]string

func (p proxy) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if to, ok := p[addr]; ok {
		addr = to
	} else if host, _, _ := net.SplitHostPort(addr); net.ParseIP(host) == nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Name: host, Err: "no such host", IsNotFound: true}}
	}
	return (&net.Dialer{}).DialContext(ctx, network, addr)
}

// pod is a sandbox with a volume at /data, the name web resolving to a
// ClusterIP and web:80 reaching an HTTP server on 127.0.0.1.
type pod struct {
	sb     *wasmrt.Sandbox
	digest string
	data   string // the volume's host directory
}

func newPod(t *testing.T) *pod {
	t.Helper()
	rt, digest := loadToolbox(t)
	srv := httptest.NewServer(webHandler())
	t.Cleanup(srv.Close)
	data := t.TempDir()
	sb, err := rt.NewSandbox(wasmrt.SandboxConfig{
		Name:     "web-1",
		Addr:     podAddr,
		Volumes:  map[string]string{"data": data},
		Dialer:   proxy{"web:80": srv.Listener.Addr().String()},
		Resolver: names{"web": {netip.MustParseAddr("10.96.0.10")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	return &pod{sb: sb, digest: digest, data: data}
}

func webHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "hello from web") })
	mux.HandleFunc("/missing", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "nope", http.StatusNotFound) })
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/", http.StatusFound) })
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s %s %s", r.Method, r.Header.Get("X-Test"), b, r.Header.Get("Content-Type"))
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	return mux
}

// result is how one toolbox run ended.
type result struct {
	code           int
	stdout, stderr string
}

// exec runs the toolbox as `wk exec` does: argv is "toolbox CMD ARGS...",
// with the pod's volume at /data and FOO=bar in the environment.
func (p *pod) exec(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return p.run(t, "toolbox", stdin, args...)
}

// run runs the toolbox under the name argv0.
func (p *pod) run(t *testing.T, argv0, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	proc, err := p.sb.Start(context.Background(), wasmrt.ContainerConfig{
		Name: argv0, Digest: p.digest, Args: args, Env: []string{"FOO=bar"},
		Mounts: []wasmrt.Mount{{Volume: "data", Path: "/data"}},
		Stdin:  strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr,
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-proc.Done():
	case <-time.After(20 * time.Second):
		proc.Kill()
		t.Fatalf("toolbox %q did not end", args)
	}
	st := proc.Wait()
	if st.Message != "" {
		t.Fatalf("toolbox %q: %s", args, st.Message)
	}
	return result{st.Code, stdout.String(), stderr.String()}
}

// check compares a run with what a test wants: the exit code, stdout
// exactly (or, with outHas, containing it) and stderr containing errHas.
func check(t *testing.T, got result, code int, out, outHas, errHas string) {
	t.Helper()
	if got.code != code || (outHas == "" && got.stdout != out) || !strings.Contains(got.stdout, outHas) || !strings.Contains(got.stderr, errHas) {
		t.Errorf("exit %d, stdout %q, stderr %q\nwant exit %d, stdout %q (containing %q), stderr containing %q",
			got.code, got.stdout, got.stderr, code, out, outHas, errHas)
	}
}

type runCase struct {
	args   []string
	code   int
	out    string // stdout, exactly, unless outHas is set
	outHas string
	errHas string
}

func runTable(t *testing.T, p *pod, tests []runCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			check(t, p.exec(t, "", tt.args...), tt.code, tt.out, tt.outHas, tt.errHas)
		})
	}
}

func TestCurl(t *testing.T) {
	runTable(t, newPod(t), []runCase{
		{args: []string{"curl", "-s", "http://web/"}, out: "hello from web"},
		{args: []string{"curl", "web"}, out: "hello from web"},
		{args: []string{"curl", "-s", "-o", "/dev/null", "-w", `%{http_code}\n`, "http://web/missing"}, out: "404\n"},
		{args: []string{"curl", "-s", "http://web/missing"}, out: "nope\n"},
		{args: []string{"curl", "-sf", "http://web/missing"}, code: 22},
		{args: []string{"curl", "-f", "http://web/missing"}, code: 22, errHas: "curl: (22) The requested URL returned error: 404\n"},
		{args: []string{"curl", "-sS", "-X", "PUT", "-H", "X-Test: yes", "-d", "a=1", "-d", "b=2", "http://web/echo"},
			out: "PUT yes a=1&b=2 application/x-www-form-urlencoded"},
		{args: []string{"curl", "-i", "http://web/"}, outHas: "HTTP/1.1 200 OK\r\n"},
		{args: []string{"curl", "-si", "http://web/"}, outHas: "Content-Length: 14\r\n"},
		{args: []string{"curl", "-si", "http://web/"}, outHas: "\r\n\r\nhello from web"},
		{args: []string{"curl", "-I", "http://web/"}, outHas: "Content-Length: 14\r\n"},
		{args: []string{"curl", "-s", "-w", "%{http_code}", "http://web/redirect"}, outHas: "302"},
		{args: []string{"curl", "-sL", "http://web/redirect"}, out: "hello from web"},
		{args: []string{"curl", "http://localhost:1/"}, code: 7, errHas: "curl: (7) Failed to connect to localhost port 1: "},
		{args: []string{"curl", "-s", "-w", "%{http_code}", "http://localhost:1/"}, code: 7, out: "000"},
		{args: []string{"curl", "http://nosuch/"}, code: 6, errHas: "curl: (6) Could not resolve host: nosuch\n"},
		{args: []string{"curl", "--max-time", "0.3", "http://web/slow"}, code: 28, errHas: "curl: (28) Operation timed out"},
		{args: []string{"curl", "ftp://web/"}, code: 1, errHas: `curl: (1) Protocol "ftp" not supported`},
		{args: []string{"curl", "--bogus", "http://web/"}, code: 2, errHas: "curl: unrecognized option '--bogus'\nusage: curl "},
		{args: []string{"curl"}, code: 2, errHas: "usage: curl "},
	})
}

func TestCurlOutputFile(t *testing.T) {
	p := newPod(t)
	check(t, p.exec(t, "", "curl", "-so", "/data/page.html", "http://web/"), 0, "", "", "")
	if b, err := os.ReadFile(filepath.Join(p.data, "page.html")); err != nil || string(b) != "hello from web" {
		t.Errorf("page.html: %q, %v", b, err)
	}
	check(t, p.exec(t, "", "curl", "-o", "/nowhere/x", "http://web/"), 23, "", "", "curl: (23) Failed to open the file /nowhere/x")
}

func TestWget(t *testing.T) {
	p := newPod(t)
	runTable(t, p, []runCase{
		{args: []string{"wget", "-qO-", "http://web/"}, out: "hello from web"},
		{args: []string{"wget", "-q", "-O", "-", "http://web/redirect"}, out: "hello from web"},
		{args: []string{"wget", "-qO-", "http://web/missing"}, code: 1, errHas: "wget: server returned error: HTTP/1.1 404 Not Found\n"},
		{args: []string{"wget", "-qO-", "http://localhost:1/"}, code: 1, errHas: "wget: can't connect to remote host"},
		{args: []string{"wget", "-qO-", "http://nosuch/"}, code: 1, errHas: "wget: bad address 'nosuch'\n"},
		{args: []string{"wget", "--spider", "http://web/"}, errHas: "remote file exists\n"},
	})
	// Without -O, the file is named after the URL, in the working directory:
	// the first volume.
	check(t, p.exec(t, "", "wget", "http://web/"), 0, "", "", "saving to 'index.html'")
	if b, err := os.ReadFile(filepath.Join(p.data, "index.html")); err != nil || string(b) != "hello from web" {
		t.Errorf("index.html: %q, %v", b, err)
	}
}

func TestNslookup(t *testing.T) {
	const header = "Server:\t\twk\nAddress:\twk\n\n"
	runTable(t, newPod(t), []runCase{
		{args: []string{"nslookup", "localhost"}, out: header + "Name:\tlocalhost\nAddress: " + podAddr.String() + "\n\n"},
		{args: []string{"nslookup", "web"}, out: header + "Name:\tweb\nAddress: 10.96.0.10\n\n"},
		{args: []string{"nslookup", "10.88.0.7"}, out: header + "Name:\t10.88.0.7\nAddress: 10.88.0.7\n\n"},
		{args: []string{"nslookup", "nosuch"}, code: 1, out: header, errHas: "** server can't find nosuch: NXDOMAIN\n"},
		{args: []string{"nslookup"}, code: 2, errHas: "usage: nslookup NAME"},
	})
}

func TestFiles(t *testing.T) {
	p := newPod(t)
	for name, content := range map[string]string{"hello.txt": "one\ntwo\nthree\n", ".hidden": "", "sub/inner": "x"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(p.data, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(p.data, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runTable(t, p, []runCase{
		{args: []string{"cat", "/data/hello.txt", "/data/sub/inner"}, out: "one\ntwo\nthree\nx"},
		{args: []string{"cat", "hello.txt"}, out: "one\ntwo\nthree\n"}, // relative to /data
		{args: []string{"cat", "/data/nope", "/data/sub/inner"}, code: 1, out: "x", errHas: "cat: /data/nope: No such file or directory\n"},
		{args: []string{"cat", "/net/dns/web"}, out: "10.96.0.10\n"},
		{args: []string{"head", "-n", "2", "/data/hello.txt"}, out: "one\ntwo\n"},
		{args: []string{"head", "-1", "/data/hello.txt"}, out: "one\n"},
		{args: []string{"head", "-n", "x", "/data/hello.txt"}, code: 2, errHas: "head: invalid number of lines: 'x'"},
		{args: []string{"ls", "/data"}, out: "hello.txt\nsub\n"},
		{args: []string{"ls"}, out: "hello.txt\nsub\n"},
		{args: []string{"ls", "-a", "/data"}, out: ".\n..\n.hidden\nhello.txt\nsub\n"},
		{args: []string{"ls", "/data/sub", "/data/hello.txt"}, out: "/data/hello.txt\n\n/data/sub:\ninner\n"},
		{args: []string{"ls", "/"}, out: "data\nnet\n"},
		{args: []string{"ls", "/net"}, out: "dns\ntcp\n"},
		{args: []string{"ls", "/data/nope"}, code: 1, errHas: "ls: cannot access '/data/nope': No such file or directory\n"},
		{args: []string{"ls", "-z"}, code: 2, errHas: "ls: invalid option -- 'z'\nusage: ls [-l] [-a] [PATH...]\n"},
		{args: []string{"pwd"}, out: "/data\n"},
	})
	t.Run("ls -l", func(t *testing.T) {
		got := p.exec(t, "", "ls", "-l", "/data")
		re := regexp.MustCompile(`^-rw------- +1 +14 \w{3} [ \d]\d +[\d:]+ hello\.txt\ndrwx------ +\d+ +\d+ \w{3} [ \d]\d +[\d:]+ sub\n$`)
		if got.code != 0 || !re.MatchString(got.stdout) {
			t.Errorf("exit %d, stdout %q, stderr %q", got.code, got.stdout, got.stderr)
		}
	})
	t.Run("cat stdin", func(t *testing.T) {
		check(t, p.exec(t, "from stdin", "cat"), 0, "from stdin", "", "")
	})
}

func TestChangeFiles(t *testing.T) {
	p := newPod(t)
	exists := func(name string) bool {
		_, err := os.Stat(filepath.Join(p.data, name))
		return err == nil
	}
	steps := []struct {
		args   []string
		code   int
		errHas string
		check  func() bool
	}{
		{[]string{"mkdir", "/data/a/b"}, 1, "mkdir: cannot create directory '/data/a/b': No such file or directory", func() bool { return !exists("a") }},
		{[]string{"mkdir", "-p", "/data/a/b"}, 0, "", func() bool { return exists("a/b") }},
		{[]string{"touch", "/data/a/b/f"}, 0, "", func() bool { return exists("a/b/f") }},
		{[]string{"touch", "/data/a/b/f"}, 0, "", func() bool { return exists("a/b/f") }},
		{[]string{"rm", "/data/a"}, 1, "rm: cannot remove '/data/a': Is a directory", func() bool { return exists("a/b/f") }},
		{[]string{"rm", "/data/a/b/f"}, 0, "", func() bool { return !exists("a/b/f") && exists("a/b") }},
		{[]string{"rm", "/data/a/b/f"}, 1, "rm: cannot remove '/data/a/b/f': No such file or directory", nil},
		{[]string{"rm", "-f", "/data/a/b/f"}, 0, "", nil},
		{[]string{"rm", "-rf", "/data/a"}, 0, "", func() bool { return !exists("a") }},
	}
	for _, s := range steps {
		got := p.exec(t, "", s.args...)
		if got.code != s.code || !strings.Contains(got.stderr, s.errHas) || s.check != nil && !s.check() {
			t.Errorf("%q: exit %d, stderr %q; want exit %d, stderr containing %q, files as expected", s.args, got.code, got.stderr, s.code, s.errHas)
		}
	}
}

func TestMisc(t *testing.T) {
	p := newPod(t)
	runTable(t, p, []runCase{
		{args: []string{"env"}, outHas: "FOO=bar\n"},
		{args: []string{"env"}, outHas: "HOSTNAME=web-1\n"},
		{args: []string{"hostname"}, out: "web-1\n"},
		{args: []string{"echo", "a", "b"}, out: "a b\n"},
		{args: []string{"echo", "-n", "a"}, out: "a"},
		{args: []string{"sleep", "0.01"}},
		{args: []string{"sleep", "x"}, code: 2, errHas: "sleep: invalid number 'x'"},
		{args: []string{"sh", "-c", "ls"}, code: 127, errHas: "wk exec: sh: command not found; the toolbox has: cat curl echo env head hostname ls mkdir nslookup pwd rm sleep touch wget\n"},
		{args: nil, code: 2, errHas: "usage: wk exec POD -- COMMAND"},
		{args: []string{"ls", "--help"}, out: "usage: ls [-l] [-a] [PATH...]\n"},
	})
	t.Run("argv0 names the applet", func(t *testing.T) {
		check(t, p.run(t, "hostname", ""), 0, "web-1\n", "", "")
	})
}

func TestWasm(t *testing.T) {
	if b, ok := toolbox.Wasm(); ok && !bytes.HasPrefix(b, []byte("\x00asm")) {
		t.Errorf("embedded toolbox is not a wasm module: % x", b[:min(len(b), 8)])
	}
}
