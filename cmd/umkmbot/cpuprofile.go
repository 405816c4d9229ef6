package main

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"runtime/pprof"
)

// tuneGC trades memory the service does not use for less garbage
// collection (a sixth of serve's CPU at load with the default): GOGC 200,
// bounded by a soft memory limit of 64 MiB so serve stays under 100 MB.
// GOGC or GOMEMLIMIT in the environment win.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(64 << 20)
	}
}

// UMKMBOT_CPUPROFILE=file makes serve write a CPU profile of its whole run
// (for measuring under the bench harness).
func init() {
	addService("cpuprofile", func(ctx context.Context, a *App) error {
		path := os.Getenv("UMKMBOT_CPUPROFILE")
		if path == "" {
			return nil
		}
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return fmt.Errorf("cpu profile: %w", err)
		}
		<-ctx.Done()
		pprof.StopCPUProfile()
		return f.Close()
	})
}
