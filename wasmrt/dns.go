package wasmrt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/tetratelabs/wazero/experimental/sys"
	wzsys "github.com/tetratelabs/wazero/sys"
)

// dnsTimeout bounds how long opening /net/dns/NAME may take.
const dnsTimeout = 10 * time.Second

// errNoHost is a name that resolves to no address.
var errNoHost = errors.New("no such host")

// lookup resolves name for the sandbox: localhost is the pod's address, an
// IP literal is itself, any other name goes to the Resolver.
func (s *Sandbox) lookup(ctx context.Context, name string) ([]netip.Addr, error) {
	if name == "localhost" {
		addr, _ := s.loopback(netip.IPv4Unspecified())
		return []netip.Addr{netip.MustParseAddr(addr)}, nil
	}
	if ip, err := netip.ParseAddr(name); err == nil {
		return []netip.Addr{ip}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, dnsTimeout)
	defer cancel()
	ips, err := s.cfg.Resolver.LookupNetIP(ctx, "ip", name)
	if err != nil {
		return nil, fmt.Errorf("lookup %s: %w", name, err)
	}
	var out []netip.Addr
	for _, ip := range ips {
		if ip = ip.Unmap(); !slices.Contains(out, ip) {
			out = append(out, ip)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("lookup %s: %w", name, errNoHost)
	}
	return out, nil
}

// openDNS opens /net/dns/NAME: a read-only file of the addresses NAME
// resolves to, one a line.
func (n *netFS) openDNS(name string, flag sys.Oflag) (sys.File, sys.Errno) {
	switch {
	case flag&sys.O_DIRECTORY != 0:
		return nil, sys.ENOTDIR
	case flag&(sys.O_RDONLY|sys.O_RDWR|sys.O_WRONLY) != sys.O_RDONLY, flag&(sys.O_CREAT|sys.O_TRUNC) != 0:
		return nil, sys.EACCES
	}
	ips, err := n.sandbox.lookup(n.p.ctx, name)
	if err != nil {
		return nil, lookupErrno(err)
	}
	var b strings.Builder
	for _, ip := range ips {
		b.WriteString(ip.String())
		b.WriteByte('\n')
	}
	return &dnsFile{r: strings.NewReader(b.String())}, 0
}

// lookupErrno maps a lookup error: ENOENT for a name that does not exist,
// else EIO.
func lookupErrno(err error) sys.Errno {
	if notFound(err) {
		return sys.ENOENT
	}
	return sys.EIO
}

// notFound reports whether err says that a name does not exist, as a
// *net.DNSError does with IsNotFound or another error with an IsNotFound
// method.
func notFound(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr.IsNotFound
	}
	var nf interface{ IsNotFound() bool }
	return errors.Is(err, errNoHost) || errors.As(err, &nf) && nf.IsNotFound()
}

// dnsFile is the answer to a lookup, read like a small regular file.
type dnsFile struct {
	sys.UnimplementedFile
	r *strings.Reader
}

var _ sys.File = (*dnsFile)(nil)

// Stat implements sys.File.
func (f *dnsFile) Stat() (wzsys.Stat_t, sys.Errno) {
	return wzsys.Stat_t{Mode: 0o444, Nlink: 1, Size: f.r.Size()}, 0
}

// IsDir implements sys.File.
func (f *dnsFile) IsDir() (bool, sys.Errno) { return false, 0 }

// Read implements sys.File.
func (f *dnsFile) Read(buf []byte) (int, sys.Errno) {
	n, err := f.r.Read(buf)
	return n, readErrno(err)
}

// Pread implements sys.File.
func (f *dnsFile) Pread(buf []byte, off int64) (int, sys.Errno) {
	n, err := f.r.ReadAt(buf, off)
	return n, readErrno(err)
}

// Seek implements sys.File.
func (f *dnsFile) Seek(offset fileOffset, whence int) (int64, sys.Errno) {
	n, err := f.r.Seek(offset, whence)
	return n, readErrno(err)
}

// readErrno maps an error of a strings.Reader; io.EOF is no error.
func readErrno(err error) sys.Errno {
	if err == nil || errors.Is(err, io.EOF) {
		return 0
	}
	return sys.EINVAL
}
