//go:build race

package gateway_test

// raceEnabled: the race detector's instrumentation makes stack frames
// larger.
const raceEnabled = true
