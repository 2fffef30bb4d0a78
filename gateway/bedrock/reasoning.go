package bedrock

import (
	"encoding/json"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/openwebui-bedrock/gateway/openai"
)

// Thinking budgets per reasoning_effort. Anthropic's minimum is 1024; the rest leave room for an answer.
var effortBudget = map[string]int{"minimal": 1024, "low": 2048, "medium": 8192, "high": 16384}

const (
	minThinkingBudget = 1024
	answerRoom        = 1024 // output tokens kept for the answer after the thinking budget
)

// planReasoning decides whether Claude thinks for this request and fits the request around it:
//   - reasoning_effort or an explicit "thinking" turns it on (on models that reason);
//   - it stays off when it cannot work: a max_tokens too small to hold a budget and an answer (Open WebUI's title
//     task with max_tokens 50 must not break), a forced tool choice (Anthropic refuses thinking with it), or a tool
//     loop whose assistant turn lacks its signed reasoning (the client did not send thinking_blocks back; Anthropic
//     refuses that too);
//   - while on, temperature is dropped and top_p kept only if ≥ 0.95, as Anthropic requires.
//
// Reasoning blocks in the history are kept only while thinking is on.
func planReasoning(req *openai.ChatRequest, extras openai.Extras, m *Model, in *bedrockruntime.ConverseInput, h *history, fields map[string]any) *openai.Error {
	on, budget, explicit := false, 0, false
	if extras.Thinking != nil {
		var t struct {
			Type         string `json:"type"`
			BudgetTokens int    `json:"budget_tokens"`
		}
		if err := json.Unmarshal(extras.Thinking, &t); err != nil {
			return openai.BadRequest(`thinking must be {"type":"enabled","budget_tokens":N} or {"type":"disabled"}.`).WithParam("thinking")
		}
		if m.Caps.Reasoning != ReasoningThinking {
			return openai.BadRequest("The model `%s` does not support extended thinking.", m.ID).WithParam("thinking")
		}
		on, budget, explicit = t.Type == "enabled", t.BudgetTokens, true
		if on && budget < minThinkingBudget {
			return openai.BadRequest("thinking.budget_tokens must be at least %d.", minThinkingBudget).WithParam("thinking.budget_tokens")
		}
	} else if b, ok := effortBudget[req.ReasoningEffort]; ok && m.Caps.Reasoning == ReasoningThinking {
		on, budget = true, b
	}
	if on && forcedToolChoice(in) {
		on = false
	}
	if on && toolLoopWithoutReasoning(in.Messages) {
		on = false
	}
	if on {
		ic := in.InferenceConfig
		if ic == nil {
			ic = &types.InferenceConfiguration{}
			in.InferenceConfig = ic
		}
		limit := m.Caps.MaxOutputTokens
		switch {
		case ic.MaxTokens != nil && !explicit:
			budget = min(budget, int(*ic.MaxTokens)-answerRoom)
			if budget < minThinkingBudget {
				on = false
			}
		case ic.MaxTokens == nil:
			total := budget + 4*answerRoom
			if limit > 0 && total > limit {
				total = limit
				budget = min(budget, total-answerRoom)
			}
			ic.MaxTokens = aws.Int32(int32(total))
		}
		if on {
			ic.Temperature = nil
			if ic.TopP != nil && *ic.TopP < 0.95 {
				ic.TopP = nil
			}
			delete(fields, "top_k")
			fields["thinking"] = map[string]any{"type": "enabled", "budget_tokens": budget}
		}
	}
	if !on || m.Caps.Reasoning != ReasoningThinking {
		stripReasoning(in.Messages)
	}
	return nil
}

func forcedToolChoice(in *bedrockruntime.ConverseInput) bool {
	if in.ToolConfig == nil {
		return false
	}
	switch in.ToolConfig.ToolChoice.(type) {
	case *types.ToolChoiceMemberAny, *types.ToolChoiceMemberTool:
		return true
	}
	return false
}

// toolLoopWithoutReasoning: the last user turn answers tool calls and the assistant turn that made them does not
// open with reasoning.
func toolLoopWithoutReasoning(turns []types.Message) bool {
	n := len(turns)
	if n < 2 || turns[n-1].Role != types.ConversationRoleUser || turns[n-2].Role != types.ConversationRoleAssistant {
		return false
	}
	hasResult := false
	for _, b := range turns[n-1].Content {
		if isToolResult(b) {
			hasResult = true
			break
		}
	}
	if !hasResult || len(turns[n-2].Content) == 0 {
		return false
	}
	_, reasoned := turns[n-2].Content[0].(*types.ContentBlockMemberReasoningContent)
	return !reasoned
}

func stripReasoning(turns []types.Message) {
	for i := range turns {
		kept := turns[i].Content[:0]
		for _, b := range turns[i].Content {
			if _, ok := b.(*types.ContentBlockMemberReasoningContent); !ok {
				kept = append(kept, b)
			}
		}
		turns[i].Content = kept
	}
}
