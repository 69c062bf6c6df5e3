//go:build linux

package bench

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
	"strconv"
	"strings"
	"syscall"
	"time"
)

// perDelivery is CPU time cpu shared out over n deliveries (n > 0).
func perDelivery[N int | int64](cpu time.Duration, n N) time.Duration {
	return (cpu / time.Duration(n)).Round(10 * time.Nanosecond)
}

// ProcCPU is the user and system CPU time process pid has used, from
// /proc (0 if unknown); the benchmarks print CPU per request with it.
func ProcCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// After the parenthesised command, utime and stime are the 12th and
	// 13th fields, in clock ticks (100 per second on Linux).
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+st) * 10 * time.Millisecond
}

// procsCPU is ProcCPU summed over pids.
func procsCPU(pids []int) time.Duration {
	var d time.Duration
	for _, p := range pids {
		d += ProcCPU(p)
	}
	return d
}

// procsRSS is the VmRSS of pids, summed.
func procsRSS(pids []int) (int64, error) {
	var n int64
	for _, p := range pids {
		b, err := vmRSS(p)
		if err != nil {
			return 0, err
		}
		n += b
	}
	return n, nil
}

func vmRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10, nil
		}
	}
	return 0, errors.New("bench: no VmRSS")
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// child is a server process.
type child struct {
	cmd    *exec.Cmd
	url    string
	exited chan struct{} // closed when the process has exited
}

// startChild starts exe with args and env (the caller puts addr, where
// it listens, in them) and waits until GET health answers there.
func startChild(ctx context.Context, exe, addr string, args, env []string, health string) (*child, error) {
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the bench
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	c := &child{cmd: cmd, url: "http://" + addr, exited: exited}
	go func() { cmd.Wait(); close(exited) }()
	for range 600 {
		select {
		case <-exited:
			return nil, fmt.Errorf("bench: %s exited at start: %v", exe, cmd.ProcessState)
		case <-ctx.Done():
			c.kill()
			return nil, ctx.Err()
		default:
		}
		if res, err := http.Get(c.url + health); err == nil {
			res.Body.Close()
			if res.StatusCode < 300 {
				return c, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.kill()
	return nil, fmt.Errorf("bench: %s did not answer %s within a minute", exe, health)
}

func (c *child) pids() []int { return []int{c.cmd.Process.Pid} }

// stop ends the process with SIGTERM (SIGKILL after 15 s) and waits for it.
func (c *child) stop() {
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(15 * time.Second):
		c.kill()
	}
}

// kill ends the process at once, as a crash would.
func (c *child) kill() {
	c.cmd.Process.Kill()
	<-c.exited
}

func wsURL(u string) string { return "ws" + strings.TrimPrefix(u, "http") }

func dataDir() (string, error) { return os.MkdirTemp("", "crumb-bench-") }
