package bedrock

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/openwebui-bedrock/gateway/openai"
)

// history is the conversation in Bedrock's shape.
type history struct {
	system []types.SystemContentBlock
	turns  []types.Message
}

// buildHistory converts the messages. Bedrock requires alternating user/assistant turns, rejects blank text, wants
// every toolUse answered in the next turn and every toolResult to answer one, while real OpenAI histories have
// consecutive same-role messages, empty strings, <think> blocks, unanswered calls and stray results. So:
// consecutive same-role content is merged into one turn, blank text dropped, <think> stripped, and tool calls and
// results repaired. When the request declares no tools (or tool_choice is "none"), tool calls and results in the
// history are rendered as text: the model keeps the information, needs no toolConfig, and cannot call a tool the
// client is not offering (Open WebUI's title and tag tasks send the chat history without tools).
func buildHistory(req *openai.ChatRequest, m *Model, tools *toolPlan, images map[string]Image) (*history, *openai.Error) {
	h := &history{}
	for i := range req.Messages {
		msg := &req.Messages[i]
		param := fmt.Sprintf("messages[%d]", i)
		switch msg.Role {
		case "system", "developer":
			blocks, err := contentBlocks(param, &msg.Content, m, images, false)
			if err != nil {
				return nil, err
			}
			for _, b := range blocks {
				switch b := b.(type) {
				case *types.ContentBlockMemberText:
					h.system = append(h.system, &types.SystemContentBlockMemberText{Value: b.Value})
				case *types.ContentBlockMemberCachePoint:
					h.system = append(h.system, &types.SystemContentBlockMemberCachePoint{Value: b.Value})
				}
			}
		case "user":
			blocks, err := contentBlocks(param, &msg.Content, m, images, true)
			if err != nil {
				return nil, err
			}
			h.add(types.ConversationRoleUser, blocks)
		case "assistant":
			blocks, err := assistantBlocks(param, msg, m, tools)
			if err != nil {
				return nil, err
			}
			h.add(types.ConversationRoleAssistant, blocks)
		case "tool":
			h.add(types.ConversationRoleUser, []types.ContentBlock{toolResultBlock(msg, tools.asText)})
		}
	}
	if !tools.asText {
		h.repairToolPairs()
		for _, t := range h.turns {
			for _, b := range t.Content {
				if tu, ok := b.(*types.ContentBlockMemberToolUse); ok {
					tools.declare(aws.ToString(tu.Value.Name))
				}
			}
		}
	}
	return h, nil
}

func (h *history) add(role types.ConversationRole, blocks []types.ContentBlock) {
	if len(blocks) == 0 {
		return
	}
	if n := len(h.turns); n > 0 && h.turns[n-1].Role == role {
		last := &h.turns[n-1]
		if role == types.ConversationRoleUser && isToolResult(blocks[0]) && !isToolResult(last.Content[len(last.Content)-1]) {
			// Tool results go ahead of other user content in a turn.
			last.Content = append(blocks, last.Content...)
			return
		}
		last.Content = append(last.Content, blocks...)
		return
	}
	h.turns = append(h.turns, types.Message{Role: role, Content: blocks})
}

