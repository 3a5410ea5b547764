//go:build !unix

package gateway

// openFileLimit is unknown here.
func openFileLimit() uint64 { return 0 }
