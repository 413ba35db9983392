//go:build wasip1

package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// flagSet describes an applet's options, getopt-style: short flags may be
// grouped (-la, -sSo FILE), a flag's value may be attached or follow (-oF,
// -o F, --output=F, --output F), flags may follow operands, and "--" ends
// them.
type flagSet struct {
	bools    string          // letters of flags without a value
	values   string          // letters of flags with a value
	long     map[string]byte // long names, without "--", to letters
	longOnly string          // letters only a long name reaches
}

// options are the flags found, each with its values in order (empty for a
// flag without one), and the operands.
type options struct {
	set  map[byte][]string
	args []string
}

func (o options) has(c byte) bool     { return len(o.set[c]) > 0 }
func (o options) all(c byte) []string { return o.set[c] }

// last is the value of the flag's last occurrence, "" without one.
func (o options) last(c byte) string {
	if v := o.set[c]; len(v) > 0 {
		return v[len(v)-1]
	}
	return ""
}

var errHelp = errors.New("help")

// parse splits args into flags and operands.
func (fs flagSet) parse(args []string) (options, error) {
	o := options{set: map[byte][]string{}}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			o.args = append(o.args, args[i+1:]...)
			return o, nil
		case a == "--help":
			return o, errHelp
		case strings.HasPrefix(a, "--"):
			n, err := fs.parseLong(&o, args, i)
			if err != nil {
				return o, err
			}
			i += n
		case len(a) > 1 && a[0] == '-':
			n, err := fs.parseShort(&o, args, i)
			if err != nil {
				return o, err
			}
			i += n
		default:
			o.args = append(o.args, a)
		}
	}
	return o, nil
}

// parseLong parses the long flag args[i] and reports how many more
// arguments it took.
func (fs flagSet) parseLong(o *options, args []string, i int) (int, error) {
	name, value, hasValue := strings.Cut(args[i][2:], "=")
	c, ok := fs.long[name]
	switch {
	case !ok:
		return 0, fmt.Errorf("unrecognized option '--%s'", name)
	case !strings.ContainsRune(fs.values, rune(c)):
		if hasValue {
			return 0, fmt.Errorf("option '--%s' doesn't allow an argument", name)
		}
		o.set[c] = append(o.set[c], "")
		return 0, nil
	case hasValue:
		o.set[c] = append(o.set[c], value)
		return 0, nil
	case i+1 >= len(args):
		return 0, fmt.Errorf("option '--%s' requires an argument", name)
	}
	o.set[c] = append(o.set[c], args[i+1])
	return 1, nil
}

// parseShort parses the group of short flags args[i] and reports how many
// more arguments it took.
func (fs flagSet) parseShort(o *options, args []string, i int) (int, error) {
	group := args[i][1:]
	for j := 0; j < len(group); j++ {
		c := group[j]
		switch {
		case strings.IndexByte(fs.longOnly, c) >= 0:
			return 0, fmt.Errorf("invalid option -- '%c'", c)
		case strings.IndexByte(fs.bools, c) >= 0:
			o.set[c] = append(o.set[c], "")
		case strings.IndexByte(fs.values, c) < 0:
			return 0, fmt.Errorf("invalid option -- '%c'", c)
		case j+1 < len(group):
			o.set[c] = append(o.set[c], group[j+1:])
			return 0, nil
		case i+1 >= len(args):
			return 0, fmt.Errorf("option requires an argument -- '%c'", c)
		default:
			o.set[c] = append(o.set[c], args[i+1])
			return 1, nil
		}
	}
	return 0, nil
}

// parseFlags parses an applet's arguments. On --help it prints the usage
// and ok is false with code 0; on a bad option it prints the error and the
// usage and ok is false with code 2.
func parseFlags(name string, fs flagSet, args []string) (o options, code int, ok bool) {
	o, err := fs.parse(args)
	switch {
	case errors.Is(err, errHelp):
		fmt.Printf("usage: %s\n", applets[name].usage)
		return o, exitOK, false
	case err != nil:
		warn(name, "%v", err)
		return o, usage(name), false
	}
	return o, 0, true
}

// usage prints an applet's usage on stderr and returns the usage exit code.
func usage(name string) int {
	fmt.Fprintf(os.Stderr, "usage: %s\n", applets[name].usage)
	return exitUsage
}
