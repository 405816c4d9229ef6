package main

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
)

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
