//go:build wasip1

package main

import (
	"net"

	"github.com/wk-project/wk/wasmrt/guest"
)

// listen takes the socket wk opened for the containerPort.
func listen(port int) (net.Listener, error) { return guest.Listen(port) }