// repairToolPairs answers tool calls the history left unanswered (with an explicit "no result") and turns results
// that answer no call into text, instead of sending Bedrock a history it rejects.
func (h *history) repairToolPairs() {
	for i := 0; i < len(h.turns); i++ {
		t := &h.turns[i]
		if t.Role == types.ConversationRoleUser {
			var asked map[string]bool
			if i > 0 {
				asked = toolUseIDs(h.turns[i-1])
			}
			for j, b := range t.Content {
				if tr, ok := b.(*types.ContentBlockMemberToolResult); ok && !asked[aws.ToString(tr.Value.ToolUseId)] {
					t.Content[j] = &types.ContentBlockMemberText{Value: toolResultText(tr.Value)}
				}
			}
			continue
		}
		ids := toolUseIDs(*t)
		if len(ids) == 0 {
			continue
		}
		if i+1 == len(h.turns) || h.turns[i+1].Role != types.ConversationRoleUser {
			h.turns = append(h.turns[:i+1], append([]types.Message{{Role: types.ConversationRoleUser}}, h.turns[i+1:]...)...)
		}
		next := &h.turns[i+1]
		answered := map[string]bool{}
		for _, b := range next.Content {
			if tr, ok := b.(*types.ContentBlockMemberToolResult); ok {
				answered[aws.ToString(tr.Value.ToolUseId)] = true
			}
		}
		var missing []types.ContentBlock
		for _, b := range t.Content {
			if tu, ok := b.(*types.ContentBlockMemberToolUse); ok && !answered[aws.ToString(tu.Value.ToolUseId)] {
				missing = append(missing, &types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{
					ToolUseId: tu.Value.ToolUseId,
					Content:   []types.ToolResultContentBlock{&types.ToolResultContentBlockMemberText{Value: "(no result: the client did not return one for this tool call)"}}}})
			}
		}
		next.Content = append(missing, next.Content...)
	}
}

func toolUseIDs(t types.Message) map[string]bool {
	if t.Role != types.ConversationRoleAssistant {
		return nil
	}
	ids := map[string]bool{}
	for _, b := range t.Content {
		if tu, ok := b.(*types.ContentBlockMemberToolUse); ok {
			ids[aws.ToString(tu.Value.ToolUseId)] = true
		}
	}
	return ids
}

func isToolResult(c types.ContentBlock) bool {
	_, ok := c.(*types.ContentBlockMemberToolResult)
	return ok
}

// contentBlocks converts a user or system message's content. cache_control on a part becomes a cache point after
// it (on models that cache).
func contentBlocks(param string, c *openai.Content, m *Model, images map[string]Image, allowImages bool) ([]types.ContentBlock, *openai.Error) {
	if !c.IsParts {
		if strings.TrimSpace(c.Text) == "" {
			return nil, nil
		}
		return []types.ContentBlock{&types.ContentBlockMemberText{Value: c.Text}}, nil
	}
	var blocks []types.ContentBlock
	for j, p := range c.Parts {
		switch p.Type {
		case "text":
			if strings.TrimSpace(p.Text) == "" {
				continue
			}
			blocks = append(blocks, &types.ContentBlockMemberText{Value: p.Text})
		case "image_url":
			pp := fmt.Sprintf("%s.content[%d].image_url", param, j)
			if !allowImages {
				return nil, openai.BadRequest("Images are only allowed in user messages (%s).", pp).WithParam(pp)
			}
			if !m.Images {
				return nil, openai.BadRequest("The model `%s` does not accept images (%s).", m.ID, pp).WithParam(pp)
			}
			img, err := imageBlock(p.ImageURL.URL, images)
			if err != nil {
				return nil, openai.BadRequest("%s: %s", pp, err.Error()).WithParam(pp)
			}
			blocks = append(blocks, &types.ContentBlockMemberImage{Value: img})
		}
		if len(p.CacheControl) > 0 && m.Caps.Caching && len(blocks) > 0 {
			blocks = append(blocks, cachePoint())
		}
	}
	return blocks, nil
}

func cachePoint() types.ContentBlock {
	return &types.ContentBlockMemberCachePoint{Value: types.CachePointBlock{Type: types.CachePointTypeDefault}}
}

