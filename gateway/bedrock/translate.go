package bedrock

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/openwebui-bedrock/gateway/openai"
)

// BuildConverse translates an OpenAI chat request into Converse input for model m. It is a pure function: every
// translation rule lives here or in the helpers below, with golden cases in translate_test.go.
func BuildConverse(req *openai.ChatRequest, m *Model) (*bedrockruntime.ConverseInput, *openai.Error) {
	in := &bedrockruntime.ConverseInput{ModelId: aws.String(m.InvokeID)}
	var b turnBuilder
	for i, msg := range req.Messages {
		if err := b.add(i, &msg, m, &in.System); err != nil {
			return nil, err
		}
	}
	in.Messages = b.turns
	if len(in.Messages) == 0 {
		return nil, openai.BadRequest("The conversation has no user or assistant content to send.").WithParam("messages")
	}
	in.InferenceConfig = inferenceConfig(req)
	tc, err := toolConfig(req, b.toolNames)
	if err != nil {
		return nil, err
	}
	in.ToolConfig = tc
	return in, nil
}

// StreamInput is the same request for ConverseStream (the SDK has a separate, identical input type).
func StreamInput(in *bedrockruntime.ConverseInput) *bedrockruntime.ConverseStreamInput {
	return &bedrockruntime.ConverseStreamInput{
		ModelId:                           in.ModelId,
		Messages:                          in.Messages,
		System:                            in.System,
		InferenceConfig:                   in.InferenceConfig,
		ToolConfig:                        in.ToolConfig,
		AdditionalModelRequestFields:      in.AdditionalModelRequestFields,
		AdditionalModelResponseFieldPaths: in.AdditionalModelResponseFieldPaths,
		GuardrailConfig:                   guardrailStream(in.GuardrailConfig),
		OutputConfig:                      in.OutputConfig,
		PerformanceConfig:                 in.PerformanceConfig,
		PromptVariables:                   in.PromptVariables,
		RequestMetadata:                   in.RequestMetadata,
		ServiceTier:                       in.ServiceTier,
	}
}

func guardrailStream(g *types.GuardrailConfiguration) *types.GuardrailStreamConfiguration {
	if g == nil {
		return nil
	}
	return &types.GuardrailStreamConfiguration{GuardrailIdentifier: g.GuardrailIdentifier,
		GuardrailVersion: g.GuardrailVersion, Trace: types.GuardrailTrace(g.Trace)}
}

func inferenceConfig(req *openai.ChatRequest) *types.InferenceConfiguration {
	var ic types.InferenceConfiguration
	set := false
	if n := req.MaxOutputTokens(); n != nil {
		ic.MaxTokens = aws.Int32(int32(min(*n, math.MaxInt32)))
		set = true
	}
	if req.Temperature != nil {
		ic.Temperature = aws.Float32(float32(*req.Temperature))
		set = true
	}
	if req.TopP != nil {
		ic.TopP = aws.Float32(float32(*req.TopP))
		set = true
	}
	if len(req.Stop) > 0 {
		ic.StopSequences = req.Stop
		set = true
	}
	if !set {
		return nil
	}
	return &ic
}

// turnBuilder accumulates Bedrock turns. Bedrock requires alternating user/assistant turns and rejects blank text,
// while OpenAI histories often have consecutive same-role messages (a user message after tool results, two
// assistant messages) and empty strings, so consecutive same-role content is merged into one turn and blank text is
// dropped.
type turnBuilder struct {
	turns     []types.Message
	toolNames []string // tool names used in the history, in order of first use
}

