package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/openwebui-bedrock/gateway/openai"
)

// callInfo is what a handler learned about a request, read by the access log after it returns.
type callInfo struct {
	requestID        string
	model            string
	bedrockRequestID string
	inputTokens      int
	outputTokens     int
	finishReason     string
	errType          string
	errMsg           string
	errStatus        int // the error's own status (a stream that fails after its 200 still has one)
	stream           bool
	// resolved is the catalogue id of the model that served the request (bounded, so usable as a metric label).
	resolved   string
	upstream   time.Duration
	cacheRead  int
	cacheWrite int
}

type ctxKey struct{}

func info(r *http.Request) *callInfo {
	if ci, ok := r.Context().Value(ctxKey{}).(*callInfo); ok {
		return ci
	}
	return &callInfo{}
}

// statusWriter records the status for the access log. Unwrap lets http.ResponseController reach Flush.
type statusWriter struct {
	http.ResponseWriter
	status int
	info   *callInfo
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func noteError(w http.ResponseWriter, e *openai.Error) {
	if sw, ok := w.(*statusWriter); ok {
		sw.info.errType, sw.info.errMsg, sw.info.errStatus = e.Type, e.Message, e.Status
	}
}

// requestID accepts a caller's X-Request-Id (so traces join up across Open WebUI, the ALB and the gateway) or makes
// one, and returns it.
func (s *Server) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = rand.Text()
		}
		w.Header().Set("X-Request-Id", id)
		ci := &callInfo{requestID: id}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, ci)))
	})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// accessLog writes one line per request. It never logs prompts, replies or keys.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ci := info(r)
		sw := &statusWriter{ResponseWriter: w, info: ci}
		// A server span per request (a no-op unless tracing is configured), joined to the caller's trace.
		ctx := otel.GetTextMapPropagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := s.tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer))
		r = r.WithContext(ctx)
		next.ServeHTTP(sw, r)
		if r.URL.Path == "/health" && sw.status == http.StatusOK && !s.opts.Debug {
			return // load balancer probes every few seconds would drown the log
		}
		route := chi.RouteContext(r.Context()).RoutePattern()
		if route == "" {
			route = "unmatched"
		}
		status := sw.status
		if status == 0 {
			status = 499 // the handler wrote nothing: the client went away first
		}
		attrs := []slog.Attr{
			slog.String("method", r.Method), slog.String("route", route), slog.Int("status", status),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("request_id", ci.requestID),
		}
		if ci.model != "" {
			attrs = append(attrs, slog.String("model", ci.model), slog.Bool("stream", ci.stream),
				slog.Int("input_tokens", ci.inputTokens), slog.Int("output_tokens", ci.outputTokens))
		}
		if ci.finishReason != "" {
			attrs = append(attrs, slog.String("finish_reason", ci.finishReason))
		}
		if ci.bedrockRequestID != "" {
			attrs = append(attrs, slog.String("bedrock_request_id", ci.bedrockRequestID))
		}
		s.observe(r, route, status, time.Since(start), ci)
		if span.IsRecording() {
			span.SetName(r.Method + " " + route)
			span.SetAttributes(attribute.String("http.request.method", r.Method), attribute.String("http.route", route),
				attribute.Int("http.response.status_code", status), attribute.String("gateway.request_id", ci.requestID))
			if status >= 500 {
				span.SetStatus(codes.Error, ci.errMsg)
			}
		}
		span.End()
		level := slog.LevelInfo
		if ci.errType != "" {
			attrs = append(attrs, slog.String("error_type", ci.errType), slog.String("error", ci.errMsg))
			if status >= 500 {
				level = slog.LevelError
			}
		}
		s.log.LogAttrs(r.Context(), level, "request", attrs...)
	})
}

