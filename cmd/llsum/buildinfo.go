package main

import (
	"runtime/debug"
	"strings"
)

// currentVersion is llsum's version: the one set at build time (-X
// main.version; release builds set the tag), else the module version that
// `go install github.com/llsum/llsum/cmd/llsum@vX.Y.Z` records, else "dev".
func currentVersion() string {
	bi, _ := debug.ReadBuildInfo()
	return versionFrom(version, bi)
}

func versionFrom(ldflag string, bi *debug.BuildInfo) string {
	if ldflag != "" && ldflag != "dev" {
		return strings.TrimPrefix(ldflag, "v")
	}
	if bi != nil && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return strings.TrimPrefix(bi.Main.Version, "v")
	}
	return "dev"
}
