package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// buildVersion is set at link time by release builds:
//
//	go build -ldflags "-X main.buildVersion=v1.2.3" ./cmd/gateway
//
// It is the one package-level variable: -X can set nothing else.
var buildVersion string

// version is the build's version: the one set at link time, else the
// module version that go install records (v1.2.3), else the VCS revision
// of a build from a checkout, else "devel".
func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "-dirty"
			}
		}
	}
	if rev != "" {
		return "devel-" + rev[:min(len(rev), 12)] + modified
	}
	return "devel"
}

// versionLine is what -version prints.
func versionLine() string {
	return fmt.Sprintf("ipack-gateway %s (%s %s/%s)", version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
