package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	haiku      = "anthropic.claude-3-haiku-20240307-v1:0"
	usHaiku    = "us.anthropic.claude-3-haiku-20240307-v1:0"
	sonnet45   = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
	appProfile = "team-chat-haiku"
)

func TestHealthNeedsNoKey(t *testing.T) {
	g := startGateway(t)
	resp := g.do("GET", strings.TrimSuffix(g.URL, "/api/v1")+"/health", "", "Authorization", "")
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != 200 || string(b) != `{"status":"ok"}` {
		t.Fatalf("health: %d %s", resp.StatusCode, b)
	}
}

func TestAuthentication(t *testing.T) {
	g := startGateway(t)
	wantError(t, g.do("GET", "/models", "", "Authorization", ""), 401, "invalid_api_key")
	wantError(t, g.do("GET", "/models", "", "Authorization", "Bearer wrong"), 401, "invalid_api_key")
	wantError(t, g.do("GET", "/models", "", "Authorization", "Basic "+testKey), 401, "invalid_api_key")
	wantError(t, g.do("POST", "/chat/completions", `{}`, "Authorization", "Bearer "+testKey+"x"), 401, "invalid_api_key")
	if resp := g.do("GET", "/models", ""); resp.StatusCode != 200 {
		t.Fatalf("right key: %d", resp.StatusCode)
	}
}

func TestModels(t *testing.T) {
	g := startGateway(t)
	list := decodeBody[struct {
		Object string `json:"object"`
		Data   []struct {
			ID, Object, OwnedBy string
			Created             int64
		} `json:"data"`
	}](t, g.do("GET", "/models", ""))
	ids := map[string]bool{}
	for _, m := range list.Data {
		if m.Object != "model" || m.Created == 0 {
			t.Errorf("bad model entry %+v", m)
		}
		ids[m.ID] = true
	}
	for _, want := range []string{haiku, usHaiku, sonnet45, appProfile, "amazon.nova-micro-v1:0", "cohere.embed-multilingual-v3"} {
		if !ids[want] {
			t.Errorf("/models lacks %s", want)
		}
	}
	if ids["anthropic.claude-sonnet-4-5-20250929-v1:0"] {
		t.Errorf("a profile-only base model is listed; invoking it on demand fails")
	}
	if list.Object != "list" {
		t.Errorf("object %q", list.Object)
	}

	arn := "arn:aws:bedrock:us-east-1:123456789012:inference-profile/" + usHaiku
	for _, id := range []string{haiku, appProfile, arn, url.PathEscape(arn)} {
		resp := g.do("GET", "/models/"+id, "")
		m := decodeBody[struct{ ID string }](t, resp)
		if resp.StatusCode != 200 || m.ID == "" {
			t.Errorf("GET /models/%s: %d %+v", id, resp.StatusCode, m)
		}
	}
	wantError(t, g.do("GET", "/models/nope.model-v1:0", ""), 404, "model_not_found")
}

func TestChatNonStreaming(t *testing.T) {
	g := startGateway(t)
	resp := g.do("POST", "/chat/completions", `{"model":"`+haiku+`","messages":[
		{"role":"system","content":"Be brief."},{"role":"developer","content":[{"type":"text","text":"No jokes."}]},
		{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"},{"role":"user","content":"What is Bedrock?"}],
		"temperature":0.2,"top_p":0.9,"max_completion_tokens":100,"seed":1,"presence_penalty":0.5}`)
	c := decodeBody[fullCompletion](t, resp)
	if resp.StatusCode != 200 || c.Object != "chat.completion" || !strings.HasPrefix(c.ID, "chatcmpl-") || c.Model != haiku {
		t.Fatalf("%d %+v", resp.StatusCode, c)
	}
	ch := c.Choices[0]
	if ch.Message.Role != "assistant" || ch.Message.Content == nil || !strings.Contains(*ch.Message.Content, "What is Bedrock?") || ch.FinishReason != "stop" {
		t.Fatalf("choice %+v", ch)
	}
	if c.Usage.PromptTokens == 0 || c.Usage.CompletionTokens == 0 || c.Usage.TotalTokens != c.Usage.PromptTokens+c.Usage.CompletionTokens {
		t.Fatalf("usage %+v", c.Usage)
	}
}

