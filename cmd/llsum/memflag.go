package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/llsum/llsum/extract"
)

// byteSizeValue is a flag holding a number of bytes written with an
// optional binary unit (512MiB, 1G, 65536), "auto" (0: decided at run
// time) or "none" (-1: no limit).
type byteSizeValue struct{ p *int64 }

func (v byteSizeValue) Type() string { return "size" }

func (v byteSizeValue) String() string {
	switch n := *v.p; {
	case n == 0:
		return "auto"
	case n < 0:
		return "none"
	case n%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", n>>30)
	case n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return strconv.FormatInt(*v.p, 10)
}

func (v byteSizeValue) Set(s string) error {
	n, err := parseByteSize(s)
	if err != nil {
		return err
	}
	*v.p = n
	return nil
}

// parseByteSize reads "auto" (0), "none" (-1) or a positive size with an
// optional unit: B, K/KB/KiB, M/MB/MiB, G/GB/GiB (all binary).
func parseByteSize(s string) (int64, error) {
	t := strings.TrimSpace(strings.ToLower(s))
	switch t {
	case "auto":
		return 0, nil
	case "none":
		return -1, nil
	}
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.TrimSpace(t[i:])
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f <= 0 {
		return 0, fmt.Errorf("%q: want a positive size such as 512MiB or 2GiB, auto or none", s)
	}
	shift := map[string]uint{"": 0, "b": 0, "k": 10, "kb": 10, "kib": 10, "m": 20, "mb": 20, "mib": 20, "g": 30, "gb": 30, "gib": 30, "t": 40, "tb": 40, "tib": 40}
	sh, ok := shift[unit]
	if !ok {
		return 0, fmt.Errorf("%q: unknown unit %q (B, KiB, MiB, GiB, TiB)", s, unit)
	}
	bytes := f * float64(uint64(1)<<sh)
	if bytes >= 1<<62 {
		return 0, fmt.Errorf("%q: too large", s)
	}
	return max(int64(bytes), 1), nil
}

// Bounds of the automatic per-document memory budget.
const (
	autoDocMemoryMin = 64 << 20
	autoDocMemoryMax = 192 << 20
)

// docMemory resolves --doc-memory for jobs documents in flight: the value
// given, or a quarter of the memory available to the process (the
// cgroup's limit when lower than RAM) divided by jobs, within 64–192 MiB.
func docMemory(flag int64, jobs int) int64 {
	if flag != 0 {
		return flag
	}
	total := availableMemory()
	if total <= 0 {
		return extract.DefaultMemoryBudget
	}
	return min(max(total/4/int64(max(jobs, 1)), autoDocMemoryMin), autoDocMemoryMax)
}

// availableMemory is the machine's RAM, or the process's cgroup memory
// limit when lower; 0 when unknown.
func availableMemory() int64 {
	var total int64
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if kb, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
				n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(kb), "kB")), 10, 64)
				total = n << 10
				break
			}
		}
		f.Close()
	}
	for _, p := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if n, err := strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64); err == nil && n > 0 && (total == 0 || n < total) {
			total = n
		}
	}
	return total
}
