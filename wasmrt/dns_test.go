package wasmrt

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero/experimental/sys"
)

// mapResolver answers from a map: a name not in it does not exist, and
// "broken" fails as an unreachable DNS server would.
type mapResolver map[string][]netip.Addr

func (r mapResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if host == "broken" {
		return nil, &net.DNSError{Name: host, Err: "server misbehaving", IsTemporary: true}
	}
	if ips, ok := r[host]; ok {
		return ips, nil
	}
	return nil, &net.DNSError{Name: host, Err: "no such host", IsNotFound: true}
}

var testNames = mapResolver{
	"web":                            {netip.MustParseAddr("10.96.0.10")},
	"web.default.svc.cluster.local.": {netip.MustParseAddr("10.96.0.10")},
	"db": {
		netip.MustParseAddr("10.88.1.5"),
		netip.MustParseAddr("::ffff:10.88.2.6"), // mapped: printed as IPv4
		netip.MustParseAddr("10.88.1.5"),        // repeated: printed once
		netip.MustParseAddr("fd00::7"),
	},
	"empty": {},
}

func TestLookup(t *testing.T) {
	tests := []struct {
		name string
		want string
		err  bool // does not resolve
	}{
		{"localhost", "127.77.9.9", false},
		{"10.96.3.4", "10.96.3.4", false},
		{"fd00::1", "fd00::1", false},
		{"web", "10.96.0.10", false},
		{"web.default.svc.cluster.local.", "10.96.0.10", false},
		{"db", "10.88.1.5 10.88.2.6 fd00::7", false},
		{"nosuch", "", true},
		{"empty", "", true},
	}
	s := &Sandbox{cfg: SandboxConfig{Addr: netip.MustParseAddr("127.77.9.9"), Resolver: testNames}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ips, err := s.lookup(context.Background(), tt.name)
			var got []string
			for _, ip := range ips {
				got = append(got, ip.String())
			}
			if strings.Join(got, " ") != tt.want || (err != nil) != tt.err || err != nil && !notFound(err) {
				t.Errorf("lookup(%q) = %v, %v; want %q, not found %v", tt.name, got, err, tt.want, tt.err)
			}
		})
	}
}

func TestLookupErrno(t *testing.T) {
	s := &Sandbox{cfg: SandboxConfig{Resolver: testNames}}
	_, err := s.lookup(context.Background(), "broken")
	if err == nil || lookupErrno(err) != sys.EIO {
		t.Errorf("lookup(broken) = %v, errno %v; want EIO", err, lookupErrno(err))
	}
	// A Dialer that cannot resolve a name fails the open of /net/tcp with
	// ENOENT too, as net.Dialer reports it.
	dialErr := &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Name: "nosuch", IsNotFound: true}}
	if got := dialErrno(dialErr); got != sys.ENOENT {
		t.Errorf("dialErrno(%v) = %v, want ENOENT", dialErr, got)
	}
}

// TestGuestLookup resolves names from a Go guest, through guest.LookupHost
// and by reading /net/dns/NAME.
func TestGuestLookup(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"lookup", "localhost"}, 0, "ADDR\n"},
		{[]string{"lookup", "10.96.3.4"}, 0, "10.96.3.4\n"},
		{[]string{"lookup", "web"}, 0, "10.96.0.10\n"},
		{[]string{"lookup", "db"}, 0, "10.88.1.5 10.88.2.6 fd00::7\n"},
		{[]string{"lookup", "nosuch"}, 1, "not found\n"},
		{[]string{"lookup", "a/b"}, 1, "not found\n"},
		{[]string{"lookup", "broken"}, 1, "error: lookup broken: server misbehaving\n"},
		{[]string{"read", "/net/dns/db"}, 0, "10.88.1.5\n10.88.2.6\nfd00::7\n"},
		{[]string{"read", "/net/dns/nosuch"}, 1, "error: open /net/dns/nosuch: No such file or directory\n"},
		{[]string{"write", "/net/dns/web", "x"}, 1, "error: open /net/dns/web: Permission denied\n"},
	}
	s := newSandbox(t, SandboxConfig{Resolver: testNames})
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			p, stdout, stderr := probe(t, s, ContainerConfig{}, tt.args...)
			st := waitExit(t, p, 10*time.Second)
			want := strings.ReplaceAll(tt.want, "ADDR", s.cfg.Addr.String())
			if st.Code != tt.code || stdout.String() != want {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, stdout %q", st.Code, stdout, stderr, tt.code, want)
			}
		})
	}
}