func TestChatFinishReasons(t *testing.T) {
	g := startGateway(t)
	c := decodeBody[fullCompletion](t, g.chat(haiku, "count [[emulate:words=50]]", false, `"max_tokens":5`))
	if c.Choices[0].FinishReason != "length" || c.Usage.CompletionTokens != 5 {
		t.Errorf("max_tokens: %+v", c)
	}
	c = decodeBody[fullCompletion](t, g.chat(haiku, "one two STOP three", false, `"stop":["STOP"]`))
	if c.Choices[0].FinishReason != "stop" || strings.Contains(*c.Choices[0].Message.Content, "three") {
		t.Errorf("stop sequence: %+v", c.Choices[0])
	}
}

func TestGPTNamesGoToDefaultModel(t *testing.T) {
	g := startGateway(t)
	resp := g.chat("gpt-4o-mini", "hello", false, "")
	c := decodeBody[fullCompletion](t, resp)
	if resp.StatusCode != 200 || c.Model != "gpt-4o-mini" {
		t.Fatalf("%d %+v", resp.StatusCode, c)
	}
}

func TestUnknownModelIsRejectedBeforeBedrock(t *testing.T) {
	g := startGateway(t)
	before := g.emu.Emulator.Stats()
	wantError(t, g.chat("anthropic.claude-9", "hi", false, ""), 404, "model_not_found")
	wantError(t, g.chat("anthropic.claude-9", "hi", true, ""), 404, "model_not_found")
	wantError(t, g.chat("cohere.embed-english-v3", "hi", false, ""), 404, "model_not_found") // embedding model for chat
	after := g.emu.Emulator.Stats()
	if after.Requests["Converse"] != before.Requests["Converse"] || after.Requests["ConverseStream"] != before.Requests["ConverseStream"] {
		t.Fatalf("Bedrock was called for an unknown model: %v → %v", before.Requests, after.Requests)
	}
}

func TestModelIdentifiers(t *testing.T) {
	g := startGateway(t)
	ids := []string{
		haiku, usHaiku, sonnet45, appProfile,
		"arn:aws:bedrock:us-east-1:123456789012:inference-profile/" + usHaiku,
		"arn:aws:bedrock:us-east-1::foundation-model/" + haiku,
	}
	for _, id := range ids {
		for _, stream := range []bool{false, true} {
			resp := g.chat(id, "hello", stream, "")
			if stream {
				if s := summarize(t, readSSE(t, resp)); s.finish != "stop" || !s.done {
					t.Errorf("%s stream: %+v", id, s)
				}
				continue
			}
			if c := decodeBody[fullCompletion](t, resp); resp.StatusCode != 200 || c.Model != id {
				t.Errorf("%s: %d %+v", id, resp.StatusCode, c)
			}
		}
	}
	// The application profile is listed by name; its ARN resolves too.
	resp := g.do("GET", "/models", "")
	b, _ := io.ReadAll(resp.Body)
	arnStart := strings.Index(string(b), "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/")
	if arnStart >= 0 {
		t.Fatalf("application profile listed by ARN")
	}
	m := decodeBody[struct{ ID string }](t, g.do("GET", "/models/"+appProfile, ""))
	if m.ID != appProfile {
		t.Fatalf("app profile: %+v", m)
	}
}

func TestChatStreaming(t *testing.T) {
	g := startGateway(t)
	resp := g.chat(haiku, "stream me please", true, `"stream_options":{"include_usage":true}`)
	if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control %q", cc)
	}
	if resp.Header.Get("Content-Length") != "" {
		t.Errorf("a stream has no Content-Length")
	}
	s := summarize(t, readSSE(t, resp))
	if !s.done || s.finish != "stop" || s.errMsg != "" || !strings.Contains(s.content, "stream me please") {
		t.Fatalf("%+v", s)
	}
	if *s.chunks[0].Choices[0].Delta.Role != "assistant" {
		t.Errorf("first delta has no role")
	}
	last := s.chunks[len(s.chunks)-1]
	if len(last.Choices) != 0 || last.Usage == nil || last.Usage.CompletionTokens == 0 {
		t.Errorf("last chunk should be usage with empty choices: %+v", last)
	}
	if len(s.chunks) < 5 {
		t.Errorf("expected several deltas, got %d chunks", len(s.chunks))
	}

	// Without include_usage there is no usage chunk.
	s = summarize(t, readSSE(t, g.chat(haiku, "no usage", true, "")))
	for _, c := range s.chunks {
		if c.Usage != nil {
			t.Errorf("usage sent without include_usage")
		}
	}
	if !s.done || s.finish != "stop" {
		t.Errorf("%+v", s)
	}
}

