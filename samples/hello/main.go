//go:build wasip1

// Command hello is the sample app of wk's tutorial: an HTTP server on port 9876 that answers
// /health and greets with its pod's name. Build: GOOS=wasip1 GOARCH=wasm go build.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/wk-project/wk/wasmrt/guest"
)

func main() {
	host, _ := os.Hostname()
	if h := os.Getenv("HOSTNAME"); h != "" {
		host = h
	}
	ln, err := guest.Listen(9876)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		log.Printf("%s %s from %s", r.Method, r.URL.Path, r.RemoteAddr)
		fmt.Fprintf(w, "Hello from %s\n", host)
	})
	log.Printf("hello listening on :9876 in pod %s", host)
	log.Fatal(http.Serve(ln, mux))
}
