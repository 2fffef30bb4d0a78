package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	bedrockctl "github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"

	"github.com/openwebui-bedrock/gateway/bedrock"
	"github.com/openwebui-bedrock/gateway/emulator"
	"github.com/openwebui-bedrock/gateway/ssecheck"
)

const testKey = "sk-test-key"

// gateway is the real gateway (real SDK, real HTTP) in front of the emulator, both on loopback.
type gateway struct {
	t   *testing.T
	URL string // API base, with the prefix
	srv *Server
	emu *emulator.Server
}

type gatewayOpts struct {
	maxAttempts int
	ping        time.Duration
	maxBody     int64
	origins     []string
	translate   bedrock.TranslateOptions
	catalogue   bedrock.CatalogueOptions
	images      bedrock.ImageFetcher
	h2c         bool // speak HTTP/2 (cleartext) to the emulator, as the SDK speaks HTTP/2 over TLS to AWS
}

func startGateway(t *testing.T, opts ...func(*gatewayOpts)) *gateway {
	t.Helper()
	o := gatewayOpts{maxAttempts: 1, ping: 15 * time.Second, maxBody: 1 << 20, origins: []string{"*"},
		catalogue: bedrock.CatalogueOptions{CrossRegion: true, AppProfiles: true}}
	for _, f := range opts {
		f(&o)
	}
	emu, err := emulator.Start(emulator.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	cfg := bedrock.StaticConfig(emulator.DefaultRegion, emu.URL, emulator.DefaultAccessKeyID, emulator.DefaultSecretAccessKey, o.maxAttempts)
	if o.h2c {
		cfg.HTTPClient = bedrock.NewCleartextHTTP2Client()
	}
	cat := bedrock.NewCatalogue(bedrockctl.NewFromConfig(cfg), o.catalogue, slog.New(slog.DiscardHandler))
	if err := cat.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	svc := &bedrock.Service{Runtime: bedrockruntime.NewFromConfig(cfg), Catalogue: cat, DefaultModel: "anthropic.claude-3-haiku-20240307-v1:0",
		Options: o.translate, Images: o.images}
	srv := New(Options{Prefix: "/api/v1", APIKeys: []string{testKey}, AllowedOrigins: o.origins, MaxRequestBytes: o.maxBody, PingInterval: o.ping},
		svc, slog.New(slog.DiscardHandler))
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &gateway{t: t, URL: hs.URL + "/api/v1", srv: srv, emu: emu}
}

func (g *gateway) do(method, path, body string, hdr ...string) *http.Response {
	g.t.Helper()
	return g.doCtx(context.Background(), method, path, body, hdr...)
}

func (g *gateway) doCtx(ctx context.Context, method, path, body string, hdr ...string) *http.Response {
	g.t.Helper()
	url := g.URL + path
	if strings.HasPrefix(path, "http") {
		url = path
	}
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		g.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testKey)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	return resp
}

// chat posts a chat completion request with the given user text and extra top-level JSON fields.
func (g *gateway) chat(model, text string, stream bool, extra string) *http.Response {
	g.t.Helper()
	body := map[string]any{"model": model, "stream": stream, "messages": []map[string]any{{"role": "user", "content": text}}}
	b, _ := json.Marshal(body)
	s := string(b)
	if extra != "" {
		s = s[:len(s)-1] + "," + extra + "}"
	}
	return g.do("POST", "/chat/completions", s)
}

func decodeBody[T any](t *testing.T, resp *http.Response) T {
	t.Helper()
	defer resp.Body.Close()
	var v T
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("status %d, body not JSON: %s", resp.StatusCode, b)
	}
	return v
}

type apiError struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Code    *string `json:"code"`
		Param   *string `json:"param"`
	} `json:"error"`
}

// wantError checks an OpenAI-shaped error response.
func wantError(t *testing.T, resp *http.Response, status int, code string) apiError {
	t.Helper()
	if resp.StatusCode != status {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("error Content-Type %q", ct)
	}
	e := decodeBody[apiError](t, resp)
	if e.Error.Message == "" || e.Error.Type == "" {
		t.Errorf("error body lacks message/type: %+v", e)
	}
	if code != "" && (e.Error.Code == nil || *e.Error.Code != code) {
		t.Errorf("error code %v, want %q (%s)", e.Error.Code, code, e.Error.Message)
	}
	return e
}

// sseEvent is one parsed server-sent event: a data payload, a comment, or [DONE].
type sseEvent struct {
	data    string
	comment bool
}

// readSSE reads a whole event stream.
func readSSE(t *testing.T, resp *http.Response) []sseEvent {
	t.Helper()
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d Content-Type %q: %s", resp.StatusCode, ct, b)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the stream: %v", err)
	}
	// Every stream these tests read is also held to the whole OpenAI stream contract (the checker smoke and the
	// soak use), on top of what each test asserts.
	if v := ssecheck.Read(bytes.NewReader(body), ssecheck.Options{}).Violations; len(v) > 0 {
		t.Errorf("stream breaks the OpenAI contract: %v\n%s", v, body)
	}
	var evs []sseEvent
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 256<<10), 256<<10)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
		case strings.HasPrefix(line, ":"):
			evs = append(evs, sseEvent{data: line, comment: true})
		case strings.HasPrefix(line, "data: "):
			evs = append(evs, sseEvent{data: strings.TrimPrefix(line, "data: ")})
		default:
			t.Fatalf("unexpected SSE line %q", line)
		}
	}
	return evs
}

type chunk struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Index int `json:"index"`
		Delta struct {
			Role             *string `json:"role"`
			Content          *string `json:"content"`
			ReasoningContent *string `json:"reasoning_content"`
			ToolCalls        []struct {
				Index    *int   `json:"index"`
				ID       string `json:"id"`
				Type     string `json:"type"`
				Function struct {
					Name      string `json:"name"`
					Arguments string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
		TotalTokens      int `json:"total_tokens"`
	} `json:"usage"`
	Error *struct {
		Message string `json:"message"`
		Type    string `json:"type"`
	} `json:"error"`
}

// streamSummary is what a stream carried. The contract itself (constant id/created/model, role once, dense tool
// indexes, one finish, usage placement, [DONE] last) is checked by ssecheck in readSSE.
type streamSummary struct {
	chunks  []chunk
	content string
	finish  string
	errMsg  string
	done    bool
	pings   int
}

func summarize(t *testing.T, evs []sseEvent) streamSummary {
	t.Helper()
	var s streamSummary
	for i, ev := range evs {
		switch {
		case ev.comment:
			s.pings++
			continue
		case ev.data == "[DONE]":
			s.done = true
			continue
		}
		var c chunk
		if err := json.Unmarshal([]byte(ev.data), &c); err != nil {
			t.Fatalf("event %d is not JSON: %s", i, ev.data)
		}
		if c.Error != nil {
			s.errMsg = c.Error.Message
			continue
		}
		for _, ch := range c.Choices {
			if ch.Delta.Content != nil {
				s.content += *ch.Delta.Content
			}
			if ch.FinishReason != nil {
				s.finish = *ch.FinishReason
			}
		}
		s.chunks = append(s.chunks, c)
	}
	return s
}