func TestStreamingToolCalls(t *testing.T) {
	g := startGateway(t)
	tools := `"tools":[{"type":"function","function":{"name":"get_weather","description":"","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}},
		{"type":"function","function":{"name":"get_time","description":"time","parameters":{"type":"object","properties":{}}}}]`
	resp := g.chat(haiku, "weather and time? [[emulate:tools=2]]", true, tools)
	s := summarize(t, readSSE(t, resp))
	if s.finish != "tool_calls" || !s.done {
		t.Fatalf("%+v", s)
	}
	args := map[int]string{}
	names := map[int]string{}
	for _, c := range s.chunks {
		for _, ch := range c.Choices {
			for _, tc := range ch.Delta.ToolCalls {
				if tc.Index == nil || *tc.Index < 0 || *tc.Index > 1 {
					t.Fatalf("bad tool index %v", tc.Index)
				}
				if tc.ID != "" {
					names[*tc.Index] = tc.Function.Name
				}
				args[*tc.Index] += tc.Function.Arguments
			}
		}
	}
	if len(names) != 2 || names[0] == "" || names[1] == "" {
		t.Fatalf("tool calls %v", names)
	}
	for i, a := range args {
		if !strings.HasPrefix(a, "{") || !strings.HasSuffix(a, "}") {
			t.Errorf("tool %d arguments not JSON: %q", i, a)
		}
	}
	if s.content == "" {
		t.Errorf("text before the tool calls was dropped")
	}
}

func TestBadRequests(t *testing.T) {
	g := startGateway(t, func(o *gatewayOpts) { o.maxBody = 4096 })
	cases := []struct {
		name, body string
		status     int
		param      string
	}{
		{"not JSON", `{"model":`, 400, ""},
		{"empty body", ``, 400, ""},
		{"array body", `[]`, 400, ""},
		{"wrong type", `{"model":"m","messages":"hi"}`, 400, "messages"},
		{"no model", `{"messages":[{"role":"user","content":"x"}]}`, 400, "model"},
		{"no messages", `{"model":"` + haiku + `","messages":[]}`, 400, "messages"},
		{"bad role", `{"model":"` + haiku + `","messages":[{"role":"robot","content":"x"}]}`, 400, "messages[0].role"},
		{"bad temperature", `{"model":"` + haiku + `","messages":[{"role":"user","content":"x"}],"temperature":3}`, 400, "temperature"},
		{"n > 1", `{"model":"` + haiku + `","messages":[{"role":"user","content":"x"}],"n":2}`, 400, "n"},
		{"bad tool_choice", `{"model":"` + haiku + `","messages":[{"role":"user","content":"x"}],"tool_choice":"sometimes"}`, 400, ""},
		{"bad content part", `{"model":"` + haiku + `","messages":[{"role":"user","content":[{"type":"input_audio"}]}]}`, 400, "messages[0].content[0].type"},
		{"trailing garbage", `{"model":"m","messages":[]} {}`, 400, ""},
		{"too large", `{"model":"` + haiku + `","messages":[{"role":"user","content":"` + strings.Repeat("x", 5000) + `"}]}`, 413, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := wantError(t, g.do("POST", "/chat/completions", tc.body), tc.status, "")
			if tc.param != "" && (e.Error.Param == nil || *e.Error.Param != tc.param) {
				t.Errorf("param %v, want %q (%s)", e.Error.Param, tc.param, e.Error.Message)
			}
		})
	}
	wantError(t, g.do("GET", "/chat/completions", ""), 405, "method_not_allowed")
	wantError(t, g.do("GET", "/nowhere", ""), 404, "not_found")
}

