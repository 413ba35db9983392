package store

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// crashChildEnv names the store dir when this test binary runs as TestCrashRecovery's child.
const crashChildEnv = "WK_STORE_CRASH_CHILD_DIR"

// crashKeys is how many acknowledged keys the parent waits for before the kill.
const crashKeys = 1000

// TestCrashRecovery runs a child process that writes from 4 goroutines and prints every
// acknowledged write, SIGKILLs it mid-stream, and checks that the reopened store has every
// acknowledged write and a gap-free change log.
func TestCrashRecovery(t *testing.T) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("multi-process test; runs without -short")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashRecovery$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[string]int64{} // key -> revision of its last acknowledged write
	var maxRev int64
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		var key string
		var rev int64
		if _, err := fmt.Sscanf(sc.Text(), "ack %s %d", &key, &rev); err != nil {
			continue
		}
		acked[key] = max(acked[key], rev)
		maxRev = max(maxRev, rev)
		if len(acked) == crashKeys {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
		}
	}
	_ = cmd.Wait()
	if len(acked) < crashKeys {
		t.Fatalf("child acknowledged only %d keys", len(acked))
	}

	s := openTest(t, func(c *Config) { c.Dir = dir })
	if s.Rev() < maxRev {
		t.Fatalf("Rev = %d, below acknowledged revision %d", s.Rev(), maxRev)
	}
	for key, rev := range acked {
		kv, err := s.Get(key)
		if err != nil {
			t.Fatalf("acknowledged key %s: %v", key, err)
		}
		if kv.Rev < rev {
			t.Fatalf("key %s at revision %d, acknowledged %d", key, kv.Rev, rev)
		}
	}
	checkLogConsistent(t, s)
	t.Logf("child acknowledged %d keys up to revision %d; reopened at revision %d", len(acked), maxRev, s.Rev())
}

// checkLogConsistent replays the whole change log: every revision 1..Rev exactly once, and the
// last change of every key matches its stored state.
func checkLogConsistent(t *testing.T, s *Store) {
	t.Helper()
	last := map[string]int64{}
	var rev int64
	for rev < s.Rev() {
		evs, next, err := s.readLog("", rev, s.Rev())
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if ev.KV.Rev != rev+1 {
				t.Fatalf("change log: revision %d after %d", ev.KV.Rev, rev)
			}
			rev = ev.KV.Rev
			last[ev.KV.Key] = rev
		}
		rev = next
	}
	kvs, listRev, err := s.List("")
	if err != nil || listRev != s.Rev() {
		t.Fatalf("list at %d: %v", listRev, err)
	}
	for _, kv := range kvs {
		if last[kv.Key] != kv.Rev {
			t.Fatalf("key %s at revision %d, its last change is %d", kv.Key, kv.Rev, last[kv.Key])
		}
	}
}

// crashChild writes until it is killed (or for at most 30s) and prints each acknowledged write.
func crashChild(dir string) {
	cfg := DefaultConfig()
	cfg.Dir = dir
	s, err := Open(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex
	ack := func(kv KV) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(os.Stdout, "ack %s %d\n", kv.Key, kv.Rev)
	}
	deadline := time.Now().Add(30 * time.Second)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := 0; time.Now().Before(deadline); i++ {
				key := fmt.Sprintf("g%d/%06d", g, i)
				val := []byte(strings.Repeat("v", i%2000)) // both sides of the value threshold
				kv, err := s.Create(key, val)
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				ack(kv)
				if i%4 == 0 {
					if kv, err = s.Update(key, append(val, 'u'), kv.Rev); err != nil {
						fmt.Fprintln(os.Stderr, err)
						os.Exit(2)
					}
					ack(kv)
				}
			}
		})
	}
	wg.Wait()
	os.Exit(3)
}
