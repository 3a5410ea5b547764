//go:build unix

package config

import "syscall"

// openNoBlock keeps the open of a named pipe from waiting for a writer.
const openNoBlock = syscall.O_NONBLOCK
