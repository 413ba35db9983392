//go:build wasip1

// Command shared is both modules of the two-module sample pod: "shared write FILE" writes the time
// into FILE every second; "shared serve DIR" serves DIR over HTTP on port 8080. The pod gives them
// one emptyDir, so the server serves what the writer wrote. It uses only WK_LISTEN_FDS and the
// standard library: no wk package.
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) != 3 {
		log.Fatal("usage: shared write FILE | shared serve DIR")
	}
	switch os.Args[1] {
	case "write":
		for i := 1; ; i++ {
			msg := fmt.Sprintf("written by the writer module, update %d at %s\n", i, time.Now().UTC().Format(time.RFC3339))
			if err := os.WriteFile(os.Args[2], []byte(msg), 0o644); err != nil {
				log.Fatal(err)
			}
			if i == 1 {
				log.Printf("wrote %s", os.Args[2])
			}
			time.Sleep(time.Second)
		}
	case "serve":
		ln, err := listener(8080)
		if err != nil {
			log.Fatal(err)
		}
		log.Printf("serving %s on :8080", os.Args[2])
		log.Fatal(http.Serve(ln, http.FileServer(http.Dir(os.Args[2]))))
	}
	log.Fatalf("unknown mode %q", os.Args[1])
}

// listener finds the socket wk opened for port in WK_LISTEN_FDS=PORT=FD,...
func listener(port int) (net.Listener, error) {
	for _, kv := range strings.Split(os.Getenv("WK_LISTEN_FDS"), ",") {
		p, fd, ok := strings.Cut(kv, "=")
		if !ok || p != strconv.Itoa(port) {
			continue
		}
		n, err := strconv.Atoi(fd)
		if err != nil {
			return nil, err
		}
		if err := syscall.SetNonblock(n, true); err != nil {
			return nil, err
		}
		return net.FileListener(os.NewFile(uintptr(n), "listener"))
	}
	return nil, fmt.Errorf("port %d is not in WK_LISTEN_FDS", port)
}
