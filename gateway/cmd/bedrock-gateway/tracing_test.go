package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// TestOTLPTracing: with an OTLP endpoint configured, a chat produces a server span and a GenAI client span with the
// semantic-convention attributes, exported over OTLP/HTTP.
func TestOTLPTracing(t *testing.T) {
	var mu sync.Mutex
	spans := map[string]map[string]string{} // span name → attribute key → value (as text)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			t.Errorf("OTLP body: %v", err)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, sp := range ss.Spans {
					attrs := map[string]string{}
					for _, kv := range sp.Attributes {
						attrs[kv.Key] = kv.Value.String()
					}
					spans[sp.Name] = attrs
				}
			}
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	r := start(t, map[string]string{"API_KEY": "k", "OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL}, "-emulator")
	req, _ := http.NewRequest("POST", r.base+"/api/v1/chat/completions", strings.NewReader(
		`{"model":"anthropic.claude-3-haiku-20240307-v1:0","max_tokens":20,"messages":[{"role":"user","content":"hello"}]}`))
	req.Header.Set("Authorization", "Bearer k")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("chat: %v %v", err, resp)
	}
	resp.Body.Close()
	if err := r.stop(); err != nil { // flushes the exporter
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	chat, ok := spans["chat anthropic.claude-3-haiku-20240307-v1:0"]
	if !ok {
		t.Fatalf("no GenAI span; got %v", spans)
	}
	for _, k := range []string{"gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.request.max_tokens",
		"gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.response.finish_reasons"} {
		if _, ok := chat[k]; !ok {
			t.Errorf("GenAI span lacks %s: %v", k, chat)
		}
	}
	if _, ok := spans["POST /api/v1/chat/completions"]; !ok {
		t.Errorf("no server span; got %v", spans)
	}
}
