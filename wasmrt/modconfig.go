package wasmrt

import (
	"crypto/rand"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tetratelabs/wazero"
)

// moduleConfig is the wazero configuration of one process.
func moduleConfig(p *Process, c ContainerConfig, env [][2]string) wazero.ModuleConfig {
	cfg := wazero.NewModuleConfig().
		WithName("").
		WithArgs(append([]string{c.Name}, c.Args...)...).
		WithSysWalltime().
		WithSysNanotime().
		WithNanosleep(p.waker.sleep).
		WithRandSource(rand.Reader).
		WithStartFunctions()
	for _, kv := range env {
		cfg = cfg.WithEnv(kv[0], kv[1])
	}
	if c.Stdin != nil {
		cfg = cfg.WithStdin(c.Stdin)
	}
	if c.Stdout != nil {
		cfg = cfg.WithStdout(c.Stdout)
	}
	if c.Stderr != nil {
		cfg = cfg.WithStderr(c.Stderr)
	}
	return cfg
}

// environ is the container's environment plus HOSTNAME and WK_LISTEN_FDS,
// which wasmrt alone sets.
func (s *Sandbox) environ(c ContainerConfig, firstFD int) ([][2]string, error) {
	var env [][2]string
	for _, kv := range c.Env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("env %q: want K=V", kv)
		}
		env = append(env, [2]string{k, v})
	}
	env = slices.DeleteFunc(env, func(kv [2]string) bool { return kv[0] == listenFDsEnv })
	has := func(k string) bool {
		return slices.ContainsFunc(env, func(kv [2]string) bool { return kv[0] == k })
	}
	if !has("HOSTNAME") && s.cfg.Name != "" {
		env = append(env, [2]string{"HOSTNAME", s.cfg.Name})
	}
	if len(c.Ports) > 0 {
		fds := make([]string, len(c.Ports))
		for i, port := range c.Ports {
			fds[i] = strconv.Itoa(port) + "=" + strconv.Itoa(firstFD+i)
		}
		env = append(env, [2]string{listenFDsEnv, strings.Join(fds, ",")})
	}
	return env, nil
}
