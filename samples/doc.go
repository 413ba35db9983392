// Package samples holds guest programs for wk and their manifests: hello (a Go HTTP server on
// port 9876 with /health), client (calls a URL in a loop), and shared (two modules of one pod
// sharing an emptyDir). `make samples` builds each to samples/NAME/NAME.wasm.
package samples
