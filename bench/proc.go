package bench

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// ErrProc reports a /proc file that could not be read or parsed.
var ErrProc = errors.New("bench: /proc")

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat; it
// is 100 on every Linux architecture Go supports.
const clockTicks = 100

// CPU is a process's CPU time so far, from /proc/PID/stat (all threads).
type CPU struct {
	UserSec, SysSec float64
}

// Total is user plus system time.
func (c CPU) Total() float64 { return c.UserSec + c.SysSec }

// Sub is c minus o.
func (c CPU) Sub(o CPU) CPU { return CPU{c.UserSec - o.UserSec, c.SysSec - o.SysSec} }

// ReadCPU sums utime and stime over pids.
func ReadCPU(pids []int) (CPU, error) {
	var c CPU
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return CPU{}, fmt.Errorf("%w: %v", ErrProc, err)
		}
		// The command name may hold spaces; the fields after it are fixed.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			return CPU{}, fmt.Errorf("%w: /proc/%d/stat: no ')'", ErrProc, pid)
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 13 {
			return CPU{}, fmt.Errorf("%w: /proc/%d/stat: %d fields", ErrProc, pid, len(f))
		}
		ut, err1 := strconv.ParseUint(f[11], 10, 64) // field 14, utime
		st, err2 := strconv.ParseUint(f[12], 10, 64) // field 15, stime
		if err1 != nil || err2 != nil {
			return CPU{}, fmt.Errorf("%w: /proc/%d/stat: utime/stime", ErrProc, pid)
		}
		c.UserSec += float64(ut) / clockTicks
		c.SysSec += float64(st) / clockTicks
	}
	return c, nil
}

// ReadRSS sums VmRSS over pids, in bytes.
func ReadRSS(pids []int) (int64, error) {
	var total int64
	for _, pid := range pids {
		v, err := statusField(fmt.Sprintf("/proc/%d/status", pid), "VmRSS")
		if err != nil {
			return 0, err
		}
		total += v
	}
	return total, nil
}

// statusField reads a "Name:   N kB" line of a /proc status-like file, in
// bytes.
func statusField(path, name string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrProc, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || k != name {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			break
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			break
		}
		if len(f) > 1 && f[1] == "kB" {
			n <<= 10
		}
		return n, nil
	}
	return 0, fmt.Errorf("%w: %s has no %s", ErrProc, path, name)
}

// Kernel is the machine-wide memory the kernel spends on sockets.
type Kernel struct {
	SlabBytes     int64 `json:"slab_bytes"`      // /proc/meminfo Slab
	TCPInUse      int64 `json:"tcp_inuse"`       // /proc/net/sockstat TCP inuse
	TCPMemBytes   int64 `json:"tcp_mem_bytes"`   // TCP mem (pages of socket buffers)
	SockUsed      int64 `json:"sockets_used"`    // sockets: used
	MemAvailBytes int64 `json:"mem_avail_bytes"` // /proc/meminfo MemAvailable
}

// ReadKernel samples /proc/meminfo and /proc/net/sockstat.
func ReadKernel() (Kernel, error) {
	var k Kernel
	var err error
	if k.SlabBytes, err = statusField("/proc/meminfo", "Slab"); err != nil {
		return k, err
	}
	if k.MemAvailBytes, err = statusField("/proc/meminfo", "MemAvailable"); err != nil {
		return k, err
	}
	b, err := os.ReadFile("/proc/net/sockstat")
	if err != nil {
		return k, fmt.Errorf("%w: %v", ErrProc, err)
	}
	page := int64(os.Getpagesize())
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		for i := 1; i+1 < len(f); i += 2 {
			n, _ := strconv.ParseInt(f[i+1], 10, 64)
			switch f[0] + f[i] {
			case "sockets:used":
				k.SockUsed = n
			case "TCP:inuse":
				k.TCPInUse = n
			case "TCP:mem":
				k.TCPMemBytes = n * page
			}
		}
	}
	return k, nil
}

// ReadPeakRSS sums VmHWM (the resident set's high-water mark) over pids.
func ReadPeakRSS(pids []int) (int64, error) {
	var total int64
	for _, pid := range pids {
		v, err := statusField(fmt.Sprintf("/proc/%d/status", pid), "VmHWM")
		if err != nil {
			return 0, err
		}
		total += v
	}
	return total, nil
}

// ReadSlabs reads /proc/slabinfo (root only): bytes in use per slab cache,
// active objects times object size. It tells which kernel objects a socket
// costs.
func ReadSlabs() (map[string]int64, error) {
	b, err := os.ReadFile("/proc/slabinfo")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProc, err)
	}
	out := map[string]int64{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || strings.HasPrefix(f[0], "#") || f[0] == "slabinfo" {
			continue
		}
		active, err1 := strconv.ParseInt(f[1], 10, 64)
		size, err2 := strconv.ParseInt(f[3], 10, 64)
		if err1 == nil && err2 == nil {
			out[f[0]] = active * size
		}
	}
	return out, nil
}

// ReadRunDelay sums, over every thread of pids, the time spent runnable but
// waiting for a CPU (/proc/PID/task/TID/schedstat, second field). On a
// machine shared with other work it says how long a process was kept off
// its core: latency measured meanwhile includes that wait.
func ReadRunDelay(pids []int) (time.Duration, error) {
	var total time.Duration
	for _, pid := range pids {
		tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
		if err != nil {
			return 0, fmt.Errorf("%w: %v", ErrProc, err)
		}
		for _, t := range tasks {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, t.Name()))
			if err != nil {
				continue // the thread ended meanwhile
			}
			f := strings.Fields(string(b))
			if len(f) < 2 {
				continue
			}
			ns, err := strconv.ParseInt(f[1], 10, 64)
			if err == nil {
				total += time.Duration(ns)
			}
		}
	}
	return total, nil
}
