// Package guest helps Go programs built for GOOS=wasip1 use wk's pod
// network: Listen returns the listener wk opened for a containerPort, Dial
// connects through /net/tcp, Transport is an http.Transport that dials
// that way, and LookupHost resolves a name through /net/dns.
//
// It is a convenience only. Any WASI program can do the same: read
// WK_LISTEN_FDS=PORT=FD[,PORT=FD...] and accept on FD (set it non-blocking
// first to serve connections concurrently); open /net/tcp/HOST:PORT
// read-write for a connected stream socket; read /net/dns/NAME for the
// addresses NAME resolves to, one a line. (A Go program may read and
// write such an *os.File directly; to wrap it with net.FileConn, open it
// with syscall.Open and os.NewFile, as Dial does: net.FileConn panics on a
// file from os.OpenFile on wasip1 as of Go 1.26.)
//
// On other platforms the package declares only ListenFDsEnv.
package guest
