package main

import (
	"os/exec"
	"syscall"
)

// setDeathSignal ends the child with the benchmark, however it ends.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

func peakRSS(pid int) (int64, error)    { return readStatus(pid, "VmHWM") }
func currentRSS(pid int) (int64, error) { return readStatus(pid, "VmRSS") }
