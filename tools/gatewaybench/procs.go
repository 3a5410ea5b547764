package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// binaries are the programs under test, built from this module.
type binaries struct {
	gateway, platformsim string
}

// buildBinaries compiles cmd/gateway and cmd/platformsim into dir, as
// separate programs, so that the benchmark measures what users run.
func buildBinaries(ctx context.Context, dir string, stderr io.Writer) (binaries, error) {
	const module = "github.com/ipack-gateway/ipack-gateway"
	cmd := exec.CommandContext(ctx, "go", "build", "-o", dir+string(filepath.Separator), module+"/cmd/gateway", module+"/cmd/platformsim")
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		return binaries{}, fmt.Errorf("building the gateway and the simulator (run from the module's directory): %w", err)
	}
	return binaries{gateway: filepath.Join(dir, "gateway"), platformsim: filepath.Join(dir, "platformsim")}, nil
}

// proc is a started server process.
type proc struct {
	name string
	url  string // http://127.0.0.1:port
	// debugURL is the gateway's -debug-listen (pprof), with -profile.
	debugURL string
	cmd      *exec.Cmd
	done     chan struct{} // closed when the process has exited
	err      error         // its exit status, once done
}

// freeAddr finds a loopback port that nothing listens on. Another process
// could take it before ours binds it; on a benchmark machine none does.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startProc runs bin with args plus "-listen ADDR" and waits until
// healthPath answers 200. Its output goes to logPath.
func startProc(ctx context.Context, name, bin, healthPath, logPath string, args ...string) (*proc, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, append(args, "-listen", addr)...)
	out, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer out.Close() // the child holds its own descriptor
	cmd.Stdout, cmd.Stderr = out, out
	setDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &proc{name: name, url: "http://" + addr, cmd: cmd, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()

	// Poll until ready, for at most 10 s.
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := client.Get(p.url + healthPath)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("%s exited before it was ready (%v): %s", name, p.err, logTail(logPath))
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("%s was not ready within 10s", name)
		}
	}
}

// logTail returns the end of a log, for an error message.
func logTail(path string) string {
	b, _ := os.ReadFile(path)
	const max = 2000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return strings.TrimSpace(string(b))
}

// stop asks the process to end (SIGTERM), and kills it after 5 s.
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// peakRSS returns the process's peak resident set size so far, in bytes.
func (p *proc) peakRSS() (int64, error) { return peakRSS(p.cmd.Process.Pid) }

// rss returns the process's resident set size now, in bytes.
func (p *proc) rss() (int64, error) { return currentRSS(p.cmd.Process.Pid) }

// anonRSS is p's resident memory that is no file's (see anonRSS).
func (p *proc) anonRSS() (int64, error) { return anonRSS(p.cmd.Process.Pid) }

// cpu returns the CPU time, user and system, the process has used so far.
func (p *proc) cpu() (time.Duration, error) { return cpuTime(p.cmd.Process.Pid) }

// parseStatCPU reads utime and stime, in clock ticks, from the text of
// /proc/PID/stat. The command name, field 2, may hold spaces and
// parentheses, so fields are counted from the last ')'.
func parseStatCPU(stat []byte) (utime, stime int64, err error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, 0, errors.New("unreadable /proc stat")
	}
	f := strings.Fields(string(stat[i+1:]))
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, 0, errors.New("short /proc stat")
	}
	if utime, err = strconv.ParseInt(f[11], 10, 64); err != nil {
		return 0, 0, err
	}
	stime, err = strconv.ParseInt(f[12], 10, 64)
	return utime, stime, err
}

// errNoProc is returned where the platform cannot tell a process's memory.
var errNoProc = errors.New("memory figures need Linux's /proc")

// parseStatusKB reads a "Name:   1234 kB" line of /proc/PID/status.
func parseStatusKB(status []byte, name string) (int64, error) {
	for line := range strings.Lines(string(status)) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), name+":")
		if !ok {
			continue
		}
		var kb int64
		var unit string
		if _, err := fmt.Sscan(rest, &kb, &unit); err != nil || unit != "kB" {
			return 0, fmt.Errorf("unreadable %s line %q", name, line)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("no %s line", name)
}

func readStatus(pid int, name string) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 0, errNoProc
		}
		return 0, err
	}
	return parseStatusKB(b, name)
}
