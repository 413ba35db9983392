package cmd

import (
	"github.com/spf13/cobra"
	"strings"

	"github.com/wk-project/wk/control/client"
)

func newExecCmd(g *globals) *cobra.Command {
	var container string
	var stdin bool
	c := &cobra.Command{
		Use:   "exec POD [-c CONTAINER] [-i] -- COMMAND [ARG...]",
		Short: "Run a command in a pod",
		Long: `Run a command in a pod. In a wasm pod the command is one of the toolbox built into wk
(curl, wget, nslookup, cat, ls, env, echo, hostname, head, mkdir, rm, touch, pwd, sleep), run
inside the pod's sandbox: its volumes, its network and the container's environment. The
command's exit status is wk's.`,
		Example: `  wk exec hello-7d9c5-x2x7q -- curl -s http://localhost:9876/health
  wk exec hello-7d9c5-x2x7q -- nslookup hello
  wk exec shared -c server -- ls -l /data`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() != 1 {
				return errorf("usage: wk exec POD [-c CONTAINER] -- COMMAND [ARG...]")
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			o := client.ExecOptions{Container: container, Command: args[1:], Stdout: g.out, Stderr: g.errs}
			if stdin {
				o.Stdin = cmd.InOrStdin()
			}
			code, err := c.Exec(cmd.Context(), g.ns(), podArg(args[0]), o)
			if err != nil {
				return err
			}
			if code != 0 {
				return &exitError{code: code}
			}
			return nil
		},
	}
	c.Flags().StringVarP(&container, "container", "c", "", "the container whose environment and mounts the command gets")
	c.Flags().BoolVarP(&stdin, "stdin", "i", false, "pass standard input to the command")
	return c
}

// podArg is a pod's name given as NAME or, as kubectl takes it, pod/NAME (po/, pods/).
func podArg(arg string) string {
	for _, p := range []string{"pod/", "pods/", "po/"} {
		if name, ok := strings.CutPrefix(arg, p); ok {
			return name
		}
	}
	return arg
}
