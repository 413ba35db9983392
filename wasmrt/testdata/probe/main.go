// Command probe is the guest wasmrt's tests run: its first argument names
// what it does.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wk-project/wk/wasmrt/guest"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: probe COMMAND [ARG...]")
		os.Exit(64)
	}
	args := os.Args[2:]
	switch os.Args[1] {
	case "exit":
		fmt.Printf("args=%s\n", strings.Join(os.Args, " "))
		fmt.Printf("HOSTNAME=%s FOO=%s\n", os.Getenv("HOSTNAME"), os.Getenv("FOO"))
		fmt.Printf("WK_LISTEN_FDS=%s\n", os.Getenv("WK_LISTEN_FDS"))
		fmt.Fprintln(os.Stderr, "to stderr")
		code, _ := strconv.Atoi(args[0])
		os.Exit(code)
	case "cat":
		_, _ = io.Copy(os.Stdout, os.Stdin)
	case "spin":
		for i := 0; ; i++ {
			if i < 0 {
				fmt.Println(i)
			}
		}
	case "sleep":
		time.Sleep(time.Hour)
	case "oom":
		var keep [][]byte
		for {
			b := make([]byte, 1<<20)
			for i := range b {
				b[i] = 1
			}
			keep = append(keep, b)
		}
	case "write":
		check(os.WriteFile(args[0], []byte(args[1]), 0o644))
		fmt.Println("ok")
	case "touch":
		f, err := os.OpenFile(args[0], os.O_RDONLY|os.O_CREATE, 0o644)
		check(err)
		check(f.Close())
		fmt.Println("ok")
	case "read":
		b, err := os.ReadFile(args[0])
		check(err)
		fmt.Print(string(b))
	case "fsops":
		fsops(args[0])
	case "escape":
		escape(args[0])
	case "serve":
		serve(args, false)
	case "serve-sdk":
		serve(args, true)
	case "get":
		get(args[0], args[1])
	case "dial-steps":
		f, err := os.OpenFile("/net/tcp/"+args[0], os.O_RDWR, 0)
		check(err)
		fmt.Fprintln(os.Stderr, "opened")
		c, err := net.FileConn(f)
		check(err)
		fmt.Fprintln(os.Stderr, "fileconn")
		f.Close()
		fmt.Fprintln(os.Stderr, "closed")
		_ = c
	case "dial-sdk":
		c, err := guest.Dial("tcp", args[0])
		check(err)
		fmt.Fprintln(os.Stderr, "dialed")
		_, err = fmt.Fprintf(c, "GET / HTTP/1.0\r\nHost: x\r\n\r\n")
		check(err)
		fmt.Fprintln(os.Stderr, "wrote")
		b, err := io.ReadAll(c)
		check(err)
		fmt.Print(string(b))
	case "echo-blocking":
		echoBlocking()
	case "lookup":
		addrs, err := guest.LookupHost(args[0])
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			fmt.Println("not found")
			os.Exit(1)
		}
		check(err)
		fmt.Println(strings.Join(addrs, " "))
	case "get-sdk":
		resp, err := (&http.Client{Transport: guest.Transport()}).Get(args[0])
		check(err)
		b, err := io.ReadAll(resp.Body)
		check(err)
		fmt.Print(string(b))
	default:
		fmt.Fprintln(os.Stderr, "unknown command", os.Args[1])
		os.Exit(64)
	}
}

func check(err error) {
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}