// observe records a finished request's metrics.
func (s *Server) observe(r *http.Request, route string, status int, d time.Duration, ci *callInfo) {
	m := s.metrics
	m.Requests.WithLabelValues(route, r.Method, strconv.Itoa(status)).Inc()
	m.RequestDuration.WithLabelValues(route).Observe(d.Seconds())
	if ci.errType != "" {
		m.Errors.WithLabelValues(errorClass(ci.errStatus, ci.upstream > 0), ci.errType).Inc()
	}
	if ci.resolved == "" {
		return
	}
	op := "Converse"
	if ci.stream {
		op = "ConverseStream"
	}
	if strings.HasSuffix(route, "/embeddings") {
		op = "InvokeModel"
	}
	if ci.upstream > 0 {
		m.Upstream.WithLabelValues(op, ci.resolved).Observe(ci.upstream.Seconds())
		if !ci.stream && status == http.StatusOK {
			m.Overhead.WithLabelValues(route).Observe(max(d-ci.upstream, 0).Seconds())
		}
	}
	for _, t := range [...]struct {
		typ string
		n   int
	}{{"input", ci.inputTokens - ci.cacheRead - ci.cacheWrite}, {"output", ci.outputTokens}, {"cache_read", ci.cacheRead}, {"cache_write", ci.cacheWrite}} {
		if t.n > 0 {
			m.Tokens.WithLabelValues(ci.resolved, t.typ).Add(float64(t.n))
		}
	}
}

// errorClass: 4xx are the client's (but throttling is Bedrock's capacity), 502/503/504 are Bedrock's, other 5xx
// after a Bedrock call are Bedrock's too, and the rest are the gateway's own.
func errorClass(status int, calledBedrock bool) string {
	switch {
	case status == http.StatusTooManyRequests && calledBedrock,
		status == http.StatusBadGateway, status == http.StatusServiceUnavailable, status == http.StatusGatewayTimeout,
		status >= 500 && calledBedrock:
		return "upstream"
	case status >= 500:
		return "gateway"
	}
	return "client"
}

func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic serving request", "panic", v, "stack", string(debug.Stack()), "request_id", info(r).requestID)
				if sw, ok := w.(*statusWriter); ok && sw.status != 0 {
					panic(http.ErrAbortHandler) // headers are out: all we can do is drop the connection
				}
				writeError(w, openai.Errorf(http.StatusInternalServerError, "server_error", "", "The gateway failed to handle this request."))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// cors answers browsers per ALLOWED_ORIGINS; preflights are answered before authentication, as browsers send them
// without credentials.
func (s *Server) cors(next http.Handler) http.Handler {
	any := slices.Contains(s.opts.AllowedOrigins, "*")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && (any || slices.Contains(s.opts.AllowedOrigins, origin)) {
			h := w.Header()
			if any {
				h.Set("Access-Control-Allow-Origin", "*")
			} else {
				h.Set("Access-Control-Allow-Origin", origin)
				h.Add("Vary", "Origin")
			}
			h.Set("Access-Control-Expose-Headers", "X-Request-Id, Retry-After")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-Id, OpenAI-Organization, OpenAI-Project, X-Stainless-Arch, X-Stainless-Lang, X-Stainless-OS, X-Stainless-Package-Version, X-Stainless-Retry-Count, X-Stainless-Runtime, X-Stainless-Runtime-Version, X-Stainless-Timeout")
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// authenticate checks the bearer key in constant time (digests of equal length, so neither content nor length leaks).
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || key == "" {
			writeError(w, openai.Unauthorized("Missing API key: send it as 'Authorization: Bearer <key>'."))
			return
		}
		sum := sha256.Sum256([]byte(strings.TrimSpace(key)))
		match := -1
		for i := range s.keyHashes {
			if subtle.ConstantTimeCompare(sum[:], s.keyHashes[i][:]) == 1 {
				match = i // no early exit: every key is compared
			}
		}
		if match < 0 {
			writeError(w, openai.Unauthorized("Incorrect API key provided."))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyIndexKey{}, match)))
	})
}
