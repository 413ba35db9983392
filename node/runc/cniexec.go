package runc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// pluginCall is one run of a CNI plugin for one interface of a pod, as the CNI_ variables of its
// environment say.
type pluginCall struct {
	dir         string // the plugins' folder, also CNI_PATH for the plugins a plugin runs (IPAM)
	command     string // ADD or DEL
	containerID string
	netns       string // the namespace's path; "" only for DEL
	ifname      string
}

// pluginError is what a failing plugin prints on stdout.
type pluginError struct {
	Code    int    `json:"code"`
	Msg     string `json:"msg"`
	Details string `json:"details"`
}

// runPlugin runs plugin conf.Type as call says, with conf on stdin, and returns its result (stdout).
// Its error names the plugin and the command, and holds the plugin's own error.
func runPlugin(ctx context.Context, call pluginCall, conf netConf) ([]byte, error) {
	stdin, err := json.Marshal(conf)
	if err != nil {
		return nil, fmt.Errorf("cni plugin %s %s: %w", conf.Type, call.command, err)
	}
	var stdout bytes.Buffer
	stderr := &headWriter{max: maxStderrKept}
	cmd := exec.CommandContext(ctx, filepath.Join(call.dir, conf.Type))
	cmd.Env = append(pluginEnv(),
		"CNI_COMMAND="+call.command,
		"CNI_CONTAINERID="+call.containerID,
		"CNI_NETNS="+call.netns,
		"CNI_IFNAME="+call.ifname,
		"CNI_PATH="+call.dir,
	)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(stdin), &stdout, stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("cni plugin %s %s: %w", conf.Type, call.command, pluginFailure(err, stdout.Bytes(), stderr.buf))
	}
	return stdout.Bytes(), nil
}

// pluginEnv is this process's environment without its CNI_ variables, which would otherwise
// reach the plugin (CNI_ARGS, say).
func pluginEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CNI_") {
			env = append(env, kv)
		}
	}
	return env
}

// pluginFailure turns a failed run into the plugin's own error when it printed one, or else err
// with what the plugin wrote.
func pluginFailure(err error, stdout, stderr []byte) error {
	var perr pluginError
	if json.Unmarshal(stdout, &perr) == nil && perr.Msg != "" {
		if perr.Details != "" {
			return fmt.Errorf("%s (code %d): %s", perr.Msg, perr.Code, perr.Details)
		}
		return fmt.Errorf("%s (code %d)", perr.Msg, perr.Code)
	}
	out := strings.TrimSpace(string(stderr) + " " + string(stdout))
	if out == "" {
		return err
	}
	return fmt.Errorf("%w: %s", err, out)
}