func (b *turnBuilder) add(i int, msg *openai.Message, m *Model, system *[]types.SystemContentBlock) *openai.Error {
	param := fmt.Sprintf("messages[%d]", i)
	switch msg.Role {
	case "system", "developer":
		for _, t := range texts(&msg.Content) {
			*system = append(*system, &types.SystemContentBlockMemberText{Value: t})
		}
		return nil
	case "user":
		blocks, err := userBlocks(param, &msg.Content, m)
		if err != nil {
			return err
		}
		b.append(types.ConversationRoleUser, blocks)
	case "assistant":
		var blocks []types.ContentBlock
		for _, t := range texts(&msg.Content) {
			if t = stripThink(t); strings.TrimSpace(t) != "" {
				blocks = append(blocks, &types.ContentBlockMemberText{Value: t})
			}
		}
		for j, tc := range msg.ToolCalls {
			input, err := toolInput(tc.Function.Arguments)
			if err != nil {
				return openai.BadRequest("%s.tool_calls[%d].function.arguments is not valid JSON: %v", param, j, err).
					WithParam(fmt.Sprintf("%s.tool_calls[%d].function.arguments", param, j))
			}
			blocks = append(blocks, &types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{
				ToolUseId: aws.String(tc.ID), Name: aws.String(tc.Function.Name), Input: input}})
			b.noteTool(tc.Function.Name)
		}
		b.append(types.ConversationRoleAssistant, blocks)
	case "tool":
		content := texts(&msg.Content)
		if len(content) == 0 {
			// Bedrock rejects an empty tool result; an empty output is still an answer to the call.
			content = []string{"(empty result)"}
		}
		res := make([]types.ToolResultContentBlock, len(content))
		for k, t := range content {
			res[k] = &types.ToolResultContentBlockMemberText{Value: t}
		}
		b.append(types.ConversationRoleUser, []types.ContentBlock{&types.ContentBlockMemberToolResult{
			Value: types.ToolResultBlock{ToolUseId: aws.String(msg.ToolCallID), Content: res}}})
	}
	return nil
}

func (b *turnBuilder) append(role types.ConversationRole, blocks []types.ContentBlock) {
	if len(blocks) == 0 {
		return
	}
	if n := len(b.turns); n > 0 && b.turns[n-1].Role == role {
		last := &b.turns[n-1]
		if role == types.ConversationRoleUser && isToolResult(blocks[0]) && !isToolResult(last.Content[len(last.Content)-1]) {
			// Bedrock wants tool results ahead of other user content in a turn.
			last.Content = append(blocks, last.Content...)
			return
		}
		last.Content = append(last.Content, blocks...)
		return
	}
	b.turns = append(b.turns, types.Message{Role: role, Content: blocks})
}

func (b *turnBuilder) noteTool(name string) {
	for _, n := range b.toolNames {
		if n == name {
			return
		}
	}
	b.toolNames = append(b.toolNames, name)
}

func isToolResult(c types.ContentBlock) bool {
	_, ok := c.(*types.ContentBlockMemberToolResult)
	return ok
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

func userBlocks(param string, c *openai.Content, m *Model) ([]types.ContentBlock, *openai.Error) {
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
			if strings.TrimSpace(p.Text) != "" {
				blocks = append(blocks, &types.ContentBlockMemberText{Value: p.Text})
			}
		case "image_url":
			pp := fmt.Sprintf("%s.content[%d].image_url", param, j)
			if !m.Images {
				return nil, openai.BadRequest("The model `%s` does not accept images (%s).", m.ID, pp).WithParam(pp)
			}
			img, err := dataURLImage(p.ImageURL.URL)
			if err != nil {
				return nil, openai.BadRequest("%s: %s", pp, err.Error()).WithParam(pp)
			}
			blocks = append(blocks, &types.ContentBlockMemberImage{Value: img})
		}
	}
	return blocks, nil
}

