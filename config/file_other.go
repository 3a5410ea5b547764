//go:build !unix

package config

// openNoBlock is no flag here.
const openNoBlock = 0
