//go:build wasip1

// Command toolbox is the program `wk exec` runs in a wasm pod: a few familiar
// tools in one module, busybox-style. The base name it runs under, or else
// its first argument, names the applet: `toolbox curl -s http://web/`.
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
)

// Exit codes shared by the applets; curl has its own as well.
const (
	exitOK       = 0
	exitFail     = 1
	exitUsage    = 2
	exitNotFound = 127
)

// applet is one tool of the toolbox.
type applet struct {
	run   func(args []string) int
	usage string
}

// applets is filled in init: the applets' parsers print usages from it.
var applets map[string]applet

func init() {
	applets = map[string]applet{
		"cat":      {cat, "cat [FILE...]"},
		"curl":     {curl, "curl [-sSfiIvLk] [-o FILE] [-X METHOD] [-H 'K: V']... [-d DATA] [-u USER:PASS] [-w FORMAT] [-m SECONDS] URL"},
		"echo":     {echo, "echo [-n] [ARG...]"},
		"env":      {env, "env"},
		"head":     {head, "head [-n N] [FILE...]"},
		"hostname": {hostname, "hostname"},
		"ls":       {ls, "ls [-l] [-a] [PATH...]"},
		"mkdir":    {mkdir, "mkdir [-p] DIR..."},
		"nslookup": {nslookup, "nslookup NAME"},
		"pwd":      {pwd, "pwd"},
		"rm":       {rm, "rm [-r] [-f] PATH..."},
		"sleep":    {sleep, "sleep SECONDS"},
		"touch":    {touch, "touch FILE..."},
		"wget":     {wget, "wget [-q] [-O FILE] [-T SECONDS] [--header 'K: V']... [--spider] URL"},
	}
}

func main() { os.Exit(run(os.Args)) }

// run picks the applet from argv, busybox-style, and runs it.
func run(argv []string) int {
	if len(argv) > 0 {
		if a, ok := applets[path.Base(argv[0])]; ok {
			return a.run(argv[1:])
		}
	}
	if len(argv) < 2 {
		fmt.Fprintf(os.Stderr, "usage: wk exec POD -- COMMAND [ARG...]\nthe toolbox has: %s\n", names())
		return exitUsage
	}
	a, ok := applets[argv[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "wk exec: %s: command not found; the toolbox has: %s\n", argv[1], names())
		return exitNotFound
	}
	return a.run(argv[2:])
}

// names lists the applets.
func names() string {
	return strings.Join(slices.Sorted(maps.Keys(applets)), " ")
}

// warn prints "APPLET: MESSAGE" on stderr.
func warn(name, format string, a ...any) {
	fmt.Fprintf(os.Stderr, name+": "+format+"\n", a...)
}

// errText is err without the operation and path an *fs.PathError adds:
// "No such file or directory".
func errText(err error) string {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		return pe.Err.Error()
	case errors.As(err, &le):
		return le.Err.Error()
	}
	return err.Error()
}
