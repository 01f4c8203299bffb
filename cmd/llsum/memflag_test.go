package main

import "testing"

func TestParseByteSize(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"auto", 0, true},
		{"none", -1, true},
		{"512MiB", 512 << 20, true},
		{"512M", 512 << 20, true},
		{"1.5GiB", 3 << 29, true},
		{"2 GB", 2 << 30, true},
		{"65536", 65536, true},
		{"0", 0, false},
		{"-1", 0, false},
		{"12 parsecs", 0, false},
		{"99999999TiB", 0, false},
		{"", 0, false},
	}
	for _, c := range cases {
		got, err := parseByteSize(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("parseByteSize(%q) = %d, %v; want %d, ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
	if got := docMemory(300<<20, 8); got != 300<<20 {
		t.Errorf("explicit budget changed: %d", got)
	}
	for _, jobs := range []int{1, 2, 64, 4096} {
		if got := docMemory(0, jobs); got < autoDocMemoryMin || got > autoDocMemoryMax {
			t.Errorf("auto budget for %d jobs = %d, outside [%d, %d]", jobs, got, autoDocMemoryMin, autoDocMemoryMax)
		}
	}
}
