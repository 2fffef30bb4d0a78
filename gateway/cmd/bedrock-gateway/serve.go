package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	bedrockctl "github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/openwebui-bedrock/gateway/bedrock"
	"github.com/openwebui-bedrock/gateway/config"
	"github.com/openwebui-bedrock/gateway/emulator"
	"github.com/openwebui-bedrock/gateway/imagefetch"
	"github.com/openwebui-bedrock/gateway/metrics"
	"github.com/openwebui-bedrock/gateway/server"
	"github.com/openwebui-bedrock/gateway/tracing"
)

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bedrock-gateway", flag.ContinueOnError)
	fs.SetOutput(stderr)
	useEmulator := fs.Bool("emulator", false, "serve from a built-in Bedrock emulator (no AWS account needed)")
	addr := fs.String("addr", "", "listen address (default :$PORT)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if cfg.Debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: level}))
	if *addr == "" {
		*addr = ":" + strconv.Itoa(cfg.Port)
	}

	if tracing.Enabled(getenv) {
		stopTracing, err := tracing.Setup(ctx, "bedrock-gateway", buildVersion())
		if err != nil {
			return err
		}
		defer func() {
			flushCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			stopTracing(flushCtx)
		}()
		log.Info("OpenTelemetry tracing on (OTLP/HTTP)")
	}

	awsCfg, stopEmulator, err := awsConfig(ctx, cfg, *useEmulator)
	if err != nil {
		return err
	}
	defer stopEmulator()

	key, generated, err := resolveAPIKey(ctx, cfg, awsCfg, *useEmulator)
	if err != nil {
		return err
	}

	cat := bedrock.NewCatalogue(bedrockctl.NewFromConfig(awsCfg), bedrock.CatalogueOptions{CrossRegion: cfg.CrossRegion,
		AppProfiles: cfg.AppProfiles, Allow: cfg.ModelAllowlist, Aliases: cfg.ModelAliases}, log)
	loadCtx, cancelLoad := context.WithTimeout(ctx, 15*time.Second)
	if err := cat.Refresh(loadCtx); err != nil {
		// Start anyway: /health must answer, and the catalogue keeps retrying in the background.
		log.Error("could not load the model catalogue from Bedrock; retrying in the background", "error", err)
	}
	cancelLoad()
	bgCtx, stopBackground := context.WithCancel(context.Background())
	defer stopBackground()
	go cat.Run(bgCtx, cfg.ModelRefresh)

	svc := &bedrock.Service{Runtime: bedrockruntime.NewFromConfig(awsCfg), Catalogue: cat, DefaultModel: cfg.DefaultModel,
		Options: translateOptions(cfg)}
	if cfg.ImageFetch {
		svc.Images = imagefetch.New(imagefetch.Config{MaxBytes: cfg.ImageFetchMaxBytes, Timeout: cfg.ImageFetchTimeout,
			AllowHosts: cfg.ImageFetchAllowHosts, UserAgent: "bedrock-gateway/" + buildVersion()})
	}
	reg := metrics.New()
	srv := server.New(server.Options{
		Prefix: cfg.RoutePrefix, APIKeys: []string{key}, AllowedOrigins: cfg.AllowedOrigins,
		MaxRequestBytes: cfg.MaxRequestBytes, PingInterval: cfg.PingInterval, Debug: cfg.Debug,
		Metrics: reg, BodyReadTimeout: cfg.BodyReadTimeout, MaxMessages: cfg.MaxMessages,
		MaxConcurrentPerKey: cfg.MaxConcurrentKey, RequestsPerMinute: cfg.RatePerMinuteKey,
	}, svc, log).WithEmbedder(&bedrock.Embedder{Runtime: svc.Runtime, Catalogue: cat, DefaultModel: cfg.DefaultEmbedModel})

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout, // slow-loris; bodies get their own deadline, streams none
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("gateway started", "version", buildVersion(), "addr", ln.Addr().String(), "region", cfg.Region,
		"models", cat.Len(), "emulator", *useEmulator, "route_prefix", cfg.RoutePrefix)
	if generated {
		printDemoBanner(stderr, ln.Addr(), cfg.RoutePrefix, key)
	}

	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	if cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("listen on METRICS_ADDR=%s: %w", cfg.MetricsAddr, err)
		}
		ms := &http.Server{Handler: reg.Handler(), ReadHeaderTimeout: 10 * time.Second}
		go ms.Serve(mln)
		defer ms.Close()
		log.Info("metrics listening", "addr", mln.Addr().String())
	}
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}

	// Graceful stop: /health turns 503 and new API requests are refused (503, Connection: close) while the listener
	// stays open, so health checks see the state; in-flight requests and streams may finish within the drain
	// window (SHUTDOWN_TIMEOUT, inside ECS's stop timeout); then the server closes and whatever is left is cut.
	srv.Drain()
	log.Info("shutting down; draining in-flight requests", "in_flight", srv.InFlight(), "timeout", cfg.ShutdownTimeout.String())
	deadline := time.Now().Add(cfg.ShutdownTimeout)
	for srv.InFlight() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	drainCtx, cancelDrain := context.WithDeadline(context.Background(), deadline.Add(time.Second))
	defer cancelDrain()
	if err := hs.Shutdown(drainCtx); err != nil {
		log.Warn("drain window over; closing remaining connections", "error", err, "in_flight", srv.InFlight())
		hs.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("gateway stopped")
	return nil
}

