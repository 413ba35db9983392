//go:build !linux

package cmd

import "syscall"

// childProcAttr: without Pdeathsig, children stop when `wk up` stops them.
func childProcAttr() *syscall.SysProcAttr { return nil }
