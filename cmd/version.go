package cmd

import (
	"fmt"
	"net/http"
	"runtime"

	"github.com/spf13/cobra"
)

func newVersionCmd(g *globals) *cobra.Command {
	var clientOnly bool
	c := &cobra.Command{
		Use:   "version",
		Short: "Print the client and server versions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintf(g.out, "Client Version: %s (%s, %s/%s)\n", Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			if clientOnly {
				return nil
			}
			v, err := serverVersion(g, cmd)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.out, "Server Version: %s\n", v)
			return nil
		},
	}
	c.Flags().BoolVar(&clientOnly, "client", false, "print the client version only")
	return c
}

func serverVersion(g *globals, cmd *cobra.Command) (string, error) {
	cfg, err := g.client()
	if err != nil {
		return "", err
	}
	var v struct {
		GitVersion string `json:"gitVersion"`
	}
	if err := cfg.Raw(cmd.Context(), http.MethodGet, "/version", &v); err != nil {
		return "", err
	}
	return v.GitVersion, nil
}
