package bedrock

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/openwebui-bedrock/gateway/openai"
)

var (
	haiku    = testModel("anthropic.claude-3-haiku-20240307-v1:0", true)
	textOnly = testModel("amazon.nova-micro-v1:0", false)
	appProf  = &Model{ID: "team-chat", InvokeID: "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc", Kind: KindChat, Caps: CapsFor("anthropic.claude-3-haiku-20240307-v1:0")}
)

var (
	sonnet45 = &Model{ID: "us.anthropic.claude-sonnet-4-5-20250929-v1:0", InvokeID: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
		BaseModelID: "anthropic.claude-sonnet-4-5-20250929-v1:0", Kind: KindChat, Images: true, Caps: CapsFor("anthropic.claude-sonnet-4-5-20250929-v1:0")}
	titan = testModel("amazon.titan-text-express-v1", false)
	llama = testModel("meta.llama3-1-8b-instruct-v1:0", false)
	nova  = testModel("amazon.nova-pro-v1:0", true)
)

func testModel(id string, images bool) *Model {
	return &Model{ID: id, InvokeID: id, BaseModelID: id, Kind: KindChat, Images: images, Caps: CapsFor(id)}
}

const png1x1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="

// Golden cases: an OpenAI request and the exact Converse JSON the SDK puts on the wire (or the 400 we answer).
func TestBuildConverseGolden(t *testing.T) {
	cases := []struct {
		name    string
		model   *Model
		req     string
		opts    TranslateOptions
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
		name: "tool history without tools is rendered as text, so no toolConfig is needed and no tool can be called",
		req: `{"model":"m","messages":[{"role":"user","content":"weather in Paris?"},
			{"role":"assistant","content":"Let me check.","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Paris\"}"}}]},
			{"role":"tool","tool_call_id":"call_1","content":"sunny"},{"role":"user","content":"and tomorrow?"}]}`,
		want: `{"messages":[{"role":"user","content":[{"text":"weather in Paris?"}]},
			{"role":"assistant","content":[{"text":"Let me check."},{"text":"[called tool get_weather with arguments {\"city\":\"Paris\"} (call id call_1)]"}]},
			{"role":"user","content":[{"text":"[result of tool call call_1]: sunny"},{"text":"and tomorrow?"}]}]}`,
	}, {
		name: "tool history with tools: toolUse/toolResult kept, history tools missing from 'tools' declared",
		req: `{"model":"m","messages":[{"role":"user","content":"weather in Paris?"},
			{"role":"assistant","content":"Let me check.","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
			{"role":"tool","tool_call_id":"call_1","content":"sunny"},{"role":"user","content":"and tomorrow?"}],
			"tools":[{"type":"function","function":{"name":"search","description":"web","parameters":{"type":"object"}}}]}`,
		want: `{"messages":[{"role":"user","content":[{"text":"weather in Paris?"}]},
			{"role":"assistant","content":[{"text":"Let me check."},{"toolUse":{"toolUseId":"call_1","name":"get_weather","input":{"city":"Paris"}}}]},
			{"role":"user","content":[{"toolResult":{"toolUseId":"call_1","content":[{"text":"sunny"}]}},{"text":"and tomorrow?"}]}],
			"toolConfig":{"tools":[{"toolSpec":{"name":"search","description":"web","inputSchema":{"json":{"type":"object"}}}},
				{"toolSpec":{"name":"get_weather","description":"get_weather","inputSchema":{"json":{"type":"object"}}}}]}}`,
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
		name:  "Claude 4.5 gets temperature without top_p (it rejects both)",
		model: sonnet45,
		req:   `{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":0.7,"top_p":0.9}`,
		want:  `{"inferenceConfig":{"temperature":0.7},"messages":[{"role":"user","content":[{"text":"x"}]}]}`,
	}, {
		name:  "top_p alone is kept on Claude 4.5",
		model: sonnet45,
		req:   `{"model":"m","messages":[{"role":"user","content":"x"}],"top_p":0.9}`,
		want:  `{"inferenceConfig":{"topP":0.9},"messages":[{"role":"user","content":[{"text":"x"}]}]}`,
	}, {
		name: "max_tokens above the model's limit is clamped",
		req:  `{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":100000}`,
		want: `{"inferenceConfig":{"maxTokens":4096},"messages":[{"role":"user","content":[{"text":"x"}]}]}`,
	}, {
		name:  "reasoning_effort turns thinking on: budget, room for the answer, temperature dropped, low top_p dropped",
		model: sonnet45,
		req:   `{"model":"m","messages":[{"role":"user","content":"x"}],"reasoning_effort":"low","temperature":0.2,"top_p":0.5}`,
		want: `{"inferenceConfig":{"maxTokens":6144},"additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":2048}},
			"messages":[{"role":"user","content":[{"text":"x"}]}]}`,
	}, {
		name:  "thinking budget fitted under the client's max_tokens",
		model: sonnet45,
		req:   `{"model":"m","messages":[{"role":"user","content":"x"}],"reasoning_effort":"high","max_tokens":5000}`,
		want: `{"inferenceConfig":{"maxTokens":5000},"additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":3976}},
			"messages":[{"role":"user","content":[{"text":"x"}]}]}`,
	}, {
		name:  "a small task call (max_tokens 50) is never broken by thinking",
		model: sonnet45,
		req:   `{"model":"m","messages":[{"role":"user","content":"title?"}],"reasoning_effort":"medium","max_tokens":50,"temperature":0.1,"top_p":0.9}`,
		want:  `{"inferenceConfig":{"maxTokens":50,"temperature":0.1},"messages":[{"role":"user","content":[{"text":"title?"}]}]}`,
	}, {
		name: "reasoning_effort on a model that does not reason is ignored",
		req:  `{"model":"m","messages":[{"role":"user","content":"x"}],"reasoning_effort":"high"}`,
		want: `{"messages":[{"role":"user","content":[{"text":"x"}]}]}`,
	}, {
		name:    "explicit thinking on a model that does not reason",
		req:     `{"model":"m","messages":[{"role":"user","content":"x"}],"thinking":{"type":"enabled","budget_tokens":2000}}`,
		wantErr: "does not support extended thinking",
	}, {
		name:  "explicit thinking in extra_body passes through",
		model: sonnet45,
		req:   `{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":9000,"extra_body":{"thinking":{"type":"enabled","budget_tokens":4000}}}`,
		want: `{"inferenceConfig":{"maxTokens":9000},"additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":4000}},
			"messages":[{"role":"user","content":[{"text":"x"}]}]}`,
	}, {
		name:  "thinking is off for a tool loop whose reasoning the client did not send back; reasoning stripped",
		model: sonnet45,
		req: `{"model":"m","messages":[{"role":"user","content":"weather?"},
			{"role":"assistant","content":null,"tool_calls":[{"id":"t1","type":"function","function":{"name":"f","arguments":"{}"}}]},
			{"role":"tool","tool_call_id":"t1","content":"sunny"}],"reasoning_effort":"low",
			"tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object"}}}]}`,
		want: `{"messages":[{"role":"user","content":[{"text":"weather?"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"f","input":{}}}]},
			{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"text":"sunny"}]}}]}],
			"toolConfig":{"tools":[{"toolSpec":{"name":"f","description":"d","inputSchema":{"json":{"type":"object"}}}}]}}`,
	}, {
		name:  "signed thinking_blocks sent back keep thinking on across the tool loop",
		model: sonnet45,
		req: `{"model":"m","messages":[{"role":"user","content":"weather?"},
			{"role":"assistant","content":null,"thinking_blocks":[{"type":"thinking","thinking":"need a tool","signature":"sig1"}],"tool_calls":[{"id":"t1","type":"function","function":{"name":"f","arguments":"{}"}}]},
			{"role":"tool","tool_call_id":"t1","content":"sunny"}],"reasoning_effort":"low",
			"tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object"}}}]}`,
		want: `{"inferenceConfig":{"maxTokens":6144},"additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":2048}},
			"messages":[{"role":"user","content":[{"text":"weather?"}]},
			{"role":"assistant","content":[{"reasoningContent":{"reasoningText":{"text":"need a tool","signature":"sig1"}}},{"toolUse":{"toolUseId":"t1","name":"f","input":{}}}]},
			{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"text":"sunny"}]}}]}],
			"toolConfig":{"tools":[{"toolSpec":{"name":"f","description":"d","inputSchema":{"json":{"type":"object"}}}}]}}`,
	}, {
		name:  "a forced tool choice turns thinking off",
		model: sonnet45,
		req: `{"model":"m","messages":[{"role":"user","content":"x"}],"reasoning_effort":"low","tool_choice":"required",
			"tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object"}}}]}`,
		want: `{"messages":[{"role":"user","content":[{"text":"x"}]}],
			"toolConfig":{"tools":[{"toolSpec":{"name":"f","description":"d","inputSchema":{"json":{"type":"object"}}}}],"toolChoice":{"any":{}}}}`,
	}, {
		name: "tool names Bedrock rejects are rewritten the same way in tools and history",
		req: `{"model":"m","messages":[{"role":"user","content":"x"},
			{"role":"assistant","tool_calls":[{"id":"a","type":"function","function":{"name":"files.read file","arguments":"{}"}}]},{"role":"tool","tool_call_id":"a","content":"r"}],
			"tools":[{"type":"function","function":{"name":"files.read file","description":"d","parameters":{"type":"object"}}}]}`,
		want: `{"messages":[{"role":"user","content":[{"text":"x"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"a","name":"files_read_file_c80ea599","input":{}}}]},
			{"role":"user","content":[{"toolResult":{"toolUseId":"a","content":[{"text":"r"}]}}]}],
			"toolConfig":{"tools":[{"toolSpec":{"name":"files_read_file_c80ea599","description":"d","inputSchema":{"json":{"type":"object"}}}}]}}`,
	}, {
		name: "an unanswered tool call gets an explicit no-result; a stray result becomes text",
		req: `{"model":"m","messages":[{"role":"user","content":"x"},
			{"role":"assistant","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{}"}}]},
			{"role":"user","content":"never mind"},{"role":"tool","tool_call_id":"zzz","content":"late"}],
			"tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object"}}}]}`,
		want: `{"messages":[{"role":"user","content":[{"text":"x"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"a","name":"f","input":{}}}]},
			{"role":"user","content":[{"toolResult":{"toolUseId":"a","content":[{"text":"(no result: the client did not return one for this tool call)"}]}},{"text":"[result of tool call zzz]: late"},{"text":"never mind"}]}],
			"toolConfig":{"tools":[{"toolSpec":{"name":"f","description":"d","inputSchema":{"json":{"type":"object"}}}}]}}`,
	}, {
		name:    "tools to a model without tool support",
		model:   titan,
		req:     `{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","description":"d"}}]}`,
		wantErr: "does not support tool use",
	}, {
		name:  "a system prompt on a model without system support opens the first user turn",
		model: titan,
		req:   `{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"x"}],"tools":[]}`,
		want:  `{"messages":[{"role":"user","content":[{"text":"Be brief."},{"text":"x"}]}]}`,
	}, {
		name:  "json_schema on a model with structured output: outputConfig",
		model: sonnet45,
		req:   `{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"person","schema":{"type":"object","properties":{"name":{"type":"string"}}},"strict":true}}}`,
		want: `{"messages":[{"role":"user","content":[{"text":"x"}]}],"outputConfig":{"textFormat":{"type":"json_schema",
			"structure":{"jsonSchema":{"name":"person","schema":"{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"}}}"}}}}}`,
	}, {
		name: "json_schema elsewhere: a forced tool whose input is the answer",
		req:  `{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"person","schema":{"type":"object","properties":{"name":{"type":"string"}}}}}}`,
		want: `{"messages":[{"role":"user","content":[{"text":"x"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"person","description":"Give the final answer as JSON in this tool's input.",
			"inputSchema":{"json":{"type":"object","properties":{"name":{"type":"string"}}}}}}],"toolChoice":{"tool":{"name":"person"}}}}`,
	}, {
		name:  "json_object on a model without tools: an instruction",
		model: titan,
		req:   `{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}}`,
		want:  `{"messages":[{"role":"user","content":[{"text":"Reply with only a JSON value, with no other text, that matches this JSON schema: {\"type\":\"object\"}"},{"text":"x"}]}]}`,
	}, {
		name:    "structured output and tools together where it needs the forced tool",
		req:     `{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"},"tools":[{"type":"function","function":{"name":"f","description":"d"}}]}`,
		wantErr: "cannot be combined with tools",
	}, {
		name:  "prompt caching on by default: after the system prompt and the last user turn",
		model: nova,
		opts:  TranslateOptions{PromptCaching: true},
		req:   `{"model":"m","messages":[{"role":"system","content":"long instructions"},{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":"c"}]}`,
		want: `{"system":[{"text":"long instructions"},{"cachePoint":{"type":"default"}}],"messages":[{"role":"user","content":[{"text":"a"}]},
			{"role":"assistant","content":[{"text":"b"}]},{"role":"user","content":[{"text":"c"},{"cachePoint":{"type":"default"}}]}]}`,
	}, {
		name:  "prompt_caching false in the request overrides the default",
		model: nova,
		opts:  TranslateOptions{PromptCaching: true},
		req:   `{"model":"m","messages":[{"role":"system","content":"s"},{"role":"user","content":"a"}],"extra_body":{"prompt_caching":false}}`,
		want:  `{"system":[{"text":"s"}],"messages":[{"role":"user","content":[{"text":"a"}]}]}`,
	}, {
		name:  "cache_control on a part marks a cache point; models without caching are served without",
		model: nova,
		req:   `{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"doc","cache_control":{"type":"ephemeral"}},{"type":"text","text":"q"}]}]}`,
		want:  `{"messages":[{"role":"user","content":[{"text":"doc"},{"cachePoint":{"type":"default"}},{"text":"q"}]}]}`,
	}, {
		name: "prompt_caching on a model without caching does nothing",
		req:  `{"model":"m","messages":[{"role":"user","content":"a"}],"prompt_caching":true}`,
		want: `{"messages":[{"role":"user","content":[{"text":"a"}]}]}`,
	}, {
		name: "provider extras at the top level and in extra_body",
		req: `{"model":"m","messages":[{"role":"user","content":"a"}],"top_k":40,"extra_body":{"anthropic_beta":["b1"],"top_k":5},
			"guardrailConfig":{"guardrailIdentifier":"gr-1","guardrailVersion":"2"}}`,
		want: `{"additionalModelRequestFields":{"top_k":40,"anthropic_beta":["b1"]},"guardrailConfig":{"guardrailIdentifier":"gr-1","guardrailVersion":"2"},
			"messages":[{"role":"user","content":[{"text":"a"}]}]}`,
	}, {
		name: "guardrail from the environment",
		opts: TranslateOptions{Guardrail: &types.GuardrailConfiguration{GuardrailIdentifier: aws.String("env-gr"), GuardrailVersion: aws.String("DRAFT")}},
		req:  `{"model":"m","messages":[{"role":"user","content":"a"}]}`,
		want: `{"guardrailConfig":{"guardrailIdentifier":"env-gr","guardrailVersion":"DRAFT"},"messages":[{"role":"user","content":[{"text":"a"}]}]}`,
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
			call, err := BuildConverse(&req, m, tc.opts)
			if tc.wantErr != "" {
				if err == nil || err.Status != 400 || !strings.Contains(err.Message, tc.wantErr) {
					t.Fatalf("want 400 containing %q, got %v", tc.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got := *call.Input.ModelId; got != m.InvokeID {
				t.Errorf("modelId %q, want %q", got, m.InvokeID)
			}
			if got := wireJSON(t, call.Input); !jsonEqual(t, got, tc.want) {
				t.Errorf("wire JSON\n got: %s\nwant: %s", pretty(got), pretty(normJSON(t, []byte(tc.want))))
			}
		})
	}
}

func TestStreamInputCarriesEverything(t *testing.T) {
	var req openai.ChatRequest
	openai.Decode(strings.NewReader(`{"model":"m","messages":[{"role":"system","content":"s"},{"role":"user","content":"x"}],"max_tokens":5,"tools":[{"type":"function","function":{"name":"f","description":"d"}}]}`), &req)
	call, err := BuildConverse(&req, haiku, TranslateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	in := call.Input
	s := StreamInput(in)
	if s.ModelId != in.ModelId || len(s.Messages) != 1 || len(s.System) != 1 || s.InferenceConfig != in.InferenceConfig || s.ToolConfig != in.ToolConfig {
		t.Fatalf("stream input lost fields: %+v", s)
	}
}

func TestLlamaStreamsWithToolsThroughConverse(t *testing.T) {
	var req openai.ChatRequest
	openai.Decode(strings.NewReader(`{"model":"m","stream":true,"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","description":"d"}}]}`), &req)
	call, err := BuildConverse(&req, llama, TranslateOptions{})
	if err != nil || !call.streamViaConverse {
		t.Fatalf("Llama with tools must stream from Converse: %v %+v", err, call)
	}
	req.Tools = nil
	if call, _ := BuildConverse(&req, llama, TranslateOptions{}); call.streamViaConverse {
		t.Fatalf("Llama without tools streams natively")
	}
}
