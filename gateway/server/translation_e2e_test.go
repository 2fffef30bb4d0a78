package server

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/openwebui-bedrock/gateway/imagefetch"
)

// These tests send OpenAI requests through the gateway to the emulator, which validates like Bedrock: a
// translation Bedrock would reject fails here.

type fullCompletion struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Model   string `json:"model"`
	Choices []struct {
		Message struct {
			Role             string  `json:"role"`
			Content          *string `json:"content"`
			ReasoningContent string  `json:"reasoning_content"`
			ThinkingBlocks   []struct {
				Type, Thinking, Signature string
			} `json:"thinking_blocks"`
			ToolCalls []struct {
				ID       string `json:"id"`
				Function struct {
					Name      string `json:"name"`
					Arguments string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage struct {
		PromptTokens        int `json:"prompt_tokens"`
		CompletionTokens    int `json:"completion_tokens"`
		TotalTokens         int `json:"total_tokens"`
		PromptTokensDetails struct {
			CachedTokens     int `json:"cached_tokens"`
			CacheWriteTokens int `json:"cache_write_tokens"`
		} `json:"prompt_tokens_details"`
		CompletionTokensDetails struct {
			ReasoningTokens int `json:"reasoning_tokens"`
		} `json:"completion_tokens_details"`
	} `json:"usage"`
}

func post(t *testing.T, g *gateway, body string) fullCompletion {
	t.Helper()
	resp := g.do("POST", "/chat/completions", body)
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	return decodeBody[fullCompletion](t, resp)
}

const weatherTool = `{"type":"function","function":{"name":"get_weather","description":"Weather for a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}`

func TestOpenWebUIShapes(t *testing.T) {
	g := startGateway(t)
	// Title task: non-stream, small max_tokens, temperature and top_p on Claude 4.5 (which rejects both).
	c := post(t, g, `{"model":"`+sonnet45+`","stream":false,"max_tokens":50,"temperature":0.1,"top_p":0.9,"reasoning_effort":"medium",
		"messages":[{"role":"user","content":"Generate a concise title for this chat: hello"}]}`)
	if c.Choices[0].Message.Content == nil || *c.Choices[0].Message.Content == "" {
		t.Fatalf("title task: %+v", c)
	}
	// Chat stream with tools: [] and include_usage.
	s := summarize(t, readSSE(t, g.do("POST", "/chat/completions", `{"model":"`+haiku+`","stream":true,"stream_options":{"include_usage":true},"tools":[],
		"messages":[{"role":"user","content":"hi"}]}`)))
	if s.finish != "stop" || !s.done {
		t.Fatalf("tools: []: %+v", s)
	}
	// <think> in assistant history, and a tool-call history sent without tools (a task over the chat).
	c = post(t, g, `{"model":"`+haiku+`","messages":[{"role":"user","content":"weather?"},
		{"role":"assistant","content":"<think>call the tool</think>Checking.","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
		{"role":"tool","tool_call_id":"call_1","content":"sunny"},{"role":"assistant","content":"<think>easy</think>It is sunny."},
		{"role":"user","content":"Generate a title"}]}`)
	if c.Choices[0].FinishReason != "stop" || len(c.Choices[0].Message.ToolCalls) != 0 {
		t.Fatalf("history without tools must be answered in text: %+v", c.Choices[0])
	}
}

func TestToolRoundTrip(t *testing.T) {
	g := startGateway(t)
	c := post(t, g, `{"model":"`+haiku+`","messages":[{"role":"user","content":"weather in Paris?"}],"tools":[`+weatherTool+`]}`)
	ch := c.Choices[0]
	if ch.FinishReason != "tool_calls" || len(ch.Message.ToolCalls) != 1 || ch.Message.Content == nil || *ch.Message.Content == "" {
		t.Fatalf("first turn (text before the call must be kept): %+v", ch)
	}
	tc := ch.Message.ToolCalls[0]
	var args map[string]any
	if err := json.Unmarshal([]byte(tc.Function.Arguments), &args); err != nil || tc.Function.Name != "get_weather" {
		t.Fatalf("tool call %+v", tc)
	}
	hist, _ := json.Marshal([]map[string]any{
		{"role": "user", "content": "weather in Paris?"},
		{"role": "assistant", "content": *ch.Message.Content, "tool_calls": []map[string]any{{"id": tc.ID, "type": "function", "function": map[string]any{"name": tc.Function.Name, "arguments": tc.Function.Arguments}}}},
		{"role": "tool", "tool_call_id": tc.ID, "content": "18 degrees and sunny"},
	})
	c = post(t, g, `{"model":"`+haiku+`","messages":`+string(hist)+`,"tools":[`+weatherTool+`]}`)
	if c.Choices[0].FinishReason != "stop" || !strings.Contains(*c.Choices[0].Message.Content, "18 degrees") {
		t.Fatalf("answer after the tool result: %+v", c.Choices[0])
	}
}

func TestToolChoiceNoneAndOddNames(t *testing.T) {
	g := startGateway(t)
	c := post(t, g, `{"model":"`+haiku+`","messages":[{"role":"user","content":"weather?"}],"tool_choice":"none","tools":[`+weatherTool+`]}`)
	if c.Choices[0].FinishReason != "stop" || len(c.Choices[0].Message.ToolCalls) != 0 {
		t.Fatalf("tool_choice none: %+v", c.Choices[0])
	}
	odd := `{"type":"function","function":{"name":"weather.get current","description":"","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}`
	c = post(t, g, `{"model":"`+haiku+`","messages":[{"role":"user","content":"weather?"}],"tools":[`+odd+`]}`)
	if tcs := c.Choices[0].Message.ToolCalls; len(tcs) != 1 || tcs[0].Function.Name != "weather.get current" {
		t.Fatalf("the client must see its own tool name: %+v", c.Choices[0])
	}
}

func TestOrphanToolCallsAreRepaired(t *testing.T) {
	g := startGateway(t)
	c := post(t, g, `{"model":"`+haiku+`","tools":[`+weatherTool+`],"messages":[{"role":"user","content":"weather?"},
		{"role":"assistant","content":null,"tool_calls":[{"id":"a","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Rome\"}"}},{"id":"b","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},
		{"role":"tool","tool_call_id":"a","content":"warm"},{"role":"tool","tool_call_id":"ghost","content":"??"}]}`)
	if c.Choices[0].Message.Content == nil {
		t.Fatalf("%+v", c.Choices[0])
	}
}

func TestModelsWithoutToolSupport(t *testing.T) {
	g := startGateway(t)
	wantError(t, g.do("POST", "/chat/completions", `{"model":"amazon.titan-text-express-v1","messages":[{"role":"user","content":"x"}],"tools":[`+weatherTool+`]}`), 400, "")
	// Titan has no system prompt support: the system prompt is folded into the first user turn.
	post(t, g, `{"model":"amazon.titan-text-express-v1","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"x"}]}`)
	// Llama cannot stream with tools on Bedrock: the client still gets a stream.
	s := summarize(t, readSSE(t, g.do("POST", "/chat/completions", `{"model":"meta.llama3-1-8b-instruct-v1:0","stream":true,"stream_options":{"include_usage":true},
		"messages":[{"role":"user","content":"weather?"}],"tools":[`+weatherTool+`]}`)))
	if s.finish != "tool_calls" || !s.done || s.chunks[len(s.chunks)-1].Usage == nil {
		t.Fatalf("Llama tool stream: %+v", s)
	}
}

func TestReasoning(t *testing.T) {
	g := startGateway(t)
	c := post(t, g, `{"model":"`+sonnet45+`","reasoning_effort":"low","messages":[{"role":"user","content":"why is the sky blue?"}]}`)
	m := c.Choices[0].Message
	if m.ReasoningContent == "" || len(m.ThinkingBlocks) != 1 || m.ThinkingBlocks[0].Signature == "" || c.Usage.CompletionTokensDetails.ReasoningTokens == 0 {
		t.Fatalf("reasoning: %+v usage %+v", m, c.Usage)
	}
	// Streaming: reasoning_content deltas before the content.
	evs := readSSE(t, g.do("POST", "/chat/completions", `{"model":"`+sonnet45+`","stream":true,"reasoning_effort":"low","messages":[{"role":"user","content":"why?"}]}`))
	sawReasoning := false
	for _, ev := range evs {
		if strings.Contains(ev.data, `"reasoning_content"`) {
			sawReasoning = true
		}
	}
	if s := summarize(t, evs); !sawReasoning || s.finish != "stop" {
		t.Fatalf("stream reasoning: %v %+v", sawReasoning, s)
	}
	// DeepSeek R1 reasons without signatures.
	c = post(t, g, `{"model":"us.deepseek.r1-v1:0","messages":[{"role":"user","content":"2+2?"}]}`)
	if c.Choices[0].Message.ReasoningContent == "" || len(c.Choices[0].Message.ThinkingBlocks) != 0 {
		t.Fatalf("R1: %+v", c.Choices[0].Message)
	}
}

// Thinking plus tools over several turns: round-trip the signed reasoning when the client sends it back; otherwise
// the turn runs without thinking instead of failing.
func TestThinkingWithToolsAcrossTurns(t *testing.T) {
	g := startGateway(t)
	first := post(t, g, `{"model":"`+sonnet45+`","reasoning_effort":"low","messages":[{"role":"user","content":"weather in Paris?"}],"tools":[`+weatherTool+`]}`)
	m := first.Choices[0].Message
	if first.Choices[0].FinishReason != "tool_calls" || len(m.ThinkingBlocks) == 0 {
		t.Fatalf("first turn: %+v", first.Choices[0])
	}
	tc := m.ToolCalls[0]
	for _, sendBack := range []bool{true, false} {
		assistant := map[string]any{"role": "assistant", "content": m.Content, "tool_calls": []map[string]any{{"id": tc.ID, "type": "function",
			"function": map[string]any{"name": tc.Function.Name, "arguments": tc.Function.Arguments}}}}
		if sendBack {
			assistant["thinking_blocks"] = m.ThinkingBlocks
		}
		hist, _ := json.Marshal([]any{map[string]any{"role": "user", "content": "weather in Paris?"}, assistant,
			map[string]any{"role": "tool", "tool_call_id": tc.ID, "content": "sunny"}})
		c := post(t, g, `{"model":"`+sonnet45+`","reasoning_effort":"low","messages":`+string(hist)+`,"tools":[`+weatherTool+`]}`)
		if c.Choices[0].FinishReason != "stop" || !strings.Contains(*c.Choices[0].Message.Content, "sunny") {
			t.Fatalf("second turn (thinking blocks sent back: %v): %+v", sendBack, c.Choices[0])
		}
	}
}

func TestStructuredOutput(t *testing.T) {
	g := startGateway(t)
	schema := `{"type":"json_schema","json_schema":{"name":"person","strict":true,"schema":{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"],"additionalProperties":false}}}`
	for _, model := range []string{sonnet45, haiku} { // native outputConfig, forced-tool fallback
		c := post(t, g, `{"model":"`+model+`","messages":[{"role":"user","content":"Ada, 36"}],"response_format":`+schema+`}`)
		var v struct {
			Name string `json:"name"`
			Age  *int   `json:"age"`
		}
		if err := json.Unmarshal([]byte(*c.Choices[0].Message.Content), &v); err != nil || v.Age == nil || c.Choices[0].FinishReason != "stop" {
			t.Fatalf("%s: content %q is not the JSON asked for (%v)", model, *c.Choices[0].Message.Content, err)
		}
		s := summarize(t, readSSE(t, g.do("POST", "/chat/completions", `{"model":"`+model+`","stream":true,"messages":[{"role":"user","content":"Ada"}],"response_format":`+schema+`}`)))
		if err := json.Unmarshal([]byte(s.content), &v); err != nil || s.finish != "stop" {
			t.Fatalf("%s stream: %q %v", model, s.content, err)
		}
	}
	c := post(t, g, `{"model":"`+haiku+`","messages":[{"role":"user","content":"json please"}],"response_format":{"type":"json_object"}}`)
	var obj map[string]any
	if err := json.Unmarshal([]byte(*c.Choices[0].Message.Content), &obj); err != nil {
		t.Fatalf("json_object: %q", *c.Choices[0].Message.Content)
	}
}

func TestPromptCachingAndExtras(t *testing.T) {
	g := startGateway(t, func(o *gatewayOpts) { o.translate.PromptCaching = true })
	body := `{"model":"amazon.nova-pro-v1:0","messages":[{"role":"system","content":"` + strings.Repeat("You are a careful assistant. ", 40) + `"},{"role":"user","content":"hi"}]}`
	first := post(t, g, body)
	second := post(t, g, body)
	if first.Usage.PromptTokensDetails.CacheWriteTokens == 0 || second.Usage.PromptTokensDetails.CachedTokens == 0 {
		t.Fatalf("cache write then read: %+v / %+v", first.Usage, second.Usage)
	}
	if second.Usage.PromptTokens < second.Usage.PromptTokensDetails.CachedTokens {
		t.Fatalf("prompt_tokens must include cached tokens: %+v", second.Usage)
	}
	// Provider extras at the top level and in extra_body are accepted.
	post(t, g, `{"model":"`+sonnet45+`","messages":[{"role":"user","content":"x"}],"top_k":20,"extra_body":{"anthropic_beta":["context-1m-2025-08-07"]}}`)
}

func TestGuardrails(t *testing.T) {
	g := startGateway(t, func(o *gatewayOpts) {
		o.translate.Guardrail = &types.GuardrailConfiguration{GuardrailIdentifier: aws.String("gr-env"), GuardrailVersion: aws.String("1")}
	})
	c := post(t, g, `{"model":"`+haiku+`","messages":[{"role":"user","content":"bad words [[emulate:guardrail]]"}]}`)
	if c.Choices[0].FinishReason != "content_filter" {
		t.Fatalf("env guardrail: %+v", c.Choices[0])
	}
	g = startGateway(t)
	s := summarize(t, readSSE(t, g.do("POST", "/chat/completions", `{"model":"`+haiku+`","stream":true,"messages":[{"role":"user","content":"[[emulate:guardrail]]"}],
		"extra_body":{"guardrailConfig":{"guardrailIdentifier":"gr-req","guardrailVersion":"DRAFT"}}}`)))
	if s.finish != "content_filter" {
		t.Fatalf("request guardrail: %+v", s)
	}
}

func TestCatalogueOptions(t *testing.T) {
	g := startGateway(t, func(o *gatewayOpts) {
		o.catalogue.Allow = []string{"anthropic.claude-3-haiku*", "anthropic.claude-sonnet-4-5*"}
		o.catalogue.Aliases = map[string]string{"fast": haiku, "nope": "amazon.nova-micro-v1:0"}
	})
	resp := g.do("GET", "/models", "")
	b, _ := io.ReadAll(resp.Body)
	list := string(b)
	for _, want := range []string{`"` + haiku + `"`, `"` + usHaiku + `"`, `"` + sonnet45 + `"`, `"fast"`} {
		if !strings.Contains(list, want) {
			t.Errorf("allow-listed %s missing", want)
		}
	}
	for _, banned := range []string{"nova", "llama", `"nope"`} {
		if strings.Contains(list, banned) {
			t.Errorf("%s listed despite MODEL_ALLOWLIST", banned)
		}
	}
	wantError(t, g.chat("amazon.nova-micro-v1:0", "x", false, ""), 404, "model_not_found")
	post(t, g, `{"model":"fast","messages":[{"role":"user","content":"x"}]}`)
	// Cross-region routing: the base id of a profile-only model is served through its profile.
	post(t, g, `{"model":"anthropic.claude-sonnet-4-5-20250929-v1:0","messages":[{"role":"user","content":"x"}]}`)
}

func TestImageURLs(t *testing.T) {
	png, _ := base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
	var hits atomic.Int32
	img := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "image/png")
		w.Write(png)
	}))
	defer img.Close()
	url := strings.Replace(img.URL, "127.0.0.1", "localhost", 1) + "/cat.png"
	body := func(model string) string {
		return `{"model":"` + model + `","messages":[{"role":"user","content":[{"type":"text","text":"what is it?"},{"type":"image_url","image_url":{"url":"` + url + `"}}]}]}`
	}

	// The default fetcher refuses a loopback image server (its port, then its address): it is never contacted.
	g := startGateway(t, func(o *gatewayOpts) { o.images = imagefetch.New(imagefetch.Config{}) })
	e := wantError(t, g.do("POST", "/chat/completions", body(haiku)), 400, "")
	if hits.Load() != 0 {
		t.Fatalf("SSRF guard: %q, %d hits", e.Error.Message, hits.Load())
	}
	// An operator's allow-list lets an internal image host through.
	g = startGateway(t, func(o *gatewayOpts) { o.images = imagefetch.New(imagefetch.Config{AllowHosts: []string{"localhost"}}) })
	post(t, g, body(haiku))
	if hits.Load() != 1 {
		t.Fatalf("image fetched %d times", hits.Load())
	}
	// A text-only model is refused before anything is fetched.
	wantError(t, g.do("POST", "/chat/completions", body("amazon.nova-micro-v1:0")), 400, "")
	if hits.Load() != 1 {
		t.Fatalf("fetched an image for a text-only model")
	}
}