// awsConfig builds the SDK configuration: the default credential chain and region (with the SDK's standard
// AWS_ENDPOINT_URL_BEDROCK_RUNTIME / AWS_ENDPOINT_URL_BEDROCK overrides), or an in-process emulator.
func awsConfig(ctx context.Context, cfg config.Config, useEmulator bool) (aws.Config, func(), error) {
	if useEmulator {
		emu, err := emulator.Start(emulator.Config{Region: cfg.Region})
		if err != nil {
			return aws.Config{}, nil, fmt.Errorf("start the Bedrock emulator: %w", err)
		}
		return bedrock.StaticConfig(cfg.Region, emu.URL, emulator.DefaultAccessKeyID, emulator.DefaultSecretAccessKey, cfg.MaxAttempts),
			func() { emu.Close() }, nil
	}
	c, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(cfg.Region), awsconfig.WithRetryer(bedrock.NewRetryer(cfg.MaxAttempts)))
	if err != nil {
		return aws.Config{}, nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	c.HTTPClient = bedrock.WrapHTTPClient(c.HTTPClient)
	if cfg.CleartextHTTP2 {
		c.HTTPClient = bedrock.NewCleartextHTTP2Client()
	}
	return c, func() {}, nil
}

func translateOptions(cfg config.Config) bedrock.TranslateOptions {
	o := bedrock.TranslateOptions{PromptCaching: cfg.PromptCaching}
	switch cfg.ReasoningOutput {
	case "think":
		o.Reasoning = bedrock.ReasoningThinkTags
	case "none":
		o.Reasoning = bedrock.ReasoningOmit
	}
	if cfg.GuardrailID != "" {
		o.Guardrail = &types.GuardrailConfiguration{GuardrailIdentifier: aws.String(cfg.GuardrailID), GuardrailVersion: aws.String(cfg.GuardrailVersion)}
	}
	return o
}

func printDemoBanner(w io.Writer, addr net.Addr, prefix, key string) {
	port := "8080"
	if ta, ok := addr.(*net.TCPAddr); ok {
		port = strconv.Itoa(ta.Port)
	}
	base := "http://localhost:" + port + prefix
	fmt.Fprintf(w, `
Bedrock gateway on the built-in emulator. API key (generated for this run): %s

  curl -s %s/chat/completions -H "Authorization: Bearer %s" -H "Content-Type: application/json" \
    -d '{"model":"anthropic.claude-3-haiku-20240307-v1:0","messages":[{"role":"user","content":"Hello"}]}'

OpenAI SDKs: base URL %s, API key as above.

`, key, base, key, base)
}

func randomKey() string { return "sk-emulator-" + rand.Text() }
