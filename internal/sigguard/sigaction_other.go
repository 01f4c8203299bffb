//go:build !(linux && (amd64 || arm64))

package sigguard

import (
	"errors"
	"syscall"
)

type sigaction struct{}

var errUnsupported = errors.New("sigguard: not supported on this platform")

func getAction(syscall.Signal) (sigaction, error) { return sigaction{}, errUnsupported }
func setAction(syscall.Signal, sigaction) error   { return errUnsupported }
