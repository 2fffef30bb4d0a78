package bedrock

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

func TestToCompletionGolden(t *testing.T) {
	msg := func(stop types.StopReason, blocks ...types.ContentBlock) *bedrockruntime.ConverseOutput {
		return &bedrockruntime.ConverseOutput{StopReason: stop,
			Output: &types.ConverseOutputMemberMessage{Value: types.Message{Role: types.ConversationRoleAssistant, Content: blocks}},
			Usage:  &types.TokenUsage{InputTokens: aws.Int32(10), OutputTokens: aws.Int32(4), TotalTokens: aws.Int32(20), CacheReadInputTokens: aws.Int32(2), CacheWriteInputTokens: aws.Int32(4)}}
	}
	text := func(s string) types.ContentBlock { return &types.ContentBlockMemberText{Value: s} }
	tool := func(id, name string, in any) types.ContentBlock {
		return &types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{ToolUseId: aws.String(id), Name: aws.String(name), Input: document.NewLazyDocument(in)}}
	}
	const usage = `"usage":{"prompt_tokens":16,"completion_tokens":4,"total_tokens":20,"prompt_tokens_details":{"cached_tokens":2,"cache_write_tokens":4},"completion_tokens_details":{"reasoning_tokens":0}}`
	cases := []struct {
		name string
		out  *bedrockruntime.ConverseOutput
		want string
	}{{
		name: "text",
		out:  msg(types.StopReasonEndTurn, text("Hello")),
		want: `{"id":"id","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Hello"},"finish_reason":"stop","logprobs":null}],` + usage + `}`,
	}, {
		name: "text before tool calls is kept; arguments are JSON text",
		out:  msg(types.StopReasonToolUse, text("Let me look."), tool("t1", "get_weather", map[string]any{"city": "Paris"}), tool("t2", "now", map[string]any{})),
		want: `{"id":"id","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Let me look.","tool_calls":[
			{"id":"t1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},{"id":"t2","type":"function","function":{"name":"now","arguments":"{}"}}]},"finish_reason":"tool_calls","logprobs":null}],` + usage + `}`,
	}, {
		name: "only a tool call: content is null",
		out:  msg(types.StopReasonToolUse, tool("t1", "f", map[string]any{})),
		want: `{"id":"id","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"t1","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls","logprobs":null}],` + usage + `}`,
	}, {
		name: "reasoning then text; stop sequence is stop",
		out: msg(types.StopReasonStopSequence, &types.ContentBlockMemberReasoningContent{Value: &types.ReasoningContentBlockMemberReasoningText{
			Value: types.ReasoningTextBlock{Text: aws.String("thinking"), Signature: aws.String("s")}}}, text("A"), text("B")),
		want: `{"id":"id","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"AB","reasoning_content":"thinking",
			"thinking_blocks":[{"type":"thinking","thinking":"thinking","signature":"s"}]},"finish_reason":"stop","logprobs":null}],` + strings.Replace(usage, `"reasoning_tokens":0`, `"reasoning_tokens":2`, 1) + `}`,
	}, {
		name: "max tokens is length",
		out:  msg(types.StopReasonMaxTokens, text("cut")),
		want: `{"id":"id","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"cut"},"finish_reason":"length","logprobs":null}],` + usage + `}`,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ToCompletion(tc.out, &Call{}, "id", "m", 1)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(got)
			if !jsonEqual(t, normJSON(t, b), tc.want) {
				t.Errorf("\n got: %s\nwant: %s", b, pretty(normJSON(t, []byte(tc.want))))
			}
		})
	}
	if _, err := ToCompletion(msg(types.StopReasonMalformedModelOutput, text("x")), &Call{}, "id", "m", 1); err == nil || err.Status != 502 {
		t.Errorf("malformed output: want a 502, got %v", err)
	}
}

func TestFinishReasonTable(t *testing.T) {
	for in, want := range map[types.StopReason]string{
		types.StopReasonEndTurn: "stop", types.StopReasonStopSequence: "stop", types.StopReasonMaxTokens: "length",
		types.StopReasonModelContextWindowExceeded: "length", types.StopReasonToolUse: "tool_calls",
		types.StopReasonGuardrailIntervened: "content_filter", types.StopReasonContentFiltered: "content_filter",
		"some_future_reason": "stop",
	} {
		if got, ok := FinishReason(in); !ok || got != want {
			t.Errorf("%s → %q, want %q", in, got, want)
		}
	}
}

func TestToCompletionStructuredAndThinkTags(t *testing.T) {
	out := &bedrockruntime.ConverseOutput{StopReason: types.StopReasonToolUse, Output: &types.ConverseOutputMemberMessage{Value: types.Message{
		Content: []types.ContentBlock{&types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{ToolUseId: aws.String("t"), Name: aws.String("person"),
			Input: document.NewLazyDocument(map[string]any{"name": "Ada"})}}}}}}
	got, err := ToCompletion(out, &Call{structuredTool: "person"}, "id", "m", 1)
	if err != nil || *got.Choices[0].Message.Content != `{"name":"Ada"}` || got.Choices[0].FinishReason != "stop" || len(got.Choices[0].Message.ToolCalls) != 0 {
		t.Fatalf("structured output: %+v %v", got.Choices[0], err)
	}
	out = &bedrockruntime.ConverseOutput{StopReason: types.StopReasonEndTurn, Output: &types.ConverseOutputMemberMessage{Value: types.Message{
		Content: []types.ContentBlock{&types.ContentBlockMemberReasoningContent{Value: &types.ReasoningContentBlockMemberReasoningText{
			Value: types.ReasoningTextBlock{Text: aws.String("hmm")}}}, &types.ContentBlockMemberText{Value: "42"}}}}}
	got, _ = ToCompletion(out, &Call{reasoning: ReasoningThinkTags}, "id", "m", 1)
	if *got.Choices[0].Message.Content != "<think>hmm</think>\n\n42" || got.Choices[0].Message.ReasoningContent != "" {
		t.Fatalf("think tags: %+v", got.Choices[0].Message)
	}
}
