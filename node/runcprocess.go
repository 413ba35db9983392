package node

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/wk-project/wk/node/runc"
)

// runcProcess is a container's init.
type runcProcess struct {
	s      *runcSandbox
	id     string
	done   chan struct{}
	status ExitStatus // once done
	left   bool       // Leave ended the watch; status means nothing
	stop   context.CancelFunc

	kill sync.Once
}

// watch follows container id until it stops, then deletes it. An adopted container's init is not
// a child of this agent, so its exit code is lost: it is reported as 255, with the reason.
func (s *runcSandbox) watch(id string) *runcProcess {
	ctx, stop := context.WithCancel(context.Background())
	p := &runcProcess{s: s, id: id, done: make(chan struct{}), stop: stop}
	go func() {
		defer close(p.done)
		defer stop()
		code, err := s.d.rt.Wait(ctx, id)
		if ctx.Err() != nil {
			p.left = true
			return
		}
		p.status = exitStatus(code, err)
		if p.status.Code != 0 && oomKilled(id) {
			p.status.Reason, p.status.Message = "OOMKilled", "the container went over its memory limit"
		}
		if err := s.d.rt.Delete(context.Background(), id, true); err != nil {
			s.d.log.Warn("container not deleted", "id", id, "err", err)
		}
	}()
	return p
}

func exitStatus(code int, err error) ExitStatus {
	switch {
	case errors.Is(err, runc.ErrExitUnknown):
		return ExitStatus{Code: 255, Reason: "Error", Message: "the exit code was lost: the container ended while no agent or another agent followed it"}
	case err != nil:
		return ExitStatus{Code: 255, Reason: "Error", Message: err.Error()}
	case code == 0:
		return ExitStatus{Code: 0, Reason: "Completed"}
	}
	return ExitStatus{Code: code, Reason: "Error"}
}

func (p *runcProcess) Wait() ExitStatus {
	<-p.done
	return p.status
}

func (p *runcProcess) Done() <-chan struct{} { return p.done }

// Kill sends SIGTERM, and SIGKILL after the pod's grace period if the container is still there.
func (p *runcProcess) Kill() {
	p.kill.Do(func() {
		go func() {
			ctx := context.Background()
			if err := p.s.d.rt.Kill(ctx, p.id, syscall.SIGTERM); err != nil {
				p.s.d.log.Debug("SIGTERM", "id", p.id, "err", err)
			}
			t := time.NewTimer(p.s.grace())
			defer t.Stop()
			select {
			case <-p.done:
			case <-t.C:
				if err := p.s.d.rt.Kill(ctx, p.id, syscall.SIGKILL); err != nil {
					p.s.d.log.Debug("SIGKILL", "id", p.id, "err", err)
				}
			}
		}()
	})
}

// Leave stops following the container and leaves it running.
func (p *runcProcess) Leave() { p.stop() }

// execProcess is a process run by runc exec.
type execProcess struct {
	done   chan struct{}
	cancel context.CancelFunc
	code   int
}

func (p *execProcess) Wait() ExitStatus {
	<-p.done
	return ExitStatus{Code: p.code}
}
func (p *execProcess) Done() <-chan struct{} { return p.done }
func (p *execProcess) Kill()                 { p.cancel() }
func (p *execProcess) Leave()                { p.cancel() }

// oomKilled reports whether the kernel's OOM killer killed a process of container id's cgroup:
// memory.events (cgroup v2) or memory.oom_control (v1) count oom_kill.
func oomKilled(id string) bool {
	for _, f := range []string{
		filepath.Join("/sys/fs/cgroup", runcCgroupParent, id, "memory.events"),
		filepath.Join("/sys/fs/cgroup/memory", runcCgroupParent, id, "memory.oom_control"),
	} {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if n, ok := strings.CutPrefix(line, "oom_kill "); ok {
				return strings.TrimSpace(n) != "0"
			}
		}
	}
	return false
}
