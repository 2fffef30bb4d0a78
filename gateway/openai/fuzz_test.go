package openai

import (
	"strings"
	"testing"
)

// FuzzDecodeChatRequest: any body decodes to a request or a 4xx error, and validation never panics.
func FuzzDecodeChatRequest(f *testing.F) {
	for _, seed := range []string{
		`{"model":"m","messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AA=="}}]}],"stream":true,"stream_options":{"include_usage":true}}`,
		`{"model":"m","messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"a","content":"r"}],"tools":[],"tool_choice":"none"}`,
		`{"model":"m","messages":[],"stop":"x","n":2,"temperature":3,"response_format":{"type":"json_schema"}}`,
		`{"model":"m","messages":[{"role":"user","content":"x"}],"extra_body":{"prompt_caching":{"system":true},"thinking":{"type":"enabled","budget_tokens":1024}}}`,
		`[]`, `null`, `{"messages":"x"}`, `{"model":1}`, `{"tool_choice":{"type":"function"}}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var req ChatRequest
		if err := Decode(strings.NewReader(body), &req); err != nil {
			if err.Status < 400 || err.Status >= 500 || err.Message == "" {
				t.Fatalf("decode error %+v", err)
			}
			return
		}
		if err := req.Validate(); err != nil && (err.Status != 400 || err.Message == "") {
			t.Fatalf("validate error %+v", err)
		}
		_ = req.Merged()
		_ = req.MaxOutputTokens()
	})
}
