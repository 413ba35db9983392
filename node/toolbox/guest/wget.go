//go:build wasip1

package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"time"
)

var wgetFlags = flagSet{
	bools:    "qp",
	values:   "OTH",
	long:     map[string]byte{"quiet": 'q', "output-document": 'O', "timeout": 'T', "header": 'H', "spider": 'p'},
	longOnly: "Hp",
}

// wget fetches a URL into a file, or stdout for -O -, as busybox's wget
// does: it follows redirects and fails (exit 1) on any error, an HTTP
// status of 400 or more included. -q leaves out the progress lines, not
// the errors.
func wget(args []string) int {
	o, code, ok := parseFlags("wget", wgetFlags, args)
	if !ok {
		return code
	}
	if len(o.args) != 1 {
		warn("wget", "want one URL")
		return usage("wget")
	}
	u, err := parseURL(o.args[0])
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		warn("wget", "bad URL '%s'", o.args[0])
		return exitFail
	}
	var timeout time.Duration
	if o.has('T') {
		if timeout, err = seconds(o.last('T')); err != nil {
			warn("wget", "%v", err)
			return usage("wget")
		}
	}
	method := http.MethodGet
	if o.has('p') {
		method = http.MethodHead
	}
	req, err := http.NewRequest(method, u.String(), nil)
	if err != nil {
		warn("wget", "bad URL '%s'", o.args[0])
		return exitFail
	}
	req.Header.Set("User-Agent", "Wget")
	for _, h := range o.all('H') {
		if err := setHeader(req, h); err != nil {
			warn("wget", "%v", err)
			return usage("wget")
		}
	}
	progress := func(format string, a ...any) {
		if !o.has('q') {
			fmt.Fprintf(os.Stderr, format+"\n", a...)
		}
	}
	progress("Connecting to %s", u.Host)
	resp, err := newClient(timeout, true, false).Do(req)
	if err != nil {
		return wgetFailed(err, u.Hostname())
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		warn("wget", "server returned error: %s %s", resp.Proto, resp.Status)
		return exitFail
	}
	if o.has('p') {
		progress("remote file exists")
		return exitOK
	}
	return wgetSave(resp, wgetOutput(o.last('O'), u.Path), progress)
}

// wgetOutput is where the body goes: -O's file, or the URL's base name.
func wgetOutput(flag, urlPath string) string {
	switch base := path.Base(urlPath); {
	case flag != "":
		return flag
	case urlPath == "" || urlPath[len(urlPath)-1] == '/' || base == "/" || base == ".":
		return "index.html"
	default:
		return base
	}
}

// wgetSave writes the body to name, stdout for "-".
func wgetSave(resp *http.Response, name string, progress func(string, ...any)) int {
	if name == "-" {
		progress("writing to stdout")
	} else {
		progress("saving to '%s'", name)
	}
	f, err := openOutput(name)
	if err != nil {
		warn("wget", "can't open '%s': %s", name, errText(err))
		return exitFail
	}
	_, err = io.Copy(f, resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		warn("wget", "error getting response: %s", cause(err))
		return exitFail
	}
	if name != "-" {
		progress("'%s' saved", name)
	}
	return exitOK
}

// wgetFailed reports a failed request as busybox's wget does.
func wgetFailed(err error, host string) int {
	switch classify(err) {
	case failTimeout:
		warn("wget", "download timed out")
	case failResolve:
		warn("wget", "bad address '%s'", host)
	case failConnect:
		warn("wget", "can't connect to remote host: %s", cause(err))
	default:
		warn("wget", "error getting response: %s", cause(err))
	}
	return exitFail
}
