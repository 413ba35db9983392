package runc

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ErrUserName is an image or container user given by name: resolving it needs the image's
// /etc/passwd, which this driver does not read yet.
var ErrUserName = errors.New("user names are not supported yet, use a numeric uid[:gid]")

// defaultPath is the PATH a container gets when neither the image nor the container sets one.
const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// cpuPeriod is the CFS period in microseconds; a millicpu limit becomes a quota over it.
const cpuPeriod = 100000

// minCPUQuota is the smallest quota the kernel takes (1ms), as the kubelet rounds up to.
const minCPUQuota = 1000

// ImageConfig is the part of an OCI image config that shapes the process.
type ImageConfig struct {
	Entrypoint []string
	Cmd        []string
	Env        []string // NAME=value
	WorkingDir string
	User       string // uid[:gid]
}

// ImageConfigFrom takes the process fields of a go-containerregistry image config.
func ImageConfigFrom(c v1.Config) ImageConfig {
	return ImageConfig{Entrypoint: c.Entrypoint, Cmd: c.Cmd, Env: c.Env, WorkingDir: c.WorkingDir, User: c.User}
}

// Mount is a host folder bind-mounted into the container.
type Mount struct {
	Source      string // absolute host path
	Destination string // absolute container path
	ReadOnly    bool
}

// SpecInput is everything Spec needs for one container.
type SpecInput struct {
	Rootfs string // absolute path of the unpacked rootfs
	Image  ImageConfig

	// The container's overrides, with Kubernetes semantics: Command replaces the image's
	// Entrypoint, Args replace its Cmd, Env entries (NAME=value) override the image's by name.
	Command    []string
	Args       []string
	Env        []string
	WorkingDir string

	Hostname string // the pod name
	Mounts   []Mount
	NetNS    string // path of the pod's network namespace; "" makes a new one

	MemoryBytes int64 // memory limit in bytes; 0 is no limit
	MilliCPU    int64 // cpu limit in millicpu; 0 is no limit
}

// Spec builds the runtime config of one container: runc's default spec (mounts, masked and
// read-only paths, capabilities, namespaces) with the process, hostname, mounts and limits of in.
func Spec(in SpecInput) (*specs.Spec, error) {
	if !filepath.IsAbs(in.Rootfs) {
		return nil, fmt.Errorf("rootfs %q: not an absolute path", in.Rootfs)
	}
	proc, err := process(in)
	if err != nil {
		return nil, err
	}
	mounts, err := bindMounts(in.Mounts)
	if err != nil {
		return nil, err
	}
	res, err := resources(in.MemoryBytes, in.MilliCPU)
	if err != nil {
		return nil, err
	}
	return &specs.Spec{
		Version:  specs.Version,
		Root:     &specs.Root{Path: in.Rootfs, Readonly: false},
		Process:  proc,
		Hostname: in.Hostname,
		Mounts:   append(defaultMounts(), mounts...),
		Linux: &specs.Linux{
			Resources:     res,
			Namespaces:    namespaces(in.NetNS),
			MaskedPaths:   defaultMaskedPaths(),
			ReadonlyPaths: defaultReadonlyPaths(),
		},
	}, nil
}

func process(in SpecInput) (*specs.Process, error) {
	args := processArgs(in.Image, in.Command, in.Args)
	if len(args) == 0 {
		return nil, errors.New("command: the image has no entrypoint or cmd and the container sets none")
	}
	env, err := mergeEnv(in.Image.Env, in.Env)
	if err != nil {
		return nil, err
	}
	user, err := parseUser(in.Image.User)
	if err != nil {
		return nil, err
	}
	cwd := firstNonEmpty(in.WorkingDir, in.Image.WorkingDir, "/")
	if !path.IsAbs(cwd) {
		return nil, fmt.Errorf("workingDir %q: not an absolute path", cwd)
	}
	return &specs.Process{
		User:            user,
		Args:            args,
		Env:             env,
		Cwd:             cwd,
		Capabilities:    defaultCapabilities(),
		Rlimits:         []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 1024}},
		NoNewPrivileges: true,
	}, nil
}

