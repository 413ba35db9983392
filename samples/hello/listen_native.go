//go:build !wasip1

package main

import (
	"fmt"
	"net"
	"os"
)

// listen opens the port itself, on HELLO_ADDR (default all addresses), when hello runs natively.
func listen(port int) (net.Listener, error) {
	return net.Listen("tcp", fmt.Sprintf("%s:%d", os.Getenv("HELLO_ADDR"), port))
}
