package runc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// maxStderrKept bounds how much of an exec's stderr an error quotes.
const maxStderrKept = 4096

// Exec runs args in running container id, with the environment, working directory and user of
// the container's own process, and returns the exit code of args' process. stdin may be nil.
// An error means the process could not be run; a process that ran and failed is a non-zero
// code with a nil error. runc's own messages share stderr with the process's.
func (r *Runtime) Exec(ctx context.Context, id string, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	if len(args) == 0 {
		return -1, fmt.Errorf("runc exec %s: no command", id)
	}
	dir, err := os.MkdirTemp("", "runc-exec-*")
	if err != nil {
		return -1, fmt.Errorf("runc exec %s: %w", id, err)
	}
	defer os.RemoveAll(dir)
	pid := filepath.Join(dir, "pid")

	kept := &headWriter{max: maxStderrKept}
	cmd := r.command(ctx, append([]string{"exec", "--pid-file", pid, id}, args...)...)
	cmd.Stdin, cmd.Stdout = stdin, stdout
	cmd.Stderr = kept
	if stderr != nil {
		cmd.Stderr = io.MultiWriter(stderr, kept)
	}
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() >= 0 {
		// runc writes the pid file once the process runs: its exit code is then the process's.
		if _, statErr := os.Stat(pid); statErr == nil {
			return exit.ExitCode(), nil
		}
	}
	if err != nil {
		return -1, fmt.Errorf("runc exec %s %s: %w: %s", id, strings.Join(args, " "), err, strings.TrimSpace(string(kept.buf)))
	}
	return 0, nil
}

// headWriter keeps the first max bytes written to it.
type headWriter struct {
	buf []byte
	max int
}

func (w *headWriter) Write(p []byte) (int, error) {
	if room := w.max - len(w.buf); room > 0 {
		w.buf = append(w.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}
