//go:build wasip1

package main

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"syscall"
	"time"
)

// ls lists directories and files; -l in the long format, -a with the names
// that start with a dot.
func ls(args []string) int {
	o, code, ok := parseFlags("ls", flagSet{bools: "la1", long: map[string]byte{"all": 'a'}}, args)
	if !ok {
		return code
	}
	l := lister{long: o.has('l'), all: o.has('a'), w: bufio.NewWriter(os.Stdout), now: time.Now()}
	paths := o.args
	if len(paths) == 0 {
		paths = []string{"."}
	}
	var files []entry
	var dirs []string
	for _, p := range paths {
		st, err := os.Stat(p)
		switch {
		case err == nil && st.IsDir(), err != nil && len(mountChildren(p)) > 0:
			dirs = append(dirs, p)
		case err == nil:
			files = append(files, entry{name: p, path: p})
		default:
			warn("ls", "cannot access '%s': %s", p, errText(err))
			code = exitFail
		}
	}
	slices.SortFunc(files, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	slices.Sort(dirs)
	l.print(files)
	for i, dir := range dirs {
		if len(files) > 0 || i > 0 {
			fmt.Fprintln(l.w)
		}
		if len(paths) > 1 {
			fmt.Fprintf(l.w, "%s:\n", dir)
		}
		entries, err := l.readDir(dir)
		if err != nil {
			l.w.Flush()
			warn("ls", "cannot open directory '%s': %s", dir, errText(err))
			code = exitFail
		}
		l.print(entries)
	}
	if flushed("ls", l.w) != exitOK {
		return exitFail
	}
	return code
}

// entry is one name ls prints.
type entry struct {
	name string // as printed
	path string // to stat it
}

type lister struct {
	long, all bool
	w         *bufio.Writer
	now       time.Time
}

// readDir lists dir, with the mounts under it and, for -a, "." and "..".
func (l *lister) readDir(dir string) ([]entry, error) {
	des, err := os.ReadDir(dir)
	kids := mountChildren(dir)
	if err != nil && len(kids) == 0 {
		return nil, err
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	for _, k := range kids {
		if !slices.Contains(names, k) {
			names = append(names, k)
		}
	}
	if l.all {
		names = append(names, ".", "..")
	}
	slices.Sort(names)
	var out []entry
	for _, name := range names {
		if l.all || !strings.HasPrefix(name, ".") {
			out = append(out, entry{name: name, path: path.Join(dir, name)})
		}
	}
	return out, nil
}

// print prints entries, one a line.
func (l *lister) print(entries []entry) {
	for _, e := range entries {
		if !l.long {
			fmt.Fprintln(l.w, e.name)
			continue
		}
		st, err := os.Lstat(e.path)
		switch {
		case err != nil && len(mountChildren(e.path)) > 0: // above the mounts
			fmt.Fprintf(l.w, "dr-x------ %3d %8d %s %s\n", 2, 0, l.date(time.Unix(0, 0)), e.name)
			continue
		case err != nil:
			fmt.Fprintf(l.w, "?????????? %3s %8s %12s %s\n", "?", "?", "?", e.name)
			continue
		}
		fmt.Fprintf(l.w, "%s %3d %8d %s %s%s\n", modeString(st.Mode()), nlink(st), st.Size(), l.date(st.ModTime()), e.name, linkTarget(e.path, st))
	}
}

// modeString is the mode as ls prints it: drwx------. WASI has no
// permissions, so Go shows rw for the owner only.
func modeString(m fs.FileMode) string {
	kind := "-"
	switch {
	case m.IsDir():
		kind = "d"
	case m&fs.ModeSymlink != 0:
		kind = "l"
	case m&fs.ModeSocket != 0:
		kind = "s"
	case m&fs.ModeCharDevice != 0:
		kind = "c"
	case m&fs.ModeDevice != 0:
		kind = "b"
	case m&fs.ModeNamedPipe != 0:
		kind = "p"
	}
	return kind + m.Perm().String()[1:]
}

func nlink(st fs.FileInfo) uint64 {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		return sys.Nlink
	}
	return 1
}

// date is a modification time as ls prints it: with the time of day within
// six months, else with the year.
func (l *lister) date(t time.Time) string {
	if t.After(l.now.AddDate(0, -6, 0)) && t.Before(l.now.Add(time.Hour)) {
		return t.Format("Jan _2 15:04")
	}
	return t.Format("Jan _2  2006")
}

// linkTarget is " -> TARGET" for a symbolic link.
func linkTarget(p string, st fs.FileInfo) string {
	if st.Mode()&fs.ModeSymlink == 0 {
		return ""
	}
	target, err := os.Readlink(p)
	if err != nil {
		return ""
	}
	return " -> " + target
}
