package runc

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func specInput() SpecInput {
	return SpecInput{
		Rootfs: "/var/lib/wk/rootfs/sha256-abc",
		Image: ImageConfig{
			Entrypoint: []string{"/entry"},
			Cmd:        []string{"serve", "--port=80"},
			Env:        []string{"PATH=/usr/bin:/bin", "LANG=C"},
			WorkingDir: "/srv",
		},
		Hostname: "web-0",
	}
}

// specFor returns the spec of in. With wantErr set it checks instead that Spec fails with an
// error containing wantErr, and returns nil.
func specFor(t *testing.T, in SpecInput, wantErr string) *specs.Spec {
	t.Helper()
	s, err := Spec(in)
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("Spec = %v, want error containing %q", err, wantErr)
		}
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSpecArgs(t *testing.T) {
	tests := []struct {
		name            string
		entrypoint, cmd []string
		command, args   []string
		want            []string
	}{
		{"image only", []string{"/entry"}, []string{"serve"}, nil, nil, []string{"/entry", "serve"}},
		{"cmd only", nil, []string{"/bin/sh", "-c", "true"}, nil, nil, []string{"/bin/sh", "-c", "true"}},
		{"command drops image cmd", []string{"/entry"}, []string{"serve"}, []string{"/other"}, nil, []string{"/other"}},
		{"args replace cmd", []string{"/entry"}, []string{"serve"}, nil, []string{"debug", "-v"}, []string{"/entry", "debug", "-v"}},
		{"command and args", []string{"/entry"}, []string{"serve"}, []string{"/other"}, []string{"x"}, []string{"/other", "x"}},
		{"args without entrypoint", nil, []string{"serve"}, nil, []string{"/bin/echo", "hi"}, []string{"/bin/echo", "hi"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := specInput()
			in.Image.Entrypoint, in.Image.Cmd = tt.entrypoint, tt.cmd
			in.Command, in.Args = tt.command, tt.args
			s, err := Spec(in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(s.Process.Args, tt.want) {
				t.Errorf("args = %q, want %q", s.Process.Args, tt.want)
			}
		})
	}
}

func TestSpecNoCommand(t *testing.T) {
	in := specInput()
	in.Image.Entrypoint, in.Image.Cmd = nil, nil
	if _, err := Spec(in); err == nil || !strings.Contains(err.Error(), "command") {
		t.Errorf("Spec = %v, want a command error", err)
	}
}

func TestSpecEnv(t *testing.T) {
	tests := []struct {
		name             string
		image, container []string
		want             []string
		err              string
	}{
		{"image only", []string{"PATH=/bin", "A=1"}, nil, []string{"PATH=/bin", "A=1"}, ""},
		{"container overrides in place", []string{"PATH=/bin", "A=1", "B=2"}, []string{"A=x", "C=3"}, []string{"PATH=/bin", "A=x", "B=2", "C=3"}, ""},
		{"default PATH", []string{"A=1"}, nil, []string{defaultPath, "A=1"}, ""},
		{"container sets PATH", nil, []string{"PATH=/opt/bin"}, []string{"PATH=/opt/bin"}, ""},
		{"empty value", []string{"PATH=/bin"}, []string{"EMPTY="}, []string{"PATH=/bin", "EMPTY="}, ""},
		{"value with =", []string{"PATH=/bin"}, []string{"Q=a=b"}, []string{"PATH=/bin", "Q=a=b"}, ""},
		{"no equals", nil, []string{"BROKEN"}, nil, `env "BROKEN"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := specInput()
			in.Image.Env, in.Env = tt.image, tt.container
			s := specFor(t, in, tt.err)
			if s == nil {
				return
			}
			if !reflect.DeepEqual(s.Process.Env, tt.want) {
				t.Errorf("env = %q, want %q", s.Process.Env, tt.want)
			}
		})
	}
}

func TestSpecUser(t *testing.T) {
	tests := []struct {
		user     string
		uid, gid uint32
		err      error  // a sentinel, or nil
		errText  string // a substring when an error is expected
	}{
		{"", 0, 0, nil, ""},
		{"1000", 1000, 0, nil, ""},
		{"1000:2000", 1000, 2000, nil, ""},
		{"0:0", 0, 0, nil, ""},
		{"nginx", 0, 0, ErrUserName, `user "nginx"`},
		{"1000:staff", 0, 0, ErrUserName, `user "1000:staff"`},
		{"www-data:33", 0, 0, ErrUserName, `user "www-data:33"`},
		{"1000:", 0, 0, nil, "empty"},
		{"99999999999", 0, 0, nil, "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			in := specInput()
			in.Image.User = tt.user
			s, err := Spec(in)
			if tt.errText != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errText) {
					t.Fatalf("Spec = %v, want error containing %q", err, tt.errText)
				}
				if tt.err != nil && !errors.Is(err, tt.err) {
					t.Errorf("Spec = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Process.User.UID != tt.uid || s.Process.User.GID != tt.gid {
				t.Errorf("user = %d:%d, want %d:%d", s.Process.User.UID, s.Process.User.GID, tt.uid, tt.gid)
			}
		})
	}
}

func TestSpecLimits(t *testing.T) {
	tests := []struct {
		name      string
		memory    int64
		milliCPU  int64
		wantMem   int64 // 0: no memory limit
		wantQuota int64 // 0: no cpu limit
		err       string
	}{
		{"none", 0, 0, 0, 0, ""},
		{"memory", 256 << 20, 0, 256 << 20, 0, ""},
		{"one cpu", 0, 1000, 0, 100000, ""},
		{"half cpu", 0, 500, 0, 50000, ""},
		{"two and a half cpus", 128 << 20, 2500, 128 << 20, 250000, ""},
		{"tiny cpu rounds up to 1ms", 0, 1, 0, 1000, ""},
		{"negative memory", -1, 0, 0, 0, "limits.memory"},
		{"negative cpu", 0, -5, 0, 0, "limits.cpu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := specInput()
			in.MemoryBytes, in.MilliCPU = tt.memory, tt.milliCPU
			s := specFor(t, in, tt.err)
			if s == nil {
				return
			}
			res := s.Linux.Resources
			switch {
			case tt.wantMem == 0 && res.Memory != nil:
				t.Errorf("memory = %+v, want none", res.Memory)
			case tt.wantMem != 0 && (res.Memory == nil || *res.Memory.Limit != tt.wantMem):
				t.Errorf("memory = %+v, want limit %d", res.Memory, tt.wantMem)
			}
			switch {
			case tt.wantQuota == 0 && res.CPU != nil:
				t.Errorf("cpu = %+v, want none", res.CPU)
			case tt.wantQuota != 0 && (res.CPU == nil || *res.CPU.Quota != tt.wantQuota || *res.CPU.Period != 100000):
				t.Errorf("cpu = %+v, want quota %d over 100000", res.CPU, tt.wantQuota)
			}
		})
	}
}

func TestSpecMounts(t *testing.T) {
	tests := []struct {
		name   string
		mounts []Mount
		want   []specs.Mount
		err    string
	}{
		{"none", nil, nil, ""},
		{"rw and ro", []Mount{
			{Source: "/var/lib/wk/volumes/data", Destination: "/data"},
			{Source: "/var/lib/wk/volumes/cfg/", Destination: "/etc/app/", ReadOnly: true},
		}, []specs.Mount{
			{Destination: "/data", Type: "bind", Source: "/var/lib/wk/volumes/data", Options: []string{"rbind", "rprivate", "rw"}},
			{Destination: "/etc/app", Type: "bind", Source: "/var/lib/wk/volumes/cfg", Options: []string{"rbind", "rprivate", "ro"}},
		}, ""},
		{"relative destination", []Mount{{Source: "/x", Destination: "data"}}, nil, "mounts[0].destination"},
		{"relative source", []Mount{{Source: "x", Destination: "/data"}}, nil, "mounts[0].source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := specInput()
			in.Mounts = tt.mounts
			s := specFor(t, in, tt.err)
			if s == nil {
				return
			}
			defaults := defaultMounts()
			if !reflect.DeepEqual(s.Mounts[:len(defaults)], defaults) {
				t.Errorf("default mounts = %+v", s.Mounts[:len(defaults)])
			}
			if got := s.Mounts[len(defaults):]; len(got) != len(tt.want) || (len(got) > 0 && !reflect.DeepEqual(got, tt.want)) {
				t.Errorf("bind mounts = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestSpecDefaults(t *testing.T) {
	in := specInput()
	in.NetNS = "/var/run/netns/web-0"
	s, err := Spec(in)
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != specs.Version || s.Root.Path != in.Rootfs || s.Root.Readonly {
		t.Errorf("version %q, root %+v", s.Version, s.Root)
	}
	if s.Hostname != "web-0" || s.Process.Cwd != "/srv" || !s.Process.NoNewPrivileges {
		t.Errorf("hostname %q, cwd %q, noNewPrivileges %v", s.Hostname, s.Process.Cwd, s.Process.NoNewPrivileges)
	}
	caps := []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}
	c := s.Process.Capabilities
	if !reflect.DeepEqual(c.Bounding, caps) || !reflect.DeepEqual(c.Effective, caps) || !reflect.DeepEqual(c.Permitted, caps) || c.Ambient != nil || c.Inheritable != nil {
		t.Errorf("capabilities = %+v", c)
	}
	if !slices.Contains(s.Linux.MaskedPaths, "/proc/kcore") || !slices.Contains(s.Linux.ReadonlyPaths, "/proc/sys") {
		t.Errorf("masked %q, read-only %q", s.Linux.MaskedPaths, s.Linux.ReadonlyPaths)
	}
	var netns string
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == specs.NetworkNamespace {
			netns = ns.Path
		}
	}
	if netns != in.NetNS {
		t.Errorf("network namespace path = %q, want %q", netns, in.NetNS)
	}
	for _, m := range s.Mounts {
		if m.Destination == "/sys" && !slices.Contains(m.Options, "ro") {
			t.Errorf("/sys is mounted %q, want ro", m.Options)
		}
	}
}

func TestSpecWorkingDirAndRootfs(t *testing.T) {
	tests := []struct {
		name        string
		image, over string
		rootfs      string
		want, err   string
	}{
		{"image", "/srv", "", "/r", "/srv", ""},
		{"override", "/srv", "/work", "/r", "/work", ""},
		{"default", "", "", "/r", "/", ""},
		{"relative", "", "work", "/r", "", "workingDir"},
		{"relative rootfs", "", "", "rootfs", "", "rootfs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := specInput()
			in.Image.WorkingDir, in.WorkingDir, in.Rootfs = tt.image, tt.over, tt.rootfs
			s := specFor(t, in, tt.err)
			if s == nil {
				return
			}
			if s.Process.Cwd != tt.want {
				t.Errorf("cwd = %q, want %q", s.Process.Cwd, tt.want)
			}
		})
	}
}