func TestBedrockValidationErrorsAre400(t *testing.T) {
	g := startGateway(t)
	// An explicit thinking budget that does not fit under max_tokens: Bedrock's message reaches the client.
	e := wantError(t, g.chat(sonnet45, "hi", false, `"max_tokens":1500,"thinking":{"type":"enabled","budget_tokens":2000}`), 400, "")
	if !strings.Contains(e.Error.Message, "budget_tokens") {
		t.Errorf("message %q", e.Error.Message)
	}
	// A conversation that starts with the assistant.
	wantError(t, g.do("POST", "/chat/completions", `{"model":"`+haiku+`","messages":[{"role":"assistant","content":"x"},{"role":"user","content":"y"}]}`), 400, "")
}

func TestBedrockErrorMapping(t *testing.T) {
	g := startGateway(t)
	cases := []struct {
		directive  string
		status     int
		code       string
		retryAfter bool
	}{
		{"[[emulate:throttle]]", 429, "rate_limit_exceeded", true},
		{"[[emulate:error=ServiceQuotaExceededException]]", 429, "rate_limit_exceeded", true},
		{"[[emulate:error=ValidationException]]", 400, "", false},
		{"[[emulate:error=AccessDeniedException]]", 403, "model_access_denied", false},
		{"[[emulate:error=ResourceNotFoundException]]", 404, "model_not_found", false},
		{"[[emulate:error=ModelNotReadyException]]", 503, "model_not_ready", true},
		{"[[emulate:error=ServiceUnavailableException]]", 503, "service_unavailable", true},
		{"[[emulate:error=ModelTimeoutException]]", 504, "upstream_timeout", false},
		{"[[emulate:error=InternalServerException]]", 502, "upstream_error", false},
		{"[[emulate:error=ModelErrorException]]", 502, "upstream_error", false},
	}
	for _, tc := range cases {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/stream=%v", tc.directive, stream), func(t *testing.T) {
				resp := g.chat(haiku, "hi "+tc.directive, stream, "")
				if got := resp.Header.Get("Retry-After"); (got != "") != tc.retryAfter {
					t.Errorf("Retry-After %q", got)
				}
				e := wantError(t, resp, tc.status, tc.code)
				if tc.status == 403 && strings.Contains(e.Error.Message, "arn:") {
					t.Errorf("access denied message leaks AWS details: %s", e.Error.Message)
				}
			})
		}
	}
}

func TestThrottlingIsRetriedThen429(t *testing.T) {
	g := startGateway(t, func(o *gatewayOpts) { o.maxAttempts = 2 })
	before := g.emu.Emulator.Stats().Requests["Converse"]
	wantError(t, g.chat(haiku, "[[emulate:throttle]]", false, ""), 429, "rate_limit_exceeded")
	if n := g.emu.Emulator.Stats().Requests["Converse"] - before; n != 2 {
		t.Fatalf("Bedrock saw %d attempts, want 2", n)
	}
}

func TestMidStreamErrorIsAnErrorEvent(t *testing.T) {
	g := startGateway(t, func(o *gatewayOpts) { o.maxAttempts = 3 })
	resp := g.chat(haiku, "[[emulate:words=10]] [[emulate:error-after=3]]", true, "")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	s := summarize(t, readSSE(t, resp))
	if s.errMsg == "" || s.finish != "" {
		t.Fatalf("want an error event and no finish chunk: %+v", s)
	}
	if s.content == "" {
		t.Errorf("deltas before the error were lost")
	}
	// Never a retry once the first byte went out: the client already has part of an answer.
	if n := g.emu.Emulator.Stats().Requests["ConverseStream"]; n != 1 {
		t.Errorf("Bedrock saw %d ConverseStream calls, want 1", n)
	}
}

func TestCutStreamIsNeverACleanFinish(t *testing.T) {
	g := startGateway(t)
	s := summarize(t, readSSE(t, g.chat(haiku, "[[emulate:words=10]] [[emulate:cut-after=3]]", true, `"stream_options":{"include_usage":true}`)))
	if s.errMsg == "" || s.finish != "" {
		t.Fatalf("want an error event and no finish chunk: %+v", s)
	}
	for _, c := range s.chunks {
		if c.Usage != nil {
			t.Errorf("usage chunk on a broken stream")
		}
	}
	// Non-streaming: the connection drops before the answer.
	wantError(t, g.chat(haiku, "[[emulate:cut-after=0]]", false, ""), 502, "upstream_error")
}

