package client

import (
	"io"
	"net"
	"testing"
	"time"
)

// tcpPair is the two ends of a TCP connection on loopback.
func tcpPair(t *testing.T) (*net.TCPConn, *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a.(*net.TCPConn), b.(*net.TCPConn)
}

// A peer that answers only after the end of its input gets its answer through: the half close
// passes through the splice.
func TestSplicePassesHalfClose(t *testing.T) {
	user, inner1 := tcpPair(t)
	inner2, server := tcpPair(t)
	done := make(chan struct{})
	go func() { Splice(inner1, inner2); close(done) }()

	go func() {
		b, _ := io.ReadAll(server) // until the user's half close
		server.Write(append([]byte("got "), b...))
		server.Close()
	}()
	user.Write([]byte("ping"))
	user.CloseWrite()
	user.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(user)
	if err != nil || string(got) != "got ping" {
		t.Fatalf("read %q, %v; want %q", got, err, "got ping")
	}
	user.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Splice did not return once both sides ended")
	}
}

// A side without CloseWrite ends the whole splice when its input ends.
func TestSpliceClosesBothWithoutHalfClose(t *testing.T) {
	user, inner1 := tcpPair(t)
	inner2, server := tcpPair(t)
	done := make(chan struct{})
	go func() { Splice(inner1, onlyClose{inner2}); close(done) }()
	user.Close()
	server.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(server); err != nil {
		t.Fatalf("the far side was not closed: %v", err)
	}
	<-done
}

// onlyClose hides CloseWrite.
type onlyClose struct{ io.ReadWriteCloser }
