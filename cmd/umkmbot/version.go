package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set with -ldflags "-X main.version=v1.2.0 -X main.commit=abc123
// -X main.buildTime=2026-12-01T09:00:00Z" where the build has no module
// version or VCS information (the Dockerfile passes them); otherwise they
// come from the build information Go embeds.
var version, commit, buildTime string

func init() {
	addCommand("version", "print the module version, commit and build time", runVersion)
}

func runVersion(ctx context.Context, env *Env, args []string) error {
	fs := flagSet("version", env)
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	v, c, t, modified := buildVersion()
	if modified {
		c += " (modified)"
	}
	fmt.Fprintf(env.Stdout, "umkmbot %s\ncommit  %s\nbuilt   %s\ngo      %s %s/%s\n", v, c, t, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}

// buildVersion is the module version, VCS commit and commit time from the
// binary's build information, overridden by the -ldflags values.
func buildVersion() (ver, rev, at string, modified bool) {
	ver, rev, at = "(devel)", "unknown", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			ver = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	for dst, v := range map[*string]string{&ver: version, &rev: commit, &at: buildTime} {
		if v != "" {
			*dst = v
		}
	}
	return ver, rev, at, modified
}
