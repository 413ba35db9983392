package node

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/wk-project/wk/control/api"
)

// machineCapacity measures this machine: its CPUs, its memory, and the pod count Kubernetes allows.
func machineCapacity() api.ResourceList {
	return api.ResourceList{
		"cpu":    api.NewMilliQuantity(int64(runtime.NumCPU()) * 1000),
		"memory": api.NewBytesQuantity(memTotal()),
		"pods":   api.NewMilliQuantity(110 * 1000),
	}
}

// memTotal reads MemTotal from /proc/meminfo; 0 where there is none.
func memTotal() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, _ := strconv.ParseInt(fields[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// osImage is PRETTY_NAME from /etc/os-release, as the kubelet reports it.
func osImage() string {
	b, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

// kernelVersion is the running kernel's release.
func kernelVersion() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
