package cmd

import "syscall"

// childProcAttr makes a child process get SIGTERM when wk dies, so that no agent outlives `wk up`.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
