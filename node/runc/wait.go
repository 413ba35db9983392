package runc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrExitUnknown is returned by Wait when the container stopped but its init was not a child of
// this process, so its exit code is lost.
var ErrExitUnknown = errors.New("exit code unknown: the container's init is not a child of this process")

// Wait looks at the container's init after pollInterval, then twice as long each time up to
// orphanPollInterval: a short-lived container is seen ending at once, and a hundred long-lived ones
// cost a few hundred wakeups a second, not ten thousand.
const pollInterval = 10 * time.Millisecond

// Wait waits for the init process of container id to exit and returns its exit code, or 128
// plus the signal that killed it.
//
// runc does not keep exit codes: `runc state` only says "stopped". The code comes from the init
// process itself, which is a child of this process because Create made it a child subreaper;
// Wait reaps it with wait4, so only one Wait per container gets the code. When the init is not
// a child (another process created the container, or this one restarted since), Wait still
// returns once the container stops, with ErrExitUnknown.
func (r *Runtime) Wait(ctx context.Context, id string) (int, error) {
	st, err := r.State(ctx, id)
	if err != nil {
		return -1, err
	}
	pid, err := readPidFile(pidFile(st.Bundle))
	if err != nil {
		return -1, fmt.Errorf("wait for container %s: %w", id, err)
	}
	for wait := pollInterval; ; wait = min(wait*2, orphanPollInterval) {
		code, done, err := reap(pid)
		if errors.Is(err, syscall.ECHILD) {
			return -1, r.waitStopped(ctx, id)
		}
		if err != nil {
			return -1, fmt.Errorf("wait for container %s: %w", id, err)
		}
		if done {
			_ = os.Remove(pidFile(st.Bundle))
			return code, nil
		}
		if err := sleep(ctx, wait); err != nil {
			return -1, fmt.Errorf("wait for container %s: %w", id, err)
		}
	}
}

// pidFile is where Create has runc write the init's pid: runc state reports pid 0 once the
// container stopped. Reaping the init removes the file, so its pid, which the kernel may reuse,
// is never waited for twice.
func pidFile(bundle string) string { return filepath.Join(bundle, "init.pid") }

func readPidFile(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("bad pid file %s: %q", path, data)
	}
	return pid, nil
}

// reapInit reaps the stopped init of the container in bundle if it is an unreaped child.
func reapInit(bundle string) {
	pid, err := readPidFile(pidFile(bundle))
	if err != nil {
		return
	}
	if _, done, err := reap(pid); done || err != nil {
		_ = os.Remove(pidFile(bundle))
	}
}

// reap collects pid if it has exited, without blocking.
func reap(pid int) (code int, done bool, err error) {
	var ws syscall.WaitStatus
	for {
		got, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil || got == 0 {
			return 0, false, err
		}
		if ws.Signaled() {
			return 128 + int(ws.Signal()), true, nil
		}
		return ws.ExitStatus(), true, nil
	}
}

// waitStopped waits until container id, whose init is not a child of this process, is stopped:
// it asks runc, then watches the init's pid in /proc, cheaply, and asks runc again once the pid is
// gone or a zombie.
func (r *Runtime) waitStopped(ctx context.Context, id string) error {
	for {
		st, err := r.State(ctx, id)
		if err != nil {
			return err
		}
		if st.Status == StatusStopped {
			return ErrExitUnknown
		}
		for alive(st.Pid) {
			if err := sleep(ctx, orphanPollInterval); err != nil {
				return fmt.Errorf("wait for container %s: %w", id, err)
			}
		}
	}
}

// orphanPollInterval is how often waitStopped looks at an init that is not a child.
const orphanPollInterval = 200 * time.Millisecond

// alive reports whether pid runs: it exists and is not a zombie.
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// pid (comm) S ...: the state follows the last ')'.
	i := strings.LastIndexByte(string(stat), ')')
	return i < 0 || i+2 >= len(stat) || (stat[i+2] != 'Z' && stat[i+2] != 'X')
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
