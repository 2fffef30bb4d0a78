// Package server is the gateway's HTTP layer: routes, authentication, the SSE writer, error responses and access
// logs. Handlers are thin: they decode, call the bedrock.Service and write what it returns.
package server

import (
	"crypto/sha256"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/openwebui-bedrock/gateway/bedrock"
	"github.com/openwebui-bedrock/gateway/metrics"
)

// Options configure the HTTP layer.
type Options struct {
	Prefix          string   // API route prefix, e.g. /api/v1
	APIKeys         []string // accepted bearer keys
	AllowedOrigins  []string // CORS; "*" allows any
	MaxRequestBytes int64
	PingInterval    time.Duration
	Debug           bool             // log request details that may include prompts
	Metrics         *metrics.Metrics // nil: a private set (still served on /metrics)
}

// Server holds the gateway's HTTP state.
type Server struct {
	opts      Options
	chat      *bedrock.Service
	embed     *bedrock.Embedder
	log       *slog.Logger
	keyHashes [][sha256.Size]byte
	draining  atomic.Bool
	metrics   *metrics.Metrics
}

// New builds a server. Keys are kept only as SHA-256 digests, compared in constant time.
func New(opts Options, chat *bedrock.Service, log *slog.Logger) *Server {
	s := &Server{opts: opts, chat: chat, log: log,
		embed: &bedrock.Embedder{Runtime: chat.Runtime, Catalogue: chat.Catalogue, DefaultModel: ReferenceEmbeddingModel}}
	for _, k := range opts.APIKeys {
		s.keyHashes = append(s.keyHashes, sha256.Sum256([]byte(k)))
	}
	if s.opts.PingInterval <= 0 {
		s.opts.PingInterval = 15 * time.Second
	}
	s.metrics = opts.Metrics
	if s.metrics == nil {
		s.metrics = metrics.New()
	}
	return s
}

// Drain makes /health report 503 and new API requests be refused, so load balancers and service discovery stop
// sending work while in-flight streams finish.
func (s *Server) Drain() { s.draining.Store(true) }