// processArgs merges the image's Entrypoint and Cmd with the container's command and args the way
// Kubernetes does: a command replaces the Entrypoint and drops the image's Cmd; args replace Cmd.
func processArgs(img ImageConfig, command, args []string) []string {
	entry, cmd := img.Entrypoint, img.Cmd
	if len(command) > 0 {
		entry, cmd = command, nil
	}
	if len(args) > 0 {
		cmd = args
	}
	return append(append([]string{}, entry...), cmd...)
}

// mergeEnv overlays the container's variables on the image's by name, keeping first-seen order,
// and adds a default PATH when neither sets one.
func mergeEnv(image, container []string) ([]string, error) {
	var order []string
	vals := map[string]string{}
	for _, src := range [][]string{image, container} {
		for _, kv := range src {
			k, _, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return nil, fmt.Errorf("env %q: not NAME=value", kv)
			}
			if _, seen := vals[k]; !seen {
				order = append(order, k)
			}
			vals[k] = kv
		}
	}
	env := make([]string, 0, len(order)+1)
	if _, ok := vals["PATH"]; !ok {
		env = append(env, defaultPath)
	}
	for _, k := range order {
		env = append(env, vals[k])
	}
	return env, nil
}

// parseUser reads a numeric uid[:gid]; "" is root. A uid alone runs with gid 0.
func parseUser(s string) (specs.User, error) {
	if s == "" {
		return specs.User{}, nil
	}
	uidStr, gidStr, hasGID := strings.Cut(s, ":")
	uid, err := parseID(uidStr)
	if err != nil {
		return specs.User{}, fmt.Errorf("user %q: %w", s, err)
	}
	var gid uint32
	if hasGID {
		if gid, err = parseID(gidStr); err != nil {
			return specs.User{}, fmt.Errorf("user %q: %w", s, err)
		}
	}
	return specs.User{UID: uid, GID: gid}, nil
}

func parseID(s string) (uint32, error) {
	if s == "" {
		return 0, errors.New("empty uid or gid")
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		if strings.Trim(s, "0123456789") != "" {
			return 0, ErrUserName
		}
		return 0, fmt.Errorf("id %s: out of range", s)
	}
	return uint32(n), nil
}

func bindMounts(in []Mount) ([]specs.Mount, error) {
	out := make([]specs.Mount, 0, len(in))
	for i, m := range in {
		if !filepath.IsAbs(m.Source) {
			return nil, fmt.Errorf("mounts[%d].source %q: not an absolute path", i, m.Source)
		}
		if !path.IsAbs(m.Destination) {
			return nil, fmt.Errorf("mounts[%d].destination %q: not an absolute path", i, m.Destination)
		}
		mode := "rw"
		if m.ReadOnly {
			mode = "ro"
		}
		out = append(out, specs.Mount{
			Destination: path.Clean(m.Destination),
			Type:        "bind",
			Source:      filepath.Clean(m.Source),
			Options:     []string{"rbind", "rprivate", mode},
		})
	}
	return out, nil
}

// resources turns limits into cgroup values: memory in bytes, cpu as a CFS quota over a 100ms
// period (1000 millicpu = one full period).
func resources(memoryBytes, milliCPU int64) (*specs.LinuxResources, error) {
	if memoryBytes < 0 {
		return nil, fmt.Errorf("limits.memory %d: negative", memoryBytes)
	}
	if milliCPU < 0 {
		return nil, fmt.Errorf("limits.cpu %dm: negative", milliCPU)
	}
	res := &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}}
	if memoryBytes > 0 {
		res.Memory = &specs.LinuxMemory{Limit: &memoryBytes}
	}
	if milliCPU > 0 {
		quota := max(milliCPU*cpuPeriod/1000, minCPUQuota)
		period := uint64(cpuPeriod)
		res.CPU = &specs.LinuxCPU{Quota: &quota, Period: &period}
	}
	return res, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
