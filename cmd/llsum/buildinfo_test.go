package main

import (
	"runtime/debug"
	"testing"
)

func TestVersionFrom(t *testing.T) {
	mod := func(v string) *debug.BuildInfo {
		return &debug.BuildInfo{Main: debug.Module{Path: "github.com/llsum/llsum", Version: v}}
	}
	cases := []struct {
		ldflag string
		bi     *debug.BuildInfo
		want   string
	}{
		{"1.4.0", mod("(devel)"), "1.4.0"},     // goreleaser: the tag without v
		{"v1.4.0-3-gabc", nil, "1.4.0-3-gabc"}, // make build: git describe
		{"dev", mod("v1.5.2"), "1.5.2"},        // go install …@v1.5.2
		{"dev", mod("(devel)"), "dev"},         // go build in a clone
		{"", nil, "dev"},
	}
	for _, c := range cases {
		if got := versionFrom(c.ldflag, c.bi); got != c.want {
			t.Errorf("versionFrom(%q, %v) = %q, want %q", c.ldflag, c.bi, got, c.want)
		}
	}
}
