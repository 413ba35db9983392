package cmd

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/wk-project/wk/control/client"
)

func newLogsCmd(g *globals) *cobra.Command {
	o := client.LogOptions{TailLines: -1}
	c := &cobra.Command{
		Use:   "logs POD [-c CONTAINER]",
		Short: "Print the logs of a container in a pod",
		Example: `  wk logs hello-7d9c5-x2x7q
  wk logs hello-7d9c5-x2x7q -c web -f
  wk logs hello-7d9c5-x2x7q --previous --tail 20`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			rc, err := c.Logs(cmd.Context(), g.ns(), args[0], o)
			if err != nil {
				return err
			}
			defer rc.Close()
			_, err = io.Copy(g.out, rc)
			if cmd.Context().Err() != nil {
				return nil
			}
			return err
		},
	}
	f := c.Flags()
	f.StringVarP(&o.Container, "container", "c", "", "the container (required when the pod has several)")
	f.BoolVarP(&o.Follow, "follow", "f", false, "keep streaming new output")
	f.BoolVarP(&o.Previous, "previous", "p", false, "the previous, terminated instance of the container")
	f.IntVar(&o.TailLines, "tail", -1, "only the last N lines")
	return c
}
