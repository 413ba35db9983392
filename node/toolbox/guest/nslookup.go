//go:build wasip1

package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/wk-project/wk/wasmrt/guest"
)

// nslookup resolves a name through the pod's DNS, printing as busybox's
// nslookup does. The server is wk itself; a second argument naming another
// server is accepted and ignored.
func nslookup(args []string) int {
	o, code, ok := parseFlags("nslookup", flagSet{}, args)
	if !ok {
		return code
	}
	if len(o.args) < 1 || len(o.args) > 2 {
		return usage("nslookup")
	}
	name := o.args[0]
	w := bufio.NewWriter(os.Stdout)
	fmt.Fprint(w, "Server:\t\twk\nAddress:\twk\n\n")
	addrs, err := guest.LookupHost(name)
	if err != nil {
		w.Flush()
		fmt.Fprintf(os.Stderr, "** server can't find %s: %s\n\n", name, rcode(err))
		return exitFail
	}
	for _, a := range addrs {
		fmt.Fprintf(w, "Name:\t%s\nAddress: %s\n", name, a)
	}
	fmt.Fprintln(w)
	return flushed("nslookup", w)
}

// rcode is the DNS response code that err stands for.
func rcode(err error) string {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return "NXDOMAIN"
	}
	return "SERVFAIL"
}
