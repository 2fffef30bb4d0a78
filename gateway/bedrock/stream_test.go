package bedrock

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/openwebui-bedrock/gateway/openai"
)

func evStart() types.ConverseStreamOutput {
	return &types.ConverseStreamOutputMemberMessageStart{Value: types.MessageStartEvent{Role: types.ConversationRoleAssistant}}
}

func evText(block int32, s string) types.ConverseStreamOutput {
	return &types.ConverseStreamOutputMemberContentBlockDelta{Value: types.ContentBlockDeltaEvent{
		ContentBlockIndex: aws.Int32(block), Delta: &types.ContentBlockDeltaMemberText{Value: s}}}
}

func evReasoning(block int32, s string) types.ConverseStreamOutput {
	return &types.ConverseStreamOutputMemberContentBlockDelta{Value: types.ContentBlockDeltaEvent{
		ContentBlockIndex: aws.Int32(block), Delta: &types.ContentBlockDeltaMemberReasoningContent{
			Value: &types.ReasoningContentBlockDeltaMemberText{Value: s}}}}
}

func evSignature(block int32) types.ConverseStreamOutput {
	return &types.ConverseStreamOutputMemberContentBlockDelta{Value: types.ContentBlockDeltaEvent{
		ContentBlockIndex: aws.Int32(block), Delta: &types.ContentBlockDeltaMemberReasoningContent{
			Value: &types.ReasoningContentBlockDeltaMemberSignature{Value: "sig"}}}}
}

func evToolStart(block int32, id, name string) types.ConverseStreamOutput {
	return &types.ConverseStreamOutputMemberContentBlockStart{Value: types.ContentBlockStartEvent{
		ContentBlockIndex: aws.Int32(block), Start: &types.ContentBlockStartMemberToolUse{
			Value: types.ToolUseBlockStart{ToolUseId: aws.String(id), Name: aws.String(name)}}}}
}

func evToolDelta(block int32, frag string) types.ConverseStreamOutput {
	return &types.ConverseStreamOutputMemberContentBlockDelta{Value: types.ContentBlockDeltaEvent{
		ContentBlockIndex: aws.Int32(block), Delta: &types.ContentBlockDeltaMemberToolUse{Value: types.ToolUseBlockDelta{Input: aws.String(frag)}}}}
}

func evBlockStop(block int32) types.ConverseStreamOutput {
	return &types.ConverseStreamOutputMemberContentBlockStop{Value: types.ContentBlockStopEvent{ContentBlockIndex: aws.Int32(block)}}
}

func evStop(r types.StopReason) types.ConverseStreamOutput {
	return &types.ConverseStreamOutputMemberMessageStop{Value: types.MessageStopEvent{StopReason: r}}
}

func evMeta(in, out, cacheRead int32) types.ConverseStreamOutput {
	return &types.ConverseStreamOutputMemberMetadata{Value: types.ConverseStreamMetadataEvent{Usage: &types.TokenUsage{
		InputTokens: aws.Int32(in), OutputTokens: aws.Int32(out), TotalTokens: aws.Int32(in + out + cacheRead), CacheReadInputTokens: aws.Int32(cacheRead)}}}
}

// runStream feeds events to a translator and returns every chunk as a compact JSON line (without the constant
// id/object/created/model fields, which are checked separately) plus End's error.
func runStream(t *testing.T, includeUsage bool, events ...types.ConverseStreamOutput) ([]string, error) {
	return runStreamCall(t, includeUsage, nil, events...)
}

func runStreamCall(t *testing.T, includeUsage bool, call *Call, events ...types.ConverseStreamOutput) ([]string, error) {
	t.Helper()
	tr := &StreamTranslator{ID: "chatcmpl-1", Model: "m", Created: 42, IncludeUsage: includeUsage, Call: call}
	var lines []string
	emit := func(c *openai.ChatCompletionChunk) error {
		if c.ID != "chatcmpl-1" || c.Model != "m" || c.Created != 42 || c.Object != "chat.completion.chunk" {
			t.Errorf("chunk header changed: %+v", c)
		}
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // as the SSE writer does
		enc.Encode(struct {
			Choices []openai.ChunkChoice `json:"choices"`
			Usage   *openai.Usage        `json:"usage,omitempty"`
		}{c.Choices, c.Usage})
		lines = append(lines, strings.TrimSuffix(b.String(), "\n"))
		return nil
	}
	for _, ev := range events {
		if err := tr.Event(ev, emit); err != nil {
			return lines, err
		}
	}
	return lines, tr.End(emit)
}

