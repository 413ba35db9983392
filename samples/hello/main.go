// Command hello is the sample app of wk's tutorial: an HTTP server on port 9876 (or $PORT) that
// answers /health and greets with its pod's name. Build: GOOS=wasip1 GOARCH=wasm go build. Built for the
// host instead, it listens on :9876 itself, so the same program can be measured natively.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"strconv"
)

func main() {
	host, _ := os.Hostname()
	if h := os.Getenv("HOSTNAME"); h != "" {
		host = h
	}
	port := 9876
	if p, err := strconv.Atoi(os.Getenv("PORT")); err == nil {
		port = p
	}
	ln, err := listen(port)
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
	log.Printf("hello listening on :%d in pod %s", port, host)
	log.Fatal(http.Serve(ln, mux))
}
