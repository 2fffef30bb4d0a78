package server

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/go-chi/chi/v5"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/openwebui-bedrock/gateway/bedrock"
	"github.com/openwebui-bedrock/gateway/openai"
	"github.com/openwebui-bedrock/gateway/tracing"
)

var (
	healthOK       = []byte(`{"status":"ok"}`)
	healthDraining = []byte(`{"status":"draining"}`)
)

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeRawJSON(w, http.StatusServiceUnavailable, healthDraining)
		return
	}
	writeRawJSON(w, http.StatusOK, healthOK)
}

func (s *Server) handleListModels(w http.ResponseWriter, r *http.Request) {
	writeRawJSON(w, http.StatusOK, s.chat.Catalogue.ListJSON())
}

func (s *Server) handleGetModel(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "*")
	// chi matches on the raw path when it has escapes, so an ARN sent as arn%3A…%2F… arrives still encoded.
	if dec, err := url.PathUnescape(id); err == nil {
		id = dec
	}
	b, ok := s.chat.Catalogue.ModelJSON(id)
	if !ok {
		writeError(w, openai.ModelNotFound(id))
		return
	}
	writeRawJSON(w, http.StatusOK, b)
}

// decode reads the body within BodyReadTimeout (slow-loris) — a per-request deadline, not the server-wide
// ReadTimeout, which would also cut long streaming responses.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) *openai.Error {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(s.opts.BodyReadTimeout))
	defer rc.SetReadDeadline(time.Time{})
	err := openai.Decode(http.MaxBytesReader(w, r.Body, s.opts.MaxRequestBytes), v)
	var ne net.Error
	if err != nil && errors.As(err.Cause, &ne) && ne.Timeout() {
		w.Header().Set("Connection", "close")
		return openai.Errorf(http.StatusRequestTimeout, "invalid_request_error", "request_timeout",
			"The request body was not received within %s.", s.opts.BodyReadTimeout).WithCause(err)
	}
	return err
}

func (s *Server) refuseWhileDraining(w http.ResponseWriter) bool {
	if !s.draining.Load() {
		return false
	}
	w.Header().Set("Connection", "close")
	e := openai.Errorf(http.StatusServiceUnavailable, "server_error", "shutting_down", "This gateway instance is shutting down; retry the request.")
	e.RetryAfter = 1
	writeError(w, e)
	return true
}

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	if s.refuseWhileDraining(w) {
		return
	}
	var req openai.ChatRequest
	if err := s.decode(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	if len(req.Messages) > s.opts.MaxMessages {
		writeError(w, openai.BadRequest("Too many messages: %d; this gateway accepts at most %d per request.", len(req.Messages), s.opts.MaxMessages).WithParam("messages"))
		return
	}
	ci := info(r)
	ci.model, ci.stream = req.Model, req.Stream
	ctx, span := s.tracer.Start(r.Context(), "chat", trace.WithSpanKind(trace.SpanKindClient))
	defer func() { endChatSpan(span, &req, ci) }()
	r = r.WithContext(ctx)
	if req.Stream {
		s.streamChat(w, r, &req, ci)
		return
	}
	start := time.Now()
	resp, res, err := s.chat.Complete(r.Context(), &req)
	ci.note(res)
	if err != nil {
		writeError(w, asAPIError(err))
		return
	}
	// Server-Timing lets a client see how much of the latency was Bedrock's and how much the gateway's own.
	total := time.Since(start)
	w.Header().Set("Server-Timing", fmt.Sprintf("gateway;dur=%.3f, bedrock;dur=%.3f",
		float64(max(total-res.Upstream, 0).Microseconds())/1000, float64(res.Upstream.Microseconds())/1000))
	writeJSON(w, http.StatusOK, resp)
}

// endChatSpan names and describes the GenAI span (semantic conventions for gen_ai client spans) and ends it.
func endChatSpan(span trace.Span, req *openai.ChatRequest, ci *callInfo) {
	if span.IsRecording() {
		model := ci.resolved
		if model == "" {
			model = req.Model
		}
		span.SetName("chat " + model)
		attrs := []attribute.KeyValue{tracing.OperationName.String("chat"), tracing.ProviderName.String("aws.bedrock"),
			tracing.RequestModel.String(req.Model), tracing.ResponseModel.String(model),
			tracing.UsageInputTokens.Int(ci.inputTokens), tracing.UsageOutputTokens.Int(ci.outputTokens),
			attribute.String("aws.request_id", ci.bedrockRequestID)}
		if n := req.MaxOutputTokens(); n != nil {
			attrs = append(attrs, tracing.RequestMaxTokens.Int(*n))
		}
		if req.Temperature != nil {
			attrs = append(attrs, tracing.RequestTemp.Float64(*req.Temperature))
		}
		if req.TopP != nil {
			attrs = append(attrs, tracing.RequestTopP.Float64(*req.TopP))
		}
		if ci.finishReason != "" {
			attrs = append(attrs, tracing.FinishReasons.StringSlice([]string{ci.finishReason}))
		}
		if ci.errType != "" {
			attrs = append(attrs, attribute.String("error.type", ci.errType))
			span.SetStatus(codes.Error, ci.errMsg)
		}
		span.SetAttributes(attrs...)
	}
	span.End()
}

// note copies what the access log and metrics need from a call's result.
func (ci *callInfo) note(res bedrock.Result) {
	ci.bedrockRequestID, ci.finishReason, ci.upstream = res.BedrockRequestID, res.FinishReason, res.Upstream
	if res.Model != "" {
		ci.model, ci.resolved = res.Model, res.Model
	}
	if u := res.Usage; u != nil {
		ci.inputTokens, ci.outputTokens = u.PromptTokens, u.CompletionTokens
		if d := u.PromptTokensDetails; d != nil {
			ci.cacheRead, ci.cacheWrite = d.CachedTokens, d.CacheWriteTokens
		}
	}
}

func (s *Server) streamChat(w http.ResponseWriter, r *http.Request, req *openai.ChatRequest, ci *callInfo) {
	sink := newSSESink(w, s.opts.PingInterval, s.metrics)
	defer sink.close()
	res, err := s.chat.Stream(r.Context(), req, sink)
	ci.note(res)
	switch {
	case err == nil:
		sink.done()
	case !sink.opened:
		writeError(w, asAPIError(err))
	case r.Context().Err() != nil:
		// The client is gone; there is nobody to tell.
		noteError(w, asAPIError(err))
	default:
		e := asAPIError(err)
		noteError(w, e)
		sink.fail(e)
	}
}

// asAPIError keeps OpenAI errors as they are; anything else is a gateway fault and must not leak internals.
func asAPIError(err error) *openai.Error {
	var e *openai.Error
	if errors.As(err, &e) {
		return e
	}
	return openai.Errorf(http.StatusInternalServerError, "server_error", "", "The gateway failed to complete this request.").WithCause(err)
}
