package server

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openwebui-bedrock/gateway/metrics"
	"github.com/openwebui-bedrock/gateway/openai"
)

// FuzzSSEWriter: whatever text a model produces, each event is one "data: <json>" line followed by a blank line,
// the JSON carries the text unchanged, and no line exceeds what Open WebUI's reader accepts.
func FuzzSSEWriter(f *testing.F) {
	for _, seed := range []string{"hello", "", "line\nbreak\r\n", "data: [DONE]\n\n", "<think>x</think>", "\x00\u2028\u2029", "é😀", strings.Repeat("x", 70000)} {
		f.Add(seed)
	}
	m := metrics.New()
	f.Fuzz(func(t *testing.T, text string) {
		rec := httptest.NewRecorder()
		sink := newSSESink(rec, time.Hour, m)
		if err := sink.Open("m"); err != nil {
			t.Fatal(err)
		}
		err := sink.Send(&openai.ChatCompletionChunk{ID: "c", Object: "chat.completion.chunk", Model: "m",
			Choices: []openai.ChunkChoice{{Delta: openai.Delta{Content: &text}}}})
		if err != nil {
			t.Fatal(err)
		}
		sink.Flush()
		sink.close()
		out := rec.Body.String()
		if !strings.HasPrefix(out, "data: ") || !strings.HasSuffix(out, "\n\n") || strings.Count(out, "\n") != 2 {
			t.Fatalf("not one SSE event: %q", out)
		}
		line := strings.TrimSuffix(strings.TrimPrefix(out, "data: "), "\n\n")
		var c openai.ChatCompletionChunk
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatalf("data is not JSON: %v", err)
		}
		got := *c.Choices[0].Delta.Content
		if !strings.ContainsRune(text, '\uFFFD') && strings.ToValidUTF8(text, "\uFFFD") == text && got != text {
			t.Fatalf("text changed: %q → %q", text, got)
		}
		if len(line) > 128<<10 && len(text) <= 16<<10 {
			t.Fatalf("line of %d bytes", len(line))
		}
	})
}
