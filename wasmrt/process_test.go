package wasmrt

import (
	"strings"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		env        []string
		stdin      string
		want       ExitStatus
		wantStdout []string
		wantStderr string
	}{
		{
			name:       "completed",
			args:       []string{"exit", "0"},
			env:        []string{"FOO=bar"},
			want:       ExitStatus{Code: 0, Reason: ReasonCompleted},
			wantStdout: []string{"args=probe exit 0", "HOSTNAME=pod FOO=bar"},
			wantStderr: "to stderr\n",
		},
		{
			name:       "error",
			args:       []string{"exit", "3"},
			want:       ExitStatus{Code: 3, Reason: ReasonError},
			wantStdout: []string{"args=probe exit 3"},
		},
		{
			name:       "hostname set by the container",
			args:       []string{"exit", "0"},
			env:        []string{"HOSTNAME=mine"},
			want:       ExitStatus{Reason: ReasonCompleted},
			wantStdout: []string{"HOSTNAME=mine FOO="},
		},
		{
			name:       "stdin",
			args:       []string{"cat"},
			stdin:      "from stdin",
			want:       ExitStatus{Reason: ReasonCompleted},
			wantStdout: []string{"from stdin"},
		},
	}
	s := newSandbox(t, SandboxConfig{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, stdout, stderr := probe(t, s, ContainerConfig{Env: tt.env, Stdin: strings.NewReader(tt.stdin)}, tt.args...)
			if got := waitExit(t, p, 10*time.Second); got != tt.want {
				t.Errorf("status = %+v, want %+v", got, tt.want)
			}
			for _, want := range tt.wantStdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout = %q, want it to contain %q", stdout, want)
				}
			}
			if tt.wantStderr != "" && stderr.String() != tt.wantStderr {
				t.Errorf("stderr = %q, want %q", stderr, tt.wantStderr)
			}
		})
	}
}

func TestKill(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		ports []int
	}{
		{"busy loop", []string{"spin"}, nil},
		{"sleep", []string{"sleep"}, nil},
		{"server waiting in poll", []string{"serve"}, []int{8080}},
		{"blocking accept", []string{"echo-blocking"}, []int{8080}},
	}
	s := newSandbox(t, SandboxConfig{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _, _ := probe(t, s, ContainerConfig{Ports: tt.ports}, tt.args...)
			time.Sleep(200 * time.Millisecond) // let it settle into its loop or sleep
			start := time.Now()
			p.Kill()
			got := waitExit(t, p, 5*time.Second)
			took := time.Since(start)
			if want := (ExitStatus{Code: 137, Reason: ReasonKilled}); got != want {
				t.Errorf("status = %+v, want %+v", got, want)
			}
			if took > 100*time.Millisecond {
				t.Errorf("kill took %v, want under 100ms", took)
			}
			t.Logf("killed in %v", took)
		})
	}
}

func TestMemoryLimit(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		limit int64
		want  ExitStatus
	}{
		{"grows past the limit", []string{"oom"}, 64 << 20, ExitStatus{Code: 137, Reason: ReasonOOMKilled}},
		{"fits", []string{"exit", "0"}, 64 << 20, ExitStatus{Reason: ReasonCompleted}},
		{"minimum over the limit", []string{"exit", "0"}, 64 << 10, ExitStatus{Code: 137, Reason: ReasonOOMKilled}},
	}
	s := newSandbox(t, SandboxConfig{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _, _ := probe(t, s, ContainerConfig{MemoryLimit: tt.limit}, tt.args...)
			if got := waitExit(t, p, 20*time.Second); got != tt.want {
				t.Errorf("status = %+v, want %+v", got, tt.want)
			}
		})
	}
	// The sandbox is unharmed: another module still runs in it.
	p, _, _ := probe(t, s, ContainerConfig{}, "exit", "0")
	if got := waitExit(t, p, 10*time.Second); got.Reason != ReasonCompleted {
		t.Errorf("after OOM, status = %+v", got)
	}
}