// fsops exercises the usual file operations in dir.
func fsops(dir string) {
	check(os.MkdirAll(dir+"/a/b", 0o755))
	check(os.WriteFile(dir+"/a/b/f", []byte("12345"), 0o644))
	check(os.Rename(dir+"/a/b/f", dir+"/a/g"))
	f, err := os.OpenFile(dir+"/a/g", os.O_RDWR|os.O_APPEND, 0)
	check(err)
	_, err = f.WriteString("678")
	check(err)
	buf := make([]byte, 3)
	_, err = f.ReadAt(buf, 2)
	check(err)
	check(f.Truncate(7))
	check(f.Close())
	st, err := os.Stat(dir + "/a/g")
	check(err)
	entries, err := os.ReadDir(dir + "/a")
	check(err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	check(os.Remove(dir + "/a/b"))
	check(os.Chtimes(dir+"/a/g", time.Unix(1e9, 0), time.Unix(1e9, 0)))
	st2, err := os.Stat(dir + "/a/g")
	check(err)
	fmt.Printf("readat=%s size=%d entries=%s mtime=%d\n", buf, st.Size(), strings.Join(names, ","), st2.ModTime().Unix())
}

// escape tries to leave the volume mounted at dir and prints what worked.
func escape(dir string) {
	try := func(name string, err error) {
		if err != nil {
			fmt.Printf("%s: denied\n", name)
		} else {
			fmt.Printf("%s: escaped\n", name)
		}
	}
	_, err := os.ReadFile(dir + "/../outside.txt")
	try("dotdot", err)
	_, err = os.ReadFile(dir + "/abs-link/outside.txt")
	try("host-abs-link", err)
	_ = os.Symlink("/", dir+"/guest-abs")
	_, err = os.ReadFile(dir + "/guest-abs/outside.txt")
	try("guest-abs-link", err)
	err = os.Symlink("..", dir+"/guest-up")
	fmt.Printf("symlink-up-created: %v\n", err == nil)
	_, err = os.ReadFile(dir + "/guest-up/outside.txt")
	try("guest-up-link", err)
	err = os.WriteFile(dir+"/guest-up/planted.txt", []byte("x"), 0o644)
	try("guest-up-write", err)
	_, err = os.ReadFile(dir + "/inside-link")
	fmt.Printf("inside-link: %v\n", err == nil)
}

// listener returns the listener for $PROBE_PORT, or else the first of
// WK_LISTEN_FDS.
func listener(sdk bool) net.Listener {
	env := os.Getenv("WK_LISTEN_FDS")
	port, fd, _ := strings.Cut(strings.Split(env, ",")[0], "=")
	if p := os.Getenv("PROBE_PORT"); p != "" {
		port = p
		for entry := range strings.SplitSeq(env, ",") {
			if strings.HasPrefix(entry, p+"=") {
				fd = strings.TrimPrefix(entry, p+"=")
			}
		}
	}
	if sdk {
		n, _ := strconv.Atoi(port)
		ln, err := guest.Listen(n)
		check(err)
		return ln
	}
	n, err := strconv.Atoi(fd)
	check(err)
	check(syscall.SetNonblock(n, true))
	ln, err := net.FileListener(os.NewFile(uintptr(n), "listener"))
	check(err)
	return ln
}

// serve answers HTTP on the first listener; /proxy?to=HOST:PORT fetches /
// from another server through /net.
func serve(args []string, sdk bool) {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from %s %s", os.Getenv("HOSTNAME"), strings.Join(args, " "))
	})
	http.HandleFunc("/proxy", func(w http.ResponseWriter, r *http.Request) {
		resp, err := (&http.Client{Transport: guest.Transport()}).Get("http://" + r.URL.Query().Get("to") + "/")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		_, _ = io.Copy(w, resp.Body)
	})
	fmt.Println("serving")
	check(http.Serve(listener(sdk), nil))
}

// echoBlocking accepts one connection on the first listener and echoes it
// with blocking system calls, as a simple C server would.
func echoBlocking() {
	_, fd, _ := strings.Cut(strings.Split(os.Getenv("WK_LISTEN_FDS"), ",")[0], "=")
	lfd, err := strconv.Atoi(fd)
	check(err)
	cfd, _, err := syscall.Accept(lfd)
	check(err)
	buf := make([]byte, 4096)
	for {
		n, err := syscall.Read(cfd, buf)
		check(err)
		if n == 0 {
			break
		}
		_, err = syscall.Write(cfd, buf[:n])
		check(err)
	}
	check(syscall.Close(cfd))
	fmt.Println("echoed")
}

// get fetches path from addr over a raw /net/tcp file.
func get(addr, path string) {
	f, err := os.OpenFile("/net/tcp/"+addr, os.O_RDWR, 0)
	check(err)
	_, err = fmt.Fprintf(f, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, addr)
	check(err)
	resp, err := http.ReadResponse(bufio.NewReader(f), nil)
	check(err)
	b, err := io.ReadAll(resp.Body)
	check(err)
	fmt.Printf("%d %s", resp.StatusCode, b)
}
