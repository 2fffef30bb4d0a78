package bedrock

import (
	"crypto/rand"
	"encoding/base64"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/openwebui-bedrock/gateway/openai"
)

// NewCompletionID returns an id in OpenAI's format.
func NewCompletionID() string { return "chatcmpl-" + rand.Text() }

// FinishReason maps Bedrock's stopReason to one of the four values OpenAI clients switch on. ok is false for stop
// reasons that mean the answer is broken (malformed output), which callers report as an upstream error rather than
// passing a damaged reply off as complete.
func FinishReason(r types.StopReason) (reason string, ok bool) {
	switch r {
	case types.StopReasonEndTurn, types.StopReasonStopSequence, "":
		return openai.FinishStop, true
	case types.StopReasonMaxTokens, types.StopReasonModelContextWindowExceeded:
		return openai.FinishLength, true
	case types.StopReasonToolUse:
		return openai.FinishToolCalls, true
	case types.StopReasonGuardrailIntervened, types.StopReasonContentFiltered:
		return openai.FinishContentFilter, true
	case types.StopReasonMalformedModelOutput, types.StopReasonMalformedToolUse:
		return "", false
	}
	// A stop reason newer than this code: the turn did end, so "stop" is the honest approximation.
	return openai.FinishStop, true
}

func malformed(r types.StopReason) *openai.Error {
	return openai.Errorf(502, "server_error", "malformed_model_output",
		"The model produced malformed output (Bedrock stopReason %q); retry the request.", string(r))
}

// ToUsage converts Bedrock token usage. OpenAI's prompt_tokens includes cached tokens; Bedrock's inputTokens does
// not, so the cache reads and writes are added back in. reasoningChars is the length of the reasoning text: Bedrock
// counts reasoning inside outputTokens without breaking it out, so reasoning_tokens is an estimate at four
// characters per token, capped at the output tokens.
func ToUsage(u *types.TokenUsage, reasoningChars int) *openai.Usage {
	if u == nil {
		u = &types.TokenUsage{}
	}
	read, write := int(aws.ToInt32(u.CacheReadInputTokens)), int(aws.ToInt32(u.CacheWriteInputTokens))
	prompt := int(aws.ToInt32(u.InputTokens)) + read + write
	completion := int(aws.ToInt32(u.OutputTokens))
	return &openai.Usage{
		PromptTokens: prompt, CompletionTokens: completion, TotalTokens: prompt + completion,
		PromptTokensDetails:     &openai.PromptTokensDetails{CachedTokens: read, CacheWriteTokens: write},
		CompletionTokensDetails: &openai.CompletionTokensDetails{ReasoningTokens: min((reasoningChars+3)/4, completion)},
	}
}

// ToCompletion converts a Converse response. All text blocks are kept in order (text written before a tool call is
// part of the answer), tool calls keep their ids and the client's tool names, reasoning goes where
// REASONING_OUTPUT says, and a structured-output stand-in tool becomes the content.
func ToCompletion(out *bedrockruntime.ConverseOutput, call *Call, id, model string, created int64) (*openai.ChatCompletion, *openai.Error) {
	finish, ok := FinishReason(out.StopReason)
	if !ok {
		return nil, malformed(out.StopReason)
	}
	msg := openai.ResponseMessage{Role: "assistant"}
	var text, reasoning strings.Builder
	hasText := false
	if m, ok := out.Output.(*types.ConverseOutputMemberMessage); ok {
		for _, block := range m.Value.Content {
			switch b := block.(type) {
			case *types.ContentBlockMemberText:
				if call.structuredTool != "" {
					continue // the answer is the tool's JSON; prose around a forced call is not part of it
				}
				text.WriteString(b.Value)
				hasText = true
			case *types.ContentBlockMemberReasoningContent:
				switch r := b.Value.(type) {
				case *types.ReasoningContentBlockMemberReasoningText:
					reasoning.WriteString(aws.ToString(r.Value.Text))
					if sig := aws.ToString(r.Value.Signature); sig != "" {
						msg.ThinkingBlocks = append(msg.ThinkingBlocks, openai.ThinkingBlock{Type: "thinking", Thinking: aws.ToString(r.Value.Text), Signature: sig})
					}
				case *types.ReasoningContentBlockMemberRedactedContent:
					msg.ThinkingBlocks = append(msg.ThinkingBlocks, openai.ThinkingBlock{Type: "redacted_thinking", Data: base64.StdEncoding.EncodeToString(r.Value)})
				}
			case *types.ContentBlockMemberToolUse:
				args := "{}"
				if b.Value.Input != nil {
					if raw, err := b.Value.Input.MarshalSmithyDocument(); err == nil {
						args = string(raw)
					}
				}
				name := aws.ToString(b.Value.Name)
				if call.structuredTool != "" && name == call.structuredTool {
					text.WriteString(args)
					hasText = true
					continue
				}
				msg.ToolCalls = append(msg.ToolCalls, openai.ToolCall{ID: aws.ToString(b.Value.ToolUseId), Type: "function",
					Function: openai.FunctionCall{Name: call.ClientToolName(name), Arguments: args}})
			}
		}
	}
	if call.structuredTool != "" && finish == openai.FinishToolCalls && len(msg.ToolCalls) == 0 {
		finish = openai.FinishStop
	}
	content := text.String()
	switch call.reasoning {
	case ReasoningField:
		msg.ReasoningContent = reasoning.String()
	case ReasoningThinkTags:
		if reasoning.Len() > 0 {
			content = "<think>" + reasoning.String() + "</think>\n\n" + content
			hasText = true
		}
	case ReasoningOmit:
		msg.ThinkingBlocks = nil
	}
	if hasText || len(msg.ToolCalls) == 0 {
		msg.Content = &content
	}
	return &openai.ChatCompletion{
		ID: id, Object: "chat.completion", Created: created, Model: model,
		Choices: []openai.Choice{{Index: 0, Message: msg, FinishReason: finish}},
		Usage:   ToUsage(out.Usage, reasoning.Len()),
	}, nil
}