func TestClientDisconnectCancelsBedrockStream(t *testing.T) {
	g := startGateway(t)
	ctx, cancel := context.WithCancel(context.Background())
	resp := g.doCtx(ctx, "POST", "/chat/completions", `{"model":"`+haiku+`","stream":true,"messages":[{"role":"user","content":"[[emulate:words=200]] [[emulate:delay-ms=50]]"}]}`)
	buf := make([]byte, 512)
	if _, err := resp.Body.Read(buf); err != nil {
		t.Fatal(err)
	}
	cancel()
	resp.Body.Close()
	cancelled := time.Now()
	deadline := cancelled.Add(5 * time.Second)
	for {
		st := g.emu.Emulator.Stats()
		if st.StreamsCancelled == 1 && st.StreamsActive == 0 {
			// Reported, not asserted: timing belongs to the benchmark, not to a test on a shared machine.
			t.Logf("Bedrock stream cancelled %s after the client went away", time.Since(cancelled).Round(time.Millisecond))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Bedrock stream not cancelled: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestKeepAlivePings(t *testing.T) {
	g := startGateway(t, func(o *gatewayOpts) { o.ping = 20 * time.Millisecond })
	s := summarize(t, readSSE(t, g.chat(haiku, "[[emulate:words=3]] [[emulate:delay-ms=150]]", true, "")))
	if s.pings == 0 || !s.done || s.finish != "stop" {
		t.Fatalf("want pings during silences and a clean end: %+v", s)
	}
}

func TestConcurrentStreams(t *testing.T) {
	t.Run("HTTP/1.1", func(t *testing.T) { concurrentStreams(t, startGateway(t)) })
	// Against AWS the SDK negotiates HTTP/2, where all these streams share a connection.
	t.Run("HTTP/2", func(t *testing.T) { concurrentStreams(t, startGateway(t, func(o *gatewayOpts) { o.h2c = true })) })
}

func concurrentStreams(t *testing.T, g *gateway) {
	const n = 200
	var wg sync.WaitGroup
	bodies := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			text := fmt.Sprintf("stream number %d of many, each with its own words", i)
			req, _ := http.NewRequest("POST", g.URL+"/chat/completions", strings.NewReader(
				`{"model":"`+haiku+`","stream":true,"messages":[{"role":"user","content":"`+text+`"}]}`))
			req.Header.Set("Authorization", "Bearer "+testKey)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				bodies[i] = "request failed: " + err.Error()
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			bodies[i] = string(b)
		}()
	}
	wg.Wait()
	for i, body := range bodies {
		resp := &http.Response{Header: http.Header{"Content-Type": {"text/event-stream"}}, Body: io.NopCloser(strings.NewReader(body))}
		s := summarize(t, readSSE(t, resp))
		// Every stream must carry exactly its own text: streams share the SDK client and its connections.
		want := fmt.Sprintf("You said: stream number %d of many, each with its own words", i)
		if s.finish != "stop" || !s.done || s.content != want {
			t.Errorf("stream %d: finish=%q done=%v content=%q", i, s.finish, s.done, s.content)
		}
	}
}

func TestCORS(t *testing.T) {
	g := startGateway(t, func(o *gatewayOpts) { o.origins = []string{"https://chat.example.com"} })
	resp := g.do("OPTIONS", "/chat/completions", "", "Origin", "https://chat.example.com", "Access-Control-Request-Method", "POST", "Authorization", "")
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "https://chat.example.com" {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	resp = g.do("GET", "/models", "", "Origin", "https://evil.example.com")
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("foreign origin allowed")
	}
}

func TestRequestID(t *testing.T) {
	g := startGateway(t)
	if id := g.do("GET", "/models", "", "X-Request-Id", "abc-123").Header.Get("X-Request-Id"); id != "abc-123" {
		t.Errorf("request id not echoed: %q", id)
	}
	if id := g.do("GET", "/models", "").Header.Get("X-Request-Id"); id == "" {
		t.Errorf("no request id generated")
	}
}

func TestDrainingRefusesNewWork(t *testing.T) {
	g := startGateway(t)
	g.srv.Drain()
	resp := g.do("GET", strings.TrimSuffix(g.URL, "/api/v1")+"/health", "")
	if resp.StatusCode != 503 {
		t.Fatalf("health while draining: %d", resp.StatusCode)
	}
	wantError(t, g.chat(haiku, "hi", false, ""), 503, "shutting_down")
}
