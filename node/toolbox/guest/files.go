//go:build wasip1

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"syscall"
	"time"
)

// cat copies its files, or stdin for none or "-", to stdout.
func cat(args []string) int {
	if len(args) == 0 {
		args = []string{"-"}
	}
	code := exitOK
	for _, name := range args {
		if err := copyFile(os.Stdout, name); err != nil {
			warn("cat", "%s: %s", name, errText(err))
			code = exitFail
		}
	}
	return code
}

// copyFile copies the file name, or stdin for "-", to w.
func copyFile(w io.Writer, name string) error {
	if name == "-" {
		_, err := io.Copy(w, os.Stdin)
		return err
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// head prints the first lines of its files, or of stdin.
func head(args []string) int {
	if len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' && isDigits(args[0][1:]) {
		args = append([]string{"-n", args[0][1:]}, args[1:]...) // head -5
	}
	o, code, ok := parseFlags("head", flagSet{values: "n", long: map[string]byte{"lines": 'n'}}, args)
	if !ok {
		return code
	}
	n := 10
	if o.has('n') {
		v, err := strconv.Atoi(o.last('n'))
		if err != nil || v < 0 {
			warn("head", "invalid number of lines: '%s'", o.last('n'))
			return usage("head")
		}
		n = v
	}
	files := o.args
	if len(files) == 0 {
		files = []string{"-"}
	}
	w := bufio.NewWriter(os.Stdout)
	for i, name := range files {
		if len(files) > 1 && i > 0 {
			fmt.Fprintln(w)
		}
		if len(files) > 1 {
			fmt.Fprintf(w, "==> %s <==\n", name)
		}
		if err := headFile(w, name, n); err != nil {
			w.Flush()
			warn("head", "%s: %s", name, errText(err))
			code = exitFail
		}
	}
	if flushed("head", w) != exitOK {
		return exitFail
	}
	return code
}

// headFile writes the first n lines of the file name, or stdin for "-".
func headFile(w io.Writer, name string, n int) error {
	r := io.Reader(os.Stdin)
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	br := bufio.NewReader(r)
	for range n {
		line, err := br.ReadString('\n')
		if _, werr := io.WriteString(w, line); werr != nil {
			return werr
		}
		if errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
	}
	return nil
}

func isDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// touch creates its files, or sets their times to now.
func touch(args []string) int {
	o, code, ok := parseFlags("touch", flagSet{}, args)
	if !ok {
		return code
	}
	if len(o.args) == 0 {
		warn("touch", "missing file operand")
		return usage("touch")
	}
	for _, name := range o.args {
		if err := touchFile(name); err != nil {
			warn("touch", "cannot touch '%s': %s", name, errText(err))
			code = exitFail
		}
	}
	return code
}

func touchFile(name string) error {
	now := time.Now()
	err := os.Chtimes(name, now, now)
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

// mkdir makes directories; -p makes their parents too and accepts ones
// that exist.
func mkdir(args []string) int {
	o, code, ok := parseFlags("mkdir", flagSet{bools: "p", long: map[string]byte{"parents": 'p'}}, args)
	if !ok {
		return code
	}
	if len(o.args) == 0 {
		warn("mkdir", "missing operand")
		return usage("mkdir")
	}
	for _, dir := range o.args {
		var err error
		if o.has('p') {
			err = os.MkdirAll(dir, 0o755)
		} else {
			err = os.Mkdir(dir, 0o755)
		}
		if err != nil {
			warn("mkdir", "cannot create directory '%s': %s", dir, errText(err))
			code = exitFail
		}
	}
	return code
}

// rm removes files; -r removes directories with their contents, -f ignores
// files that do not exist.
func rm(args []string) int {
	fl := flagSet{bools: "rRf", long: map[string]byte{"recursive": 'r', "force": 'f'}}
	o, code, ok := parseFlags("rm", fl, args)
	if !ok {
		return code
	}
	force, recursive := o.has('f'), o.has('r') || o.has('R')
	if len(o.args) == 0 && !force {
		warn("rm", "missing operand")
		return usage("rm")
	}
	for _, name := range o.args {
		if err := remove(name, recursive); err != nil && !(force && errors.Is(err, fs.ErrNotExist)) {
			warn("rm", "cannot remove '%s': %s", name, errText(err))
			code = exitFail
		}
	}
	return code
}

var errDotDir = errors.New("refusing to remove '.' or '..' or '/'")

func remove(name string, recursive bool) error {
	if b := path.Base(name); b == "." || b == ".." || b == "/" {
		return errDotDir
	}
	if isMount(name) {
		return syscall.EBUSY
	}
	st, err := os.Lstat(name)
	switch {
	case err != nil:
		return err
	case st.IsDir() && !recursive:
		return syscall.EISDIR
	case st.IsDir():
		return os.RemoveAll(name)
	}
	return os.Remove(name)
}
