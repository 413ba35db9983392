package wasmrt

import "time"

// waker wakes the guest thread of one process, asleep in poll_oneoff or in a
// blocking socket call, when one of its sockets changes. A wasm module runs
// on one thread, so there is at most one sleeper; a wake that finds none is
// kept for the next.
type waker struct {
	ch   chan struct{}
	done <-chan struct{} // closed when the process is killed
}

func newWaker(done <-chan struct{}) *waker {
	return &waker{ch: make(chan struct{}, 1), done: done}
}

// wake wakes the sleeper, or the next one.
func (w *waker) wake() {
	select {
	case w.ch <- struct{}{}:
	default:
	}
}

// wait sleeps until woken, until timeout fires (nil: never) or until the
// process is killed. It reports false when the process was killed.
func (w *waker) wait(timeout <-chan time.Time) bool {
	select {
	case <-w.ch:
	case <-timeout:
	case <-w.done:
		return false
	}
	return true
}

// killed reports whether the process was killed.
func (w *waker) killed() bool {
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

// sleep sleeps d unless the process is killed first. It replaces wazero's
// nanosleep, which nothing interrupts.
func (w *waker) sleep(ns int64) {
	if ns <= 0 {
		return
	}
	t := time.NewTimer(time.Duration(ns))
	defer t.Stop()
	select {
	case <-t.C:
	case <-w.done:
	}
}
