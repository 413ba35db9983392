package client

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
)

// Exec streams are framed: one byte naming the stream, four bytes of big-endian length, the data.
const (
	StreamStdout byte = 1
	StreamStderr byte = 2
	StreamExit   byte = 3 // data: the exit code in decimal
	StreamError  byte = 4 // data: why the command could not run
)

// FrameWriter writes one stream of an exec answer; several share one underlying writer.
type FrameWriter struct {
	mu     *sync.Mutex
	w      io.Writer
	flush  func()
	stream byte
}

// NewFrameWriters returns the stdout, stderr and control writers of one exec answer.
func NewFrameWriters(w io.Writer, flush func()) (stdout, stderr, control *FrameWriter) {
	mu := &sync.Mutex{}
	return &FrameWriter{mu, w, flush, StreamStdout}, &FrameWriter{mu, w, flush, StreamStderr}, &FrameWriter{mu, w, flush, 0}
}

func (f *FrameWriter) Write(p []byte) (int, error) {
	if err := f.frame(f.stream, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Exit ends the answer with the command's exit code.
func (f *FrameWriter) Exit(code int) error { return f.frame(StreamExit, []byte(strconv.Itoa(code))) }

// Fail ends the answer with why the command could not run.
func (f *FrameWriter) Fail(err error) error { return f.frame(StreamError, []byte(err.Error())) }

func (f *FrameWriter) frame(stream byte, p []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var hdr [5]byte
	hdr[0] = stream
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(p)))
	if _, err := f.w.Write(hdr[:]); err != nil {
		return err
	}
	if _, err := f.w.Write(p); err != nil {
		return err
	}
	if f.flush != nil {
		f.flush()
	}
	return nil
}

// ExecOptions says what to run and where its streams go.
type ExecOptions struct {
	Container string
	Command   []string
	Stdin     io.Reader // nil: none
	Stdout    io.Writer
	Stderr    io.Writer
}

// Exec runs a command in a pod's container and returns its exit code.
func (c *Client) Exec(ctx context.Context, ns, pod string, o ExecOptions) (int, error) {
	q := url.Values{"command": o.Command}
	if o.Container != "" {
		q.Set("container", o.Container)
	}
	path := "/api/v1/namespaces/" + url.PathEscape(ns) + "/pods/" + url.PathEscape(pod) + "/exec?" + q.Encode()
	body := o.Stdin
	if body == nil {
		body = http.NoBody
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.stream.Do(req)
	if err != nil {
		return 0, fmt.Errorf("exec in %s: %w", pod, unwrapURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, decodeStatus(resp)
	}
	return readFrames(resp.Body, o.Stdout, o.Stderr)
}

// readFrames copies an exec answer's streams until its exit frame.
func readFrames(r io.Reader, stdout, stderr io.Writer) (int, error) {
	var hdr [5]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return 0, errors.New("exec: the stream ended before the command's exit code")
		}
		data := make([]byte, binary.BigEndian.Uint32(hdr[1:]))
		if _, err := io.ReadFull(r, data); err != nil {
			return 0, errors.New("exec: the stream was cut")
		}
		switch hdr[0] {
		case StreamStdout:
			stdout.Write(data)
		case StreamStderr:
			stderr.Write(data)
		case StreamExit:
			return strconv.Atoi(string(data))
		case StreamError:
			return 0, errors.New(string(data))
		}
	}
}
