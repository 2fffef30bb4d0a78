package main

import (
	"context"
	"flag"
	"io"
	"time"

	"github.com/openwebui-bedrock/gateway/smoke"
)

// runSmoke is `bedrock-gateway smoke`: the operator's and CI's check of any running gateway.
func runSmoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bedrock-gateway smoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o smoke.Options
	fs.StringVar(&o.URL, "url", "", "API base URL, e.g. http://localhost:8080/api/v1 (a bare origin gets /api/v1)")
	fs.StringVar(&o.Key, "key", "", "API key (default: $API_KEY)")
	fs.StringVar(&o.Model, "model", "", "chat model (default: the first chat model /models lists)")
	fs.StringVar(&o.EmbeddingModel, "embedding-model", "", "also check embeddings with this model")
	fs.DurationVar(&o.Timeout, "timeout", 60*time.Second, "per check")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return smoke.Run(ctx, o, stdout)
}
