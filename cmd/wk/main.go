// Command wk is the CLI, the control plane and the node agent of wk.
package main

import (
	"os"

	"github.com/wk-project/wk/cmd"
)

func main() { os.Exit(cmd.Execute()) }
