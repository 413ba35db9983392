//go:build wasip1

// Command client calls a URL in a loop and prints each answer: the sample of a pod reaching
// another pod or a Service. Usage: client URL [INTERVAL]. It needs no SDK beyond wasmrt/guest's
// transport, which dials through /net/tcp.
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/wk-project/wk/wasmrt/guest"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: client URL [INTERVAL]")
		os.Exit(2)
	}
	url := os.Args[1]
	interval := time.Second
	if len(os.Args) > 2 {
		if d, err := time.ParseDuration(os.Args[2]); err == nil {
			interval = d
		}
	}
	c := &http.Client{Transport: guest.Transport(), Timeout: 5 * time.Second}
	for {
		resp, err := c.Get(url)
		if err != nil {
			fmt.Printf("GET %s: %v\n", url, err)
		} else {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			fmt.Printf("GET %s: %d %s\n", url, resp.StatusCode, strings.TrimSpace(string(body)))
		}
		time.Sleep(interval)
	}
}
