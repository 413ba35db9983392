package node

import (
	"os"
	"path/filepath"
	"sync"
)

// maxLogBytes is the size at which a container's log file rotates to NAME.log.1.
const maxLogBytes = 10 << 20

// logFile is a container's log: what the current instance writes, capped and rotated. At a restart
// the current file becomes NAME.previous.log, which `wk logs --previous` shows.
type logFile struct {
	mu   sync.Mutex
	path string
	f    *os.File
	size int64
}

func logPath(podDir, container string) string {
	return filepath.Join(podDir, "logs", container+".log")
}

func previousLogPath(podDir, container string) string {
	return filepath.Join(podDir, "logs", container+".previous.log")
}

// openLog starts a new instance's log; an existing one becomes the previous instance's.
func openLog(podDir, container string) (*logFile, error) {
	path := logPath(podDir, container)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); err == nil {
		os.Rename(path, previousLogPath(podDir, container))
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	return &logFile{path: path, f: f}, nil
}

func (l *logFile) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return len(p), nil
	}
	if l.size+int64(len(p)) > maxLogBytes {
		l.f.Close()
		os.Rename(l.path, l.path+".1")
		f, err := os.OpenFile(l.path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			l.f = nil
			return len(p), nil
		}
		l.f, l.size = f, 0
	}
	n, err := l.f.Write(p)
	l.size += int64(n)
	return n, err
}

func (l *logFile) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
