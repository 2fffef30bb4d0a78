// Command bedrock-emulator runs the Bedrock emulator on its own, so the
// gateway, the AWS CLI or any AWS SDK can be pointed at it:
//
//	go run ./gateway/cmd/bedrock-emulator -addr 127.0.0.1:4010
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/openwebui-bedrock/gateway/emulator"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bedrock-emulator:", err)
		os.Exit(1)
	}
}

// run is the whole program; main only supplies the process environment.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bedrock-emulator", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:4010", "listen address")
	region := fs.String("region", emulator.DefaultRegion, "AWS region the emulator answers for (requests must be signed for it)")
	accessKey := fs.String("access-key-id", envOr(getenv, "EMULATOR_ACCESS_KEY_ID", emulator.DefaultAccessKeyID), "accepted access key id (env EMULATOR_ACCESS_KEY_ID)")
	secretKey := fs.String("secret-access-key", envOr(getenv, "EMULATOR_SECRET_ACCESS_KEY", emulator.DefaultSecretAccessKey), "its secret key (env EMULATOR_SECRET_ACCESS_KEY)")
	debug := fs.Bool("debug", false, "log every request")
	if err := fs.Parse(args); err != nil {
		return err
	}
	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: level}))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := emulator.Serve(ln, emulator.Config{
		Region:      *region,
		Credentials: map[string]string{*accessKey: *secretKey},
		Logger:      logger,
	})
	logger.Info("bedrock emulator listening", "url", srv.URL, "region", *region,
		"hint", fmt.Sprintf("AWS_ENDPOINT_URL_BEDROCK_RUNTIME=%[1]s AWS_ENDPOINT_URL_BEDROCK=%[1]s AWS_ACCESS_KEY_ID=%[2]s AWS_SECRET_ACCESS_KEY=%[3]s AWS_REGION=%[4]s",
			srv.URL, *accessKey, *secretKey, *region))

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
	}
	return nil
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}
