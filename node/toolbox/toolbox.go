// Package toolbox holds the program `wk exec` runs in a wasm pod: curl,
// nslookup, cat, ls, env and a few more tools in one wasip1 module, built
// from ./guest by `make toolbox` into bin/toolbox.wasm and embedded in wk.
package toolbox

import "embed"

// bin always holds its README, so the embed pattern matches before the
// module is built.
//
//go:embed all:bin
var bin embed.FS

// Wasm returns the toolbox module, or false if this wk was built without it.
func Wasm() ([]byte, bool) {
	b, err := bin.ReadFile("bin/toolbox.wasm")
	return b, err == nil && len(b) > 0
}
