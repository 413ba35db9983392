//go:build wasip1

package guest

import (
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
)

// LookupHost returns the addresses name resolves to in the pod's cluster:
// a service name, a pod or service address, localhost (the pod itself) or an
// outside name. It reads /net/dns/NAME. A name that does not resolve is a
// *net.DNSError with IsNotFound set; a failed lookup one with IsTemporary.
func LookupHost(name string) ([]string, error) {
	dnsErr := &net.DNSError{Name: name, Err: "no such host", IsNotFound: true}
	if name == "" || name == "." || name == ".." || strings.Contains(name, "/") {
		return nil, dnsErr
	}
	b, err := os.ReadFile(NetDir + "/dns/" + name)
	switch {
	case errors.Is(err, syscall.ENOENT):
		return nil, dnsErr
	case err != nil:
		return nil, &net.DNSError{Name: name, Err: "server misbehaving", IsTemporary: true, UnwrapErr: err}
	}
	addrs := strings.Fields(string(b))
	if len(addrs) == 0 {
		return nil, dnsErr
	}
	return addrs, nil
}
