package wasmrt

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time this process has used.
func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestIdleCPU checks that an idle Go HTTP guest sleeps in poll_oneoff
// instead of spinning (wazero's own poll_oneoff keeps it at a full core).
func TestIdleCPU(t *testing.T) {
	tests := []struct {
		name      string
		keepAlive bool // an idle keep-alive connection stays open
	}{
		{"listener only", false},
		{"with an idle connection", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSandbox(t, SandboxConfig{})
			probe(t, s, ContainerConfig{Ports: []int{8080}}, "serve-sdk")
			url := "http://" + s.cfg.Addr.String() + ":8080/"
			httpGet(t, url)
			if tt.keepAlive {
				httpGet(t, url) // the default client keeps the connection open
			}
			time.Sleep(200 * time.Millisecond)
			const window = 2 * time.Second
			before := cpuTime(t)
			time.Sleep(window)
			used := cpuTime(t) - before
			t.Logf("idle Go HTTP guest: %v CPU in %v (%.1f%% of a core)", used, window, 100*used.Seconds()/window.Seconds())
			if used > window/20 {
				t.Errorf("idle guest used %v CPU in %v, want under 5%% of a core", used, window)
			}
			if got := httpGet(t, url); got != "200 hello from pod " {
				t.Errorf("after idling: %q", got)
			}
		})
	}
}
