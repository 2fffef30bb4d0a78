package bedrock

import (
	"strings"
	"testing"

	"github.com/openwebui-bedrock/gateway/openai"
)

// FuzzBuildConverse: any valid OpenAI request translates or gets a 400 — never a panic — for every model shape.
func FuzzBuildConverse(f *testing.F) {
	for _, seed := range []string{
		`{"model":"m","messages":[{"role":"system","content":"s"},{"role":"user","content":"hi"}],"temperature":0.5,"top_p":0.9,"max_tokens":5}`,
		`{"model":"m","messages":[{"role":"user","content":"x"},{"role":"assistant","content":"<think>a</think>b","tool_calls":[{"id":"a","type":"function","function":{"name":"f.g h","arguments":"{\"x\":1}"}}]},{"role":"tool","tool_call_id":"a","content":"r"},{"role":"tool","tool_call_id":"zz","content":""}],"tools":[{"type":"function","function":{"name":"f.g h"}}],"reasoning_effort":"high"}`,
		`{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,` + png1x1 + `"}},{"type":"text","text":"q","cache_control":{"type":"ephemeral"}}]}],"response_format":{"type":"json_schema","json_schema":{"name":"n","schema":{"type":"object"}}}}`,
		`{"model":"m","messages":[{"role":"assistant","content":"first"},{"role":"user","content":" "}],"tool_choice":"required","tools":[{"type":"function","function":{"name":"f"}}],"thinking":{"type":"enabled","budget_tokens":2048}}`,
		`{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"},"prompt_caching":true,"top_k":3,"guardrailConfig":{"guardrailIdentifier":"g","guardrailVersion":"1"}}`,
	} {
		f.Add(seed)
	}
	models := []*Model{haiku, textOnly, sonnet45, titan, llama, nova, appProf}
	f.Fuzz(func(t *testing.T, body string) {
		var req openai.ChatRequest
		if openai.Decode(strings.NewReader(body), &req) != nil || req.Validate() != nil {
			return
		}
		for _, m := range models {
			call, err := BuildConverse(&req, m, TranslateOptions{PromptCaching: true})
			if err != nil {
				if err.Status != 400 || err.Message == "" {
					t.Fatalf("%s: error %+v", m.ID, err)
				}
				continue
			}
			if call.Input == nil || len(call.Input.Messages) == 0 {
				t.Fatalf("%s: empty translation", m.ID)
			}
		}
	})
}
