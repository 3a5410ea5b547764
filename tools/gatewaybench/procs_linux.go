package main

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// setDeathSignal ends the child with the benchmark, however it ends.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

func peakRSS(pid int) (int64, error)    { return readStatus(pid, "VmHWM") }
func currentRSS(pid int) (int64, error) { return readStatus(pid, "VmRSS") }

// anonRSS is the resident memory that is no file's: heap, stacks and the
// runtime's own, without the pages of the binary's code and data.
func anonRSS(pid int) (int64, error) { return readStatus(pid, "RssAnon") }

// clockTick is the unit of /proc's CPU times: USER_HZ, 100 on every Linux
// architecture Go supports.
const clockTick = 10 * time.Millisecond

func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	u, s, err := parseStatCPU(b)
	return time.Duration(u+s) * clockTick, err
}

// selfCPU returns the CPU time, user and system, this process has used.
func selfCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, err
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}
