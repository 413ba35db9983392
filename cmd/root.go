// Package cmd holds wk's cobra commands, one file per verb. It resolves flags, environment and the
// client config file into each component's Config and runs the components.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/client"
)

// Version is set at build time with -ldflags "-X github.com/wk-project/wk/cmd.Version=...".
var Version = "v0.1.0-dev"

// globals are the flags every command shares, and the command's outputs.
type globals struct {
	configPath string
	server     string
	token      string
	namespace  string
	out, errs  io.Writer
	now        func() time.Time
}

// Execute runs wk with the process's arguments and returns its exit code.
func Execute() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := NewRoot(os.Stdout, os.Stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		fmt.Fprintln(os.Stderr, formatError(err))
		return 1
	}
	return 0
}

// exitError ends the command with a code after the command printed its own messages.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// NewRoot builds the command tree writing to out and errs.
func NewRoot(out, errs io.Writer) *cobra.Command {
	return newRoot(out, errs, time.Now)
}

// newRoot is NewRoot with a clock, so that tests print fixed ages.
func newRoot(out, errs io.Writer, now func() time.Time) *cobra.Command {
	g := &globals{out: out, errs: errs, now: now}
	root := &cobra.Command{
		Use:           "wk",
		Short:         "wk runs WebAssembly workloads on a cluster of machines, the Kubernetes way",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(out)
	root.SetErr(errs)
	pf := root.PersistentFlags()
	pf.StringVar(&g.configPath, "config", "", "client config file (env WK_CONFIG, default ~/.wk/config)")
	pf.StringVar(&g.server, "server", "", "API server URL, overriding the config file")
	pf.StringVar(&g.token, "token", "", "bearer token, overriding the config file")
	pf.StringVarP(&g.namespace, "namespace", "n", "", "namespace of the request (default \"default\")")
	root.AddCommand(
		newApplyCmd(g), newGetCmd(g), newDescribeCmd(g), newDeleteCmd(g),
		newLogsCmd(g), newExecCmd(g), newPortForwardCmd(g), newScaleCmd(g), newSetCmd(g), newRolloutCmd(g),
		newCordonCmd(g, true), newCordonCmd(g, false), newDrainCmd(g), newVersionCmd(g), newUpCmd(g), newServerCmd(g), newAgentCmd(g), newIPCmd(g),
		newBenchCmd(g),
	)
	return root
}

// configFile is the client config path: the flag, then WK_CONFIG, then ~/.wk/config.
func (g *globals) configFile() string {
	if g.configPath != "" {
		return g.configPath
	}
	if p := os.Getenv("WK_CONFIG"); p != "" {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(".wk", "config")
	}
	return filepath.Join(home, ".wk", "config")
}

// client makes an API client from the config file, overridden by --server and --token.
func (g *globals) client() (*client.Client, error) {
	cfg, err := client.LoadFile(g.configFile())
	if err != nil && (g.server == "" || g.token == "") {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no client config at %s: start a cluster with `wk up`, or pass --server and --token", g.configFile())
		}
		return nil, err
	}
	if g.server != "" {
		cfg.Server = g.server
	}
	if g.token != "" {
		cfg.Token = g.token
	}
	return client.New(cfg)
}

// ns is the namespace of the request: the flag, else "default".
func (g *globals) ns() string {
	if g.namespace != "" {
		return g.namespace
	}
	return "default"
}

// formatError renders an error as kubectl does: a server Status as "Error from server (Reason): ...".
func formatError(err error) string {
	var se *api.StatusError
	if errors.As(err, &se) {
		if se.Status.Reason == api.ReasonInvalid {
			return "The " + se.Error()
		}
		if se.Status.Reason != "" {
			return fmt.Sprintf("Error from server (%s): %s", se.Status.Reason, se.Error())
		}
		return "Error from server: " + se.Error()
	}
	return "error: " + err.Error()
}

// errorf is an error for the user, printed as "error: ...".
func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
