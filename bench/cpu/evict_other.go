//go:build !linux

package main

import "errors"

// runEvict needs posix_fadvise; the benchmark's figures are Linux's.
func runEvict([]string) error { return errors.New("evict: Linux only") }
