package cmd

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

func newApplyCmd(g *globals) *cobra.Command {
	var files []string
	c := &cobra.Command{
		Use:   "apply -f FILENAME",
		Short: "Create or update objects from manifest files, folders or standard input",
		Example: `  wk apply -f deployment.yaml
  wk apply -f ./manifests/
  cat pod.yaml | wk apply -f -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runApply(cmd.Context(), g, cmd.InOrStdin(), files)
		},
	}
	c.Flags().StringSliceVarP(&files, "filename", "f", nil, "file, folder or - with the manifests to apply")
	c.MarkFlagRequired("filename")
	return c
}

func runApply(ctx context.Context, g *globals, stdin io.Reader, files []string) error {
	ms, problems := readManifests(files, stdin)
	problems = append(problems, prepare(ms, g.ns(), g.namespace != "")...)
	if len(problems) > 0 {
		return g.fail(problems)
	}
	if len(ms) == 0 {
		return g.fail([]string{"error: no objects passed to apply"})
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	if problems := uploadImages(ctx, c, ms); len(problems) > 0 {
		return g.fail(problems)
	}
	failed := false
	forEachOrdered(len(ms), 8, func(i int) string {
		obj, result, err := c.Apply(ctx, ms[i].doc.Object)
		if err != nil {
			return "\x00" + formatError(err)
		}
		return fmt.Sprintf("%s %s", objectName(obj), result)
	}, func(line string) {
		if len(line) > 0 && line[0] == 0 {
			failed = true
			fmt.Fprintln(g.errs, line[1:])
			return
		}
		fmt.Fprintln(g.out, line)
	})
	if failed {
		return &exitError{code: 1}
	}
	return nil
}

// fail prints one line per problem to standard error and ends the command with status 1.
func (g *globals) fail(problems []string) error {
	for _, p := range problems {
		fmt.Fprintln(g.errs, p)
	}
	return &exitError{code: 1}
}

// forEachOrdered runs do(0..n-1) on up to workers goroutines and hands the results to emit in
// index order, as soon as each is next in line.
func forEachOrdered(n, workers int, do func(int) string, emit func(string)) {
	results := make([]chan string, n)
	for i := range results {
		results[i] = make(chan string, 1)
	}
	next := make(chan int)
	for w := 0; w < workers; w++ {
		go func() {
			for i := range next {
				results[i] <- do(i)
			}
		}()
	}
	go func() {
		for i := 0; i < n; i++ {
			next <- i
		}
		close(next)
	}()
	for i := 0; i < n; i++ {
		emit(<-results[i])
	}
}
