// Package server is the gateway's HTTP layer: routes, authentication, the SSE writer, error responses and access
// logs. Handlers are thin: they decode, call the bedrock.Service and write what it returns.
package server

import (
	"crypto/sha256"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/openwebui-bedrock/gateway/bedrock"
	"github.com/openwebui-bedrock/gateway/metrics"
	"github.com/openwebui-bedrock/gateway/tracing"
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

	BodyReadTimeout time.Duration // a client must send its whole body within this (slow-loris); default 60s
	MaxMessages     int           // messages per chat request; 0 means 2048
	// Per-key limits (0 = off): concurrent API requests, and requests per minute (token bucket, bursts of up to
	// a minute's worth).
	MaxConcurrentPerKey int
	RequestsPerMinute   int
}

// Server holds the gateway's HTTP state.
type Server struct {
	opts      Options
	chat      *bedrock.Service
	embed     *bedrock.Embedder
	log       *slog.Logger
	keyHashes [][sha256.Size]byte
	limits    []*keyLimiter // one per key, same order as keyHashes
	draining  atomic.Bool
	inFlight  atomic.Int64 // API requests being handled (not health checks or scrapes)
	metrics   *metrics.Metrics
	tracer    trace.Tracer // a no-op unless tracing is set up (the global provider delegates once it is)
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
	if s.opts.BodyReadTimeout <= 0 {
		s.opts.BodyReadTimeout = 60 * time.Second
	}
	if s.opts.MaxMessages <= 0 {
		s.opts.MaxMessages = 2048
	}
	s.limits = make([]*keyLimiter, len(s.keyHashes))
	for i := range s.limits {
		s.limits[i] = newKeyLimiter(opts.MaxConcurrentPerKey, opts.RequestsPerMinute)
	}
	s.tracer = tracing.Tracer()
	s.metrics = opts.Metrics
	if s.metrics == nil {
		s.metrics = metrics.New()
	}
	return s
}

// Drain makes /health report 503 and new API requests be refused, so load balancers and service discovery stop
// sending work while in-flight streams finish.
func (s *Server) Drain() { s.draining.Store(true) }

// InFlight is the number of API requests (chats, streams, embeddings, model lists) being handled.
func (s *Server) InFlight() int64 { return s.inFlight.Load() }

// track counts a request as in flight while it runs.
func (s *Server) track(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.inFlight.Add(1)
		defer s.inFlight.Add(-1)
		next.ServeHTTP(w, r)
	})
}
