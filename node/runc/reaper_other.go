//go:build !linux

package runc

import "errors"

func setSubreaper() error { return errors.New("child subreaper: linux only") }
