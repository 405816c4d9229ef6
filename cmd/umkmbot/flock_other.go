//go:build !unix

package main

import (
	"fmt"
	"os"
)

// tryLock cannot lock here: the caller falls back to a per-process name.
func tryLock(f *os.File) (bool, error) {
	return false, fmt.Errorf("file locks are not supported on this system; set INSTANCE_ID")
}
