// Command bedrock-gateway serves the OpenAI API over Amazon Bedrock.
//
//	bedrock-gateway [-emulator] [-addr host:port]   serve (on a built-in Bedrock emulator with -emulator)
//	bedrock-gateway healthcheck                       probe http://127.0.0.1:$PORT/health; exit 0 when healthy
//	bedrock-gateway smoke --url URL --key KEY         check a running gateway end to end; exit 1 on any failure
//	bedrock-gateway version                           print the version
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// version is stamped at build time: -ldflags "-X main.version=<git sha>".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bedrock-gateway:", err)
		os.Exit(1)
	}
}

// run is the whole program, callable from tests: ctx ends it (as SIGTERM does), getenv replaces the environment.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "healthcheck":
			return healthcheck(ctx, getenv)
		case "smoke":
			return runSmoke(ctx, args[1:], stdout, stderr)
		case "version":
			fmt.Fprintln(stdout, buildVersion())
			return nil
		}
	}
	return serve(ctx, args, getenv, stdout, stderr)
}

func buildVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return version
}
