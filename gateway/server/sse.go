package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

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
}

var (
	ssePrefix = []byte("data: ")
	ssePing   = []byte(": ping\n\n")
	sseDone   = []byte("data: [DONE]\n\n")
)

func newSSESink(w http.ResponseWriter, every time.Duration) *sseSink {
	s := &sseSink{w: w, rc: http.NewResponseController(w), every: every}
	s.enc = json.NewEncoder(&s.buf)
	s.enc.SetEscapeHTML(false) // keep "<think>" and "&" readable; SSE needs no HTML escaping
	return s
}

func (s *sseSink) Open() error {
	h := s.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // tell nginx-style proxies not to buffer the stream
	s.w.WriteHeader(http.StatusOK)
	s.opened = true
	return s.rc.Flush()
}

func (s *sseSink) PingEvery() time.Duration { return s.every }

func (s *sseSink) Ping() error { return s.write(ssePing) }

func (s *sseSink) Send(c *openai.ChatCompletionChunk) error { return s.event(c) }

// event writes one "data: <json>\n\n" event.
func (s *sseSink) event(v any) error {
	s.buf.Reset()
	s.buf.Write(ssePrefix)
	if err := s.enc.Encode(v); err != nil { // Encode ends with '\n'
		return err
	}
	s.buf.WriteByte('\n')
	return s.write(s.buf.Bytes())
}

func (s *sseSink) write(b []byte) error {
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	return s.rc.Flush()
}

func (s *sseSink) done() { _ = s.write(sseDone) }

// fail ends a started stream with one error event that both OpenAI SDKs raise on, then [DONE] so line-oriented
// readers stop waiting. There is no finish chunk: the answer is incomplete and must not look complete.
func (s *sseSink) fail(e *openai.Error) {
	_ = s.event(openai.ErrorBody{Error: e})
	s.done()
}
