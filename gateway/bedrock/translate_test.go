package bedrock

import (
	"strings"
	"testing"

	"github.com/openwebui-bedrock/gateway/openai"
)

var (
	haiku    = &Model{ID: "anthropic.claude-3-haiku-20240307-v1:0", InvokeID: "anthropic.claude-3-haiku-20240307-v1:0", Kind: KindChat, Images: true}
	textOnly = &Model{ID: "amazon.nova-micro-v1:0", InvokeID: "amazon.nova-micro-v1:0", Kind: KindChat}
	appProf  = &Model{ID: "team-chat", InvokeID: "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc", Kind: KindChat}
)

const png1x1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="

// Golden cases: an OpenAI request and the exact Converse JSON the SDK puts on the wire (or the 400 we answer).
func TestBuildConverseGolden(t *testing.T) {
	cases := []struct {
		name    string
		model   *Model
		req     string
		want    string // Converse body
		wantErr string // substring of the error message; the status is always 400
	}{{
		name: "plain user message",
		req:  `{"model":"m","messages":[{"role":"user","content":"Hello"}]}`,
		want: `{"messages":[{"role":"user","content":[{"text":"Hello"}]}]}`,
	}, {
		name: "system and developer, strings and text parts, blank ones dropped",
		req: `{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"developer","content":[{"type":"text","text":"Answer in French."},{"type":"text","text":"  "}]},
			{"role":"system","content":""},{"role":"user","content":"Hi"}]}`,
		want: `{"system":[{"text":"Be brief."},{"text":"Answer in French."}],"messages":[{"role":"user","content":[{"text":"Hi"}]}]}`,
	}, {
		name: "multi-turn with consecutive same-role messages merged and blank turns dropped",
		req: `{"model":"m","messages":[{"role":"user","content":"one"},{"role":"user","content":[{"type":"text","text":"two"}]},
			{"role":"assistant","content":""},{"role":"assistant","content":"three"},{"role":"user","content":" "},{"role":"user","content":"four"}]}`,
		want: `{"messages":[{"role":"user","content":[{"text":"one"},{"text":"two"}]},{"role":"assistant","content":[{"text":"three"}]},{"role":"user","content":[{"text":"four"}]}]}`,
	}, {
		name: "inference parameters; max_completion_tokens wins over max_tokens; stop as a string",
		req:  `{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":0.5,"top_p":0.9,"max_tokens":10,"max_completion_tokens":20,"stop":"END"}`,
		want: `{"inferenceConfig":{"maxTokens":20,"temperature":0.5,"topP":0.9,"stopSequences":["END"]},"messages":[{"role":"user","content":[{"text":"x"}]}]}`,
	}, {
		name: "max_tokens alone and stop as an array; unmappable fields ignored",
		req:  `{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":50,"stop":["a","b"],"seed":7,"frequency_penalty":0.1,"presence_penalty":0.2,"logit_bias":{"1":2},"user":{"id":"u"},"metadata":{"k":"v"},"store":false}`,
		want: `{"inferenceConfig":{"maxTokens":50,"stopSequences":["a","b"]},"messages":[{"role":"user","content":[{"text":"x"}]}]}`,
	}, {
		name: "think blocks in assistant history are stripped",
		req: `{"model":"m","messages":[{"role":"user","content":"q"},{"role":"assistant","content":"<think>\nlet me see\n</think>\nThe answer."},
			{"role":"assistant","content":"<think>only thinking</think>"},{"role":"user","content":"thanks"}]}`,
		want: `{"messages":[{"role":"user","content":[{"text":"q"}]},{"role":"assistant","content":[{"text":"\nThe answer."}]},{"role":"user","content":[{"text":"thanks"}]}]}`,
	}, {
		name:  "application profile is invoked by ARN",
		model: appProf,
		req:   `{"model":"team-chat","messages":[{"role":"user","content":"x"}]}`,
		want:  `{"messages":[{"role":"user","content":[{"text":"x"}]}]}`,
	}, {
		name: "tools with auto choice; empty description replaced; missing parameters get an object schema",
		req: `{"model":"m","messages":[{"role":"user","content":"weather?"}],"tool_choice":"auto",
			"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}},
			{"type":"function","function":{"name":"now","description":""}}]}`,
		want: `{"messages":[{"role":"user","content":[{"text":"weather?"}]}],"toolConfig":{"tools":[
			{"toolSpec":{"name":"get_weather","description":"Weather","inputSchema":{"json":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}},
			{"toolSpec":{"name":"now","description":"now","inputSchema":{"json":{"type":"object","properties":{}}}}}]}}`,
	}, {
		name: "tool_choice required and named function",
		req: `{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"function","function":{"name":"f"}},
			"tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object"}}}]}`,
		want: `{"messages":[{"role":"user","content":[{"text":"x"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"f","description":"d","inputSchema":{"json":{"type":"object"}}}}],"toolChoice":{"tool":{"name":"f"}}}}`,
	}, {
		name: "tools: [] means no tools",
		req:  `{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[]}`,
		want: `{"messages":[{"role":"user","content":[{"text":"x"}]}]}`,
	}, {
		name: "tool_choice none sends no tools",
		req:  `{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"none","tools":[{"type":"function","function":{"name":"f","description":"d"}}]}`,
		want: `{"messages":[{"role":"user","content":[{"text":"x"}]}]}`,
	}, {
		name: "tool history without tools: toolUse/toolResult kept, tools declared from the history",
		req: `{"model":"m","messages":[{"role":"user","content":"weather in Paris?"},
			{"role":"assistant","content":"Let me check.","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
			{"role":"tool","tool_call_id":"call_1","content":"sunny"},{"role":"user","content":"and tomorrow?"}]}`,
		want: `{"messages":[{"role":"user","content":[{"text":"weather in Paris?"}]},
			{"role":"assistant","content":[{"text":"Let me check."},{"toolUse":{"toolUseId":"call_1","name":"get_weather","input":{"city":"Paris"}}}]},
			{"role":"user","content":[{"toolResult":{"toolUseId":"call_1","content":[{"text":"sunny"}]}},{"text":"and tomorrow?"}]}],
			"toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","description":"get_weather","inputSchema":{"json":{"type":"object"}}}}]}}`,
	}, {
		name: "parallel tool results as text parts and an empty result",
		req: `{"model":"m","messages":[{"role":"user","content":"x"},
			{"role":"assistant","content":null,"tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":""}},{"id":"b","type":"function","function":{"name":"f","arguments":"{}"}}]},
			{"role":"tool","tool_call_id":"a","content":[{"type":"text","text":"r1"}]},{"role":"tool","tool_call_id":"b","content":""}],
			"tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object","properties":{}}}}]}`,
		want: `{"messages":[{"role":"user","content":[{"text":"x"}]},
			{"role":"assistant","content":[{"toolUse":{"toolUseId":"a","name":"f","input":{}}},{"toolUse":{"toolUseId":"b","name":"f","input":{}}}]},
			{"role":"user","content":[{"toolResult":{"toolUseId":"a","content":[{"text":"r1"}]}},{"toolResult":{"toolUseId":"b","content":[{"text":"(empty result)"}]}}]}],
			"toolConfig":{"tools":[{"toolSpec":{"name":"f","description":"d","inputSchema":{"json":{"type":"object","properties":{}}}}}]}}`,
	}, {
		name: "data URL image, format sniffed from the bytes",
		req:  `{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"what is this?"},{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,` + png1x1 + `"}}]}]}`,
		want: `{"messages":[{"role":"user","content":[{"text":"what is this?"},{"image":{"format":"png","source":{"bytes":"` + png1x1 + `"}}}]}]}`,
	}, {
		name:    "image to a text-only model",
		model:   textOnly,
		req:     `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,` + png1x1 + `"}}]}]}`,
		wantErr: "does not accept images",
	}, {
		name:    "image that is not an image",
		req:     `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,aGVsbG8="}}]}]}`,
		wantErr: "not PNG, JPEG, GIF or WebP",
	}, {
		name:    "tool arguments that are not JSON",
		req:     `{"model":"m","messages":[{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{oops"}}]},{"role":"tool","tool_call_id":"a","content":"r"}]}`,
		wantErr: "messages[1].tool_calls[0].function.arguments is not valid JSON",
	}, {
		name:    "named tool choice that is not offered",
		req:     `{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"function","function":{"name":"g"}},"tools":[{"type":"function","function":{"name":"f","description":"d"}}]}`,
		wantErr: `names function "g"`,
	}, {
		name:    "nothing but system messages",
		req:     `{"model":"m","messages":[{"role":"system","content":"x"}]}`,
		wantErr: "no user or assistant content",
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.model
			if m == nil {
				m = haiku
			}
			var req openai.ChatRequest
			if err := openai.Decode(strings.NewReader(tc.req), &req); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if err := req.Validate(); err != nil {
				t.Fatalf("validate: %v", err)
			}
			in, err := BuildConverse(&req, m)
			if tc.wantErr != "" {
				if err == nil || err.Status != 400 || !strings.Contains(err.Message, tc.wantErr) {
					t.Fatalf("want 400 containing %q, got %v", tc.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got := *in.ModelId; got != m.InvokeID {
				t.Errorf("modelId %q, want %q", got, m.InvokeID)
			}
			if got := wireJSON(t, in); !jsonEqual(t, got, tc.want) {
				t.Errorf("wire JSON\n got: %s\nwant: %s", pretty(got), pretty(normJSON(t, []byte(tc.want))))
			}
		})
	}
}

func TestStreamInputCarriesEverything(t *testing.T) {
	var req openai.ChatRequest
	openai.Decode(strings.NewReader(`{"model":"m","messages":[{"role":"system","content":"s"},{"role":"user","content":"x"}],"max_tokens":5,"tools":[{"type":"function","function":{"name":"f","description":"d"}}]}`), &req)
	in, err := BuildConverse(&req, haiku)
	if err != nil {
		t.Fatal(err)
	}
	s := StreamInput(in)
	if s.ModelId != in.ModelId || len(s.Messages) != 1 || len(s.System) != 1 || s.InferenceConfig != in.InferenceConfig || s.ToolConfig != in.ToolConfig {
		t.Fatalf("stream input lost fields: %+v", s)
	}
}