// dataURLImage decodes a data: URL into an image block. The format comes from the bytes, not the declared media
// type, which clients often get wrong.
func dataURLImage(url string) (types.ImageBlock, error) {
	rest, ok := strings.CutPrefix(url, "data:")
	if !ok {
		return types.ImageBlock{}, fmt.Errorf("only data: image URLs are supported")
	}
	meta, data, ok := strings.Cut(rest, ",")
	if !ok || !strings.HasSuffix(meta, ";base64") {
		return types.ImageBlock{}, fmt.Errorf("a data: image URL must be base64-encoded (data:image/png;base64,…)")
	}
	raw, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		if raw, err = base64.RawStdEncoding.DecodeString(data); err != nil {
			return types.ImageBlock{}, fmt.Errorf("the image's base64 data is invalid")
		}
	}
	format, ok := sniffImage(raw)
	if !ok {
		return types.ImageBlock{}, fmt.Errorf("the image is not PNG, JPEG, GIF or WebP")
	}
	return types.ImageBlock{Format: format, Source: &types.ImageSourceMemberBytes{Value: raw}}, nil
}

func sniffImage(b []byte) (types.ImageFormat, bool) {
	switch {
	case len(b) >= 8 && string(b[:8]) == "\x89PNG\r\n\x1a\n":
		return types.ImageFormatPng, true
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return types.ImageFormatJpeg, true
	case len(b) >= 6 && (string(b[:6]) == "GIF87a" || string(b[:6]) == "GIF89a"):
		return types.ImageFormatGif, true
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return types.ImageFormatWebp, true
	}
	return "", false
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

// toolConfig builds Bedrock's toolConfig. Bedrock has no "none" choice and rejects tool blocks in the history
// without a toolConfig, so: "none" or no tools send no toolConfig unless the history needs one, in which case
// the tools the history used are declared with an open schema.
func toolConfig(req *openai.ChatRequest, historyTools []string) (*types.ToolConfiguration, *openai.Error) {
	mode := "auto"
	if req.ToolChoice != nil {
		mode = req.ToolChoice.Mode
	}
	var tools []types.Tool
	declared := map[string]bool{}
	if mode != "none" {
		for i, t := range req.Tools {
			schema, err := toolSchema(t.Function.Parameters)
			if err != nil {
				return nil, openai.BadRequest("tools[%d].function.parameters is not a valid JSON schema object: %v", i, err).
					WithParam(fmt.Sprintf("tools[%d].function.parameters", i))
			}
			desc := t.Function.Description
			if strings.TrimSpace(desc) == "" {
				desc = t.Function.Name // Bedrock rejects an empty description
			}
			tools = append(tools, &types.ToolMemberToolSpec{Value: types.ToolSpecification{
				Name: aws.String(t.Function.Name), Description: aws.String(desc),
				InputSchema: &types.ToolInputSchemaMemberJson{Value: schema}}})
			declared[t.Function.Name] = true
		}
	}
	for _, name := range historyTools {
		if !declared[name] {
			tools = append(tools, &types.ToolMemberToolSpec{Value: types.ToolSpecification{
				Name: aws.String(name), Description: aws.String(name),
				InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(map[string]any{"type": "object"})}}})
			declared[name] = true
		}
	}
	if len(tools) == 0 {
		if mode == "required" || mode == "function" {
			return nil, openai.BadRequest("tool_choice %q needs at least one tool in 'tools'.", mode).WithParam("tool_choice")
		}
		return nil, nil
	}
	tc := &types.ToolConfiguration{Tools: tools}
	switch mode {
	case "required":
		tc.ToolChoice = &types.ToolChoiceMemberAny{}
	case "function":
		if !declared[req.ToolChoice.Function] {
			return nil, openai.BadRequest("tool_choice names function %q, which is not in 'tools'.", req.ToolChoice.Function).WithParam("tool_choice")
		}
		tc.ToolChoice = &types.ToolChoiceMemberTool{Value: types.SpecificToolChoice{Name: aws.String(req.ToolChoice.Function)}}
	}
	return tc, nil
}

func toolSchema(raw json.RawMessage) (document.Interface, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return document.NewLazyDocument(map[string]any{"type": "object", "properties": map[string]any{}}), nil
	}
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	if _, ok := v["type"]; !ok {
		v["type"] = "object"
	}
	return document.NewLazyDocument(v), nil
}
