package runc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Status is a container's status as runc reports it.
type Status string

// The statuses runc reports.
const (
	StatusCreating Status = "creating"
	StatusCreated  Status = "created"
	StatusRunning  Status = "running"
	StatusPaused   Status = "paused"
	StatusStopped  Status = "stopped"
)

// State is the part of `runc state` the driver uses.
type State struct {
	ID     string `json:"id"`
	Pid    int    `json:"pid"` // the container's init, in this process's pid namespace
	Status Status `json:"status"`
	Bundle string `json:"bundle"`
	// Created is when the container was created, which for a container started right after is
	// when it started.
	Created time.Time `json:"created"`
}

// Runtime runs runc for the life cycle of single containers. The zero value uses "runc" from
// PATH and runc's default state directory.
type Runtime struct {
	Binary string // the runc executable; "" is "runc"
	Root   string // runc's --root state directory; "" is runc's default
}

// Available returns the path of runc in PATH, and whether it can be used: found, with this
// process running as root.
func Available() (string, bool) {
	path, err := exec.LookPath("runc")
	return path, err == nil && os.Geteuid() == 0
}

// subreaper is set once, by the first Create.
var subreaper = sync.OnceValue(setSubreaper)

// Create creates container id from the bundle in dir bundle, without starting its process. The
// process's stdin is /dev/null; its stdout and stderr are the given files (a log file each,
// usually), which runc hands to the process as they are, so they outlive this call. runc writes
// the init's pid to init.pid in the bundle, for Wait.
//
// Create makes this process a child subreaper (PR_SET_CHILD_SUBREAPER), once, for the whole
// process: when `runc create` exits, the container's init becomes a child of this process, and
// Wait can collect its exit code.
func (r *Runtime) Create(ctx context.Context, id, bundle string, stdout, stderr *os.File) error {
	if err := subreaper(); err != nil {
		return fmt.Errorf("runc create %s: become child subreaper: %w", id, err)
	}
	logFile, err := os.CreateTemp("", "runc-create-*.log")
	if err != nil {
		return fmt.Errorf("runc create %s: %w", id, err)
	}
	logFile.Close()
	defer os.Remove(logFile.Name())

	cmd := r.command(ctx, "--log", logFile.Name(), "--log-format", "json", "create", "--bundle", bundle, "--pid-file", pidFile(bundle), id)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		msg, _ := os.ReadFile(logFile.Name())
		return fmt.Errorf("runc create %s: %w: %s", id, err, runcLogMessage(msg))
	}
	return nil
}

// Start starts the process of created container id.
func (r *Runtime) Start(ctx context.Context, id string) error {
	_, err := r.run(ctx, "start", id)
	return err
}

// State reports the status and init pid of container id.
func (r *Runtime) State(ctx context.Context, id string) (State, error) {
	out, err := r.run(ctx, "state", id)
	if err != nil {
		return State{}, err
	}
	var st State
	if err := json.Unmarshal(out, &st); err != nil {
		return State{}, fmt.Errorf("runc state %s: %w", id, err)
	}
	return st, nil
}

// Kill sends sig to the init process of container id. An init without a handler for sig ignores
// it, as pid 1 of its namespace, unless sig is SIGKILL.
func (r *Runtime) Kill(ctx context.Context, id string, sig syscall.Signal) error {
	_, err := r.run(ctx, "kill", id, strconv.Itoa(int(sig)))
	return err
}

// Delete deletes container id and its state; force kills a process still running first. When
// the container's init is a child of this process that no Wait collected, Delete reaps it, so
// it does not linger as a zombie: call Wait first to learn its exit code.
func (r *Runtime) Delete(ctx context.Context, id string, force bool) error {
	st, stateErr := r.State(ctx, id)
	args := []string{"delete", id}
	if force {
		args = []string{"delete", "--force", id}
	}
	if _, err := r.run(ctx, args...); err != nil {
		return err
	}
	if stateErr == nil {
		reapInit(st.Bundle)
	}
	return nil
}

func (r *Runtime) command(ctx context.Context, args ...string) *exec.Cmd {
	bin := r.Binary
	if bin == "" {
		bin = "runc"
	}
	if r.Root != "" {
		args = append([]string{"--root", r.Root}, args...)
	}
	return exec.CommandContext(ctx, bin, args...)
}

// run runs a runc command to completion and returns its stdout; its error names the command
// and holds runc's stderr.
func (r *Runtime) run(ctx context.Context, args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := r.command(ctx, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("runc %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// runcLogMessage keeps the messages of runc's log (JSON lines with a "msg" field, or text).
func runcLogMessage(log []byte) string {
	var msgs []string
	for _, line := range bytes.Split(bytes.TrimSpace(log), []byte("\n")) {
		var entry struct {
			Msg string `json:"msg"`
		}
		if json.Unmarshal(line, &entry) == nil && entry.Msg != "" {
			msgs = append(msgs, entry.Msg)
		} else if len(line) > 0 {
			msgs = append(msgs, string(line))
		}
	}
	return strings.Join(msgs, "; ")
}