// assistantBlocks converts an assistant message: signed reasoning first (kept only if thinking ends up on), then
// text without <think> blocks, then tool calls.
func assistantBlocks(param string, msg *openai.Message, m *Model, tools *toolPlan) ([]types.ContentBlock, *openai.Error) {
	var blocks []types.ContentBlock
	for _, tb := range msg.ThinkingBlocks {
		switch tb.Type {
		case "thinking":
			if tb.Signature != "" {
				blocks = append(blocks, &types.ContentBlockMemberReasoningContent{Value: &types.ReasoningContentBlockMemberReasoningText{
					Value: types.ReasoningTextBlock{Text: aws.String(tb.Thinking), Signature: aws.String(tb.Signature)}}})
			}
		case "redacted_thinking":
			if data, err := base64.StdEncoding.DecodeString(tb.Data); err == nil && len(data) > 0 {
				blocks = append(blocks, &types.ContentBlockMemberReasoningContent{Value: &types.ReasoningContentBlockMemberRedactedContent{Value: data}})
			}
		}
	}
	for _, t := range texts(&msg.Content) {
		if t = stripThink(t); strings.TrimSpace(t) != "" {
			blocks = append(blocks, &types.ContentBlockMemberText{Value: t})
		}
	}
	for j, tc := range msg.ToolCalls {
		input, err := toolInput(tc.Function.Arguments)
		if err != nil {
			return nil, openai.BadRequest("%s.tool_calls[%d].function.arguments is not valid JSON: %v", param, j, err).
				WithParam(fmt.Sprintf("%s.tool_calls[%d].function.arguments", param, j))
		}
		if tools.asText {
			blocks = append(blocks, &types.ContentBlockMemberText{Value: fmt.Sprintf("[called tool %s with arguments %s (call id %s)]",
				tc.Function.Name, compactJSON(tc.Function.Arguments), tc.ID)})
			continue
		}
		blocks = append(blocks, &types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{
			ToolUseId: aws.String(tc.ID), Name: aws.String(tools.bedrockName(tc.Function.Name)), Input: input}})
	}
	return blocks, nil
}

func toolResultBlock(msg *openai.Message, asText bool) types.ContentBlock {
	content := texts(&msg.Content)
	if len(content) == 0 {
		// Bedrock rejects an empty tool result; an empty output is still an answer to the call.
		content = []string{"(empty result)"}
	}
	if asText {
		return &types.ContentBlockMemberText{Value: fmt.Sprintf("[result of tool call %s]: %s", msg.ToolCallID, strings.Join(content, "\n"))}
	}
	res := make([]types.ToolResultContentBlock, len(content))
	for k, t := range content {
		res[k] = &types.ToolResultContentBlockMemberText{Value: t}
	}
	return &types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{ToolUseId: aws.String(msg.ToolCallID), Content: res}}
}

func toolResultText(tr types.ToolResultBlock) string {
	var parts []string
	for _, c := range tr.Content {
		if t, ok := c.(*types.ToolResultContentBlockMemberText); ok {
			parts = append(parts, t.Value)
		}
	}
	return fmt.Sprintf("[result of tool call %s]: %s", aws.ToString(tr.ToolUseId), strings.Join(parts, "\n"))
}

// texts returns the non-blank text of a message's content, one entry per text part.
func texts(c *openai.Content) []string {
	if !c.IsParts {
		if strings.TrimSpace(c.Text) == "" {
			return nil
		}
		return []string{c.Text}
	}
	var out []string
	for _, p := range c.Parts {
		if p.Type == "text" && strings.TrimSpace(p.Text) != "" {
			out = append(out, p.Text)
		}
	}
	return out
}

// stripThink removes <think>…</think> blocks that clients (Open WebUI) keep in assistant history: they are the
// model's earlier reasoning, not something it said, and sending them back confuses the model.
func stripThink(s string) string {
	for {
		start := strings.Index(s, "<think>")
		if start < 0 {
			return s
		}
		end := strings.Index(s[start:], "</think>")
		if end < 0 {
			return s[:start]
		}
		s = s[:start] + s[start+end+len("</think>"):]
	}
}

func toolInput(args string) (document.Interface, error) {
	if strings.TrimSpace(args) == "" {
		return document.NewLazyDocument(map[string]any{}), nil
	}
	var v any
	if err := json.Unmarshal([]byte(args), &v); err != nil {
		return nil, err
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, fmt.Errorf("arguments must be a JSON object")
	}
	return document.NewLazyDocument(v), nil
}

func compactJSON(s string) string {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		return s
	}
	return b.String()
}

func rawToAny(raw json.RawMessage) (any, error) {
	var v any
	err := json.Unmarshal(raw, &v)
	return v, err
}
