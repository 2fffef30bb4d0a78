package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openwebui-bedrock/gateway/metrics"
	"github.com/openwebui-bedrock/gateway/openai"
)

// sseSink writes a chat stream as server-sent events, flushing every event. It implements bedrock.ChunkSink.
type sseSink struct {
	w      http.ResponseWriter
	rc     *http.ResponseController
	buf    bytes.Buffer
	enc    *json.Encoder
	every  time.Duration
	opened bool

	// Stream timing for metrics: time to first token and between tokens.
	metrics   *metrics.Metrics
	start     time.Time
	lastDelta time.Time
	ttft      prometheus.Observer
	itl       prometheus.Observer
}

var (
	ssePrefix = []byte("data: ")
	ssePing   = []byte(": ping\n\n")
	sseDone   = []byte("data: [DONE]\n\n")
)

func newSSESink(w http.ResponseWriter, every time.Duration, m *metrics.Metrics) *sseSink {
	s := &sseSink{w: w, rc: http.NewResponseController(w), every: every, metrics: m, start: time.Now()}
	s.enc = json.NewEncoder(&s.buf)
	s.enc.SetEscapeHTML(false) // keep "<think>" and "&" readable; SSE needs no HTML escaping
	return s
}

func (s *sseSink) Open(model string) error {
	s.ttft, s.itl = s.metrics.TTFT.WithLabelValues(model), s.metrics.InterToken.WithLabelValues(model)
	s.metrics.ActiveStreams.Inc()
	h := s.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // tell nginx-style proxies not to buffer the stream
	s.w.WriteHeader(http.StatusOK)
	s.opened = true
	return s.rc.Flush()
}

func (s *sseSink) PingEvery() time.Duration { return s.every }

func (s *sseSink) Ping() error { return s.write(ssePing, true) }

func (s *sseSink) Send(c *openai.ChatCompletionChunk) error {
	if len(c.Choices) > 0 {
		if d := &c.Choices[0].Delta; d.Content != nil && *d.Content != "" || d.ReasoningContent != nil || len(d.ToolCalls) > 0 {
			now := time.Now()
			if s.lastDelta.IsZero() {
				s.ttft.Observe(now.Sub(s.start).Seconds())
			} else {
				s.itl.Observe(now.Sub(s.lastDelta).Seconds())
			}
			s.lastDelta = now
		}
	}
	return s.event(c, false)
}

// Flush pushes buffered events to the client.
func (s *sseSink) Flush() error { return s.rc.Flush() }

// close ends the stream's bookkeeping.
func (s *sseSink) close() {
	if s.opened {
		s.metrics.ActiveStreams.Dec()
	}
}

// event writes one "data: <json>\n\n" event, flushed or left for the next Flush.
func (s *sseSink) event(v any, flush bool) error {
	s.buf.Reset()
	s.buf.Write(ssePrefix)
	if err := s.enc.Encode(v); err != nil { // Encode ends with '\n'
		return err
	}
	s.buf.WriteByte('\n')
	return s.write(s.buf.Bytes(), flush)
}

func (s *sseSink) write(b []byte, flush bool) error {
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	if !flush {
		return nil
	}
	return s.rc.Flush()
}

func (s *sseSink) done() { _ = s.write(sseDone, true) }

// fail ends a started stream with one error event that both OpenAI SDKs raise on, then [DONE] so line-oriented
// readers stop waiting. There is no finish chunk: the answer is incomplete and must not look complete.
func (s *sseSink) fail(e *openai.Error) {
	_ = s.event(openai.ErrorBody{Error: e}, false)
	s.done()
}