func TestStreamTranslatorGolden(t *testing.T) {
	cases := []struct {
		name         string
		includeUsage bool
		events       []types.ConverseStreamOutput
		want         []string
		wantErr      string
	}{{
		name:         "text with usage: role once, finish chunk, usage chunk with empty choices",
		includeUsage: true,
		events:       []types.ConverseStreamOutput{evStart(), evText(0, "Hel"), evText(0, "lo"), evBlockStop(0), evStop(types.StopReasonEndTurn), evMeta(5, 2, 3)},
		want: []string{
			`{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
			`{"choices":[],"usage":{"prompt_tokens":8,"completion_tokens":2,"total_tokens":10,"prompt_tokens_details":{"cached_tokens":3},"completion_tokens_details":{"reasoning_tokens":0}}}`,
		},
	}, {
		name:   "no usage chunk unless asked",
		events: []types.ConverseStreamOutput{evStart(), evText(0, "x"), evStop(types.StopReasonMaxTokens), evMeta(1, 1, 0)},
		want: []string{
			`{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}`,
		},
	}, {
		name: "text before two parallel tool calls: dense 0-based indexes whatever Bedrock's block index",
		events: []types.ConverseStreamOutput{evStart(), evText(0, "Checking."), evBlockStop(0),
			evToolStart(1, "t1", "get_weather"), evToolDelta(1, `{"city":`), evToolDelta(1, `"Paris"}`), evBlockStop(1),
			evToolStart(2, "t2", "get_time"), evToolDelta(2, `{}`), evBlockStop(2), evStop(types.StopReasonToolUse)},
		want: []string{
			`{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{"content":"Checking."},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"t1","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"t2","type":"function","function":{"name":"get_time","arguments":""}}]},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{}"}}]},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`,
		},
	}, {
		name:   "tool call as the very first block gets index 0 (the reference gateway sends -1)",
		events: []types.ConverseStreamOutput{evStart(), evToolStart(0, "t1", "f"), evToolDelta(0, `{}`), evStop(types.StopReasonToolUse)},
		want: []string{
			`{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"t1","type":"function","function":{"name":"f","arguments":""}}]},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`,
		},
	}, {
		name:   "reasoning goes to reasoning_content; the signed block is sent whole for round trips",
		events: []types.ConverseStreamOutput{evStart(), evReasoning(0, "hmm"), evSignature(0), evBlockStop(0), evText(1, "42"), evStop(types.StopReasonEndTurn)},
		want: []string{
			`{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{"reasoning_content":"hmm"},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{"thinking_blocks":[{"type":"thinking","thinking":"hmm","signature":"sig"}]},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{"content":"42"},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
		},
	}, {
		name:   "guardrail maps to content_filter",
		events: []types.ConverseStreamOutput{evStart(), evText(0, "no"), evStop(types.StopReasonGuardrailIntervened)},
		want: []string{
			`{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{"content":"no"},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{},"finish_reason":"content_filter"}]}`,
		},
	}, {
		name:   "cut stream (no messageStop) is an error, never a clean finish",
		events: []types.ConverseStreamOutput{evStart(), evText(0, "par")},
		want: []string{
			`{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{"content":"par"},"finish_reason":null}]}`,
		},
		wantErr: "ended before the model finished",
	}, {
		name:    "malformed tool use is an upstream error, not a finish",
		events:  []types.ConverseStreamOutput{evStart(), evStop(types.StopReasonMalformedToolUse)},
		want:    []string{`{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`},
		wantErr: "malformed output",
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runStream(t, tc.includeUsage, tc.events...)
			if tc.wantErr == "" && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("want error containing %q, got %v", tc.wantErr, err)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("chunks\n got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestStreamTranslatorSplitsHugeDeltas(t *testing.T) {
	big := strings.Repeat("é", maxDeltaBytes) // 2 bytes each: forces cuts that must land on rune boundaries
	got, err := runStream(t, false, evStart(), evText(0, big), evStop(types.StopReasonEndTurn))
	if err != nil {
		t.Fatal(err)
	}
	var joined strings.Builder
	for _, line := range got[1 : len(got)-1] {
		var c struct{ Choices []openai.ChunkChoice }
		json.Unmarshal([]byte(line), &c)
		s := *c.Choices[0].Delta.Content
		if len(s) > maxDeltaBytes || !strings.HasPrefix(s, "é") {
			t.Fatalf("piece of %d bytes or cut inside a rune", len(s))
		}
		joined.WriteString(s)
	}
	if joined.String() != big || len(got) < 4 {
		t.Fatalf("split lost or kept text whole: %d chunks", len(got))
	}
}

func TestStreamTranslatorCallAware(t *testing.T) {
	cases := []struct {
		name   string
		call   *Call
		events []types.ConverseStreamOutput
		want   []string
	}{{
		name:   "inline <think> tags when REASONING_OUTPUT=think",
		call:   &Call{reasoning: ReasoningThinkTags},
		events: []types.ConverseStreamOutput{evStart(), evReasoning(0, "let me"), evReasoning(0, " see"), evSignature(0), evText(1, "42"), evStop(types.StopReasonEndTurn)},
		want: []string{
			`{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{"content":"<think>let me"},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{"content":" see"},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{"thinking_blocks":[{"type":"thinking","thinking":"let me see","signature":"sig"}]},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{"content":"</think>\n\n42"},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
		},
	}, {
		name:   "reasoning omitted when REASONING_OUTPUT=none",
		call:   &Call{reasoning: ReasoningOmit},
		events: []types.ConverseStreamOutput{evStart(), evReasoning(0, "secret"), evSignature(0), evText(1, "42"), evStop(types.StopReasonEndTurn)},
		want: []string{
			`{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{"content":"42"},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
		},
	}, {
		name:   "the structured-output tool streams as content and finishes with stop",
		call:   &Call{structuredTool: "person"},
		events: []types.ConverseStreamOutput{evStart(), evToolStart(0, "t1", "person"), evToolDelta(0, `{"name":`), evToolDelta(0, `"Ada"}`), evStop(types.StopReasonToolUse)},
		want: []string{
			`{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{"content":"{\"name\":"},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{"content":"\"Ada\"}"},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
		},
	}, {
		name:   "renamed tools reach the client under their own names",
		call:   &Call{names: map[string]string{"files_read_c0ffee00": "files.read"}},
		events: []types.ConverseStreamOutput{evStart(), evToolStart(0, "t1", "files_read_c0ffee00"), evStop(types.StopReasonToolUse)},
		want: []string{
			`{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"t1","type":"function","function":{"name":"files.read","arguments":""}}]},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`,
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runStreamCall(t, false, tc.call, tc.events...)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("chunks\n got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
