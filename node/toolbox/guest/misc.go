//go:build wasip1

package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// env prints the environment, one K=V a line.
func env(args []string) int {
	if len(args) > 0 {
		return usage("env")
	}
	w := bufio.NewWriter(os.Stdout)
	for _, kv := range os.Environ() {
		fmt.Fprintln(w, kv)
	}
	return flushed("env", w)
}

// echo prints its arguments; -n leaves out the newline. Like busybox's, any
// other argument that starts with "-" is printed.
func echo(args []string) int {
	newline := true
	if len(args) > 0 && args[0] == "-n" {
		newline, args = false, args[1:]
	}
	s := strings.Join(args, " ")
	if newline {
		s += "\n"
	}
	if _, err := os.Stdout.WriteString(s); err != nil {
		warn("echo", "write error: %s", errText(err))
		return exitFail
	}
	return exitOK
}

// hostname prints the pod's name, which wk passes as HOSTNAME.
func hostname(args []string) int {
	if len(args) > 0 {
		return usage("hostname")
	}
	name := os.Getenv("HOSTNAME")
	if name == "" {
		warn("hostname", "HOSTNAME is not set")
		return exitFail
	}
	fmt.Println(name)
	return exitOK
}

// pwd prints the working directory.
func pwd(args []string) int {
	if len(args) > 0 {
		return usage("pwd")
	}
	dir, err := os.Getwd()
	if err != nil {
		warn("pwd", "%s", errText(err))
		return exitFail
	}
	fmt.Println(dir)
	return exitOK
}

// sleep waits for the sum of its durations: seconds, or a number with an
// s, m, h or d suffix, as GNU sleep takes.
func sleep(args []string) int {
	if len(args) == 0 {
		return usage("sleep")
	}
	var total time.Duration
	for _, a := range args {
		d, err := parseSleep(a)
		if err != nil {
			warn("sleep", "invalid number '%s'", a)
			return usage("sleep")
		}
		total += d
	}
	time.Sleep(total)
	return exitOK
}

var sleepUnits = map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}

func parseSleep(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	unit := time.Second
	if u, ok := sleepUnits[s[len(s)-1]]; ok && len(s) > 1 {
		unit, s = u, s[:len(s)-1]
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	return time.Duration(n * float64(unit)), nil
}

// flushed flushes w and reports a write error as the applet's failure.
func flushed(name string, w *bufio.Writer) int {
	if err := w.Flush(); err != nil {
		warn(name, "write error: %s", errText(err))
		return exitFail
	}
	return exitOK
}
