//go:build !linux

package main

import (
	"os/exec"
	"time"
)

func setDeathSignal(*exec.Cmd) {}

func peakRSS(int) (int64, error)         { return 0, errNoProc }
func currentRSS(int) (int64, error)      { return 0, errNoProc }
func anonRSS(int) (int64, error)         { return 0, errNoProc }
func cpuTime(int) (time.Duration, error) { return 0, errNoProc }
func selfCPU() (time.Duration, error)    { return 0, errNoProc }
