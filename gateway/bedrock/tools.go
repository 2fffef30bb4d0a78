package bedrock

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/openwebui-bedrock/gateway/openai"
)

// toolPlan is the toolConfig being built and the name mapping between client and Bedrock.
type toolPlan struct {
	specs    []types.Tool
	choice   types.ToolChoice
	declared map[string]bool   // Bedrock-side names in specs
	names    map[string]string // Bedrock-side → client names, only for renamed tools
	asText   bool              // no tools offered: history tool blocks are rendered as text
}

// planTools maps tools and tool_choice. Bedrock has no "none" choice: "none" (like no tools at all, or "tools": [])
// sends no toolConfig, so the model cannot call a tool.
func planTools(req *openai.ChatRequest, m *Model) (*toolPlan, *openai.Error) {
	p := &toolPlan{declared: map[string]bool{}}
	mode := "auto"
	if req.ToolChoice != nil {
		mode = req.ToolChoice.Mode
	}
	if mode == "none" || len(req.Tools) == 0 {
		if mode == "required" || mode == "function" {
			return nil, openai.BadRequest("tool_choice %q needs at least one tool in 'tools'.", mode).WithParam("tool_choice")
		}
		p.asText = true
		return p, nil
	}
	if !m.Caps.Tools {
		return nil, openai.BadRequest("The model `%s` does not support tool use; send the request without 'tools'.", m.ID).WithParam("tools")
	}
	for i, t := range req.Tools {
		schema, err := toolSchema(t.Function.Parameters)
		if err != nil {
			return nil, openai.BadRequest("tools[%d].function.parameters is not a valid JSON schema object: %v", i, err).
				WithParam(fmt.Sprintf("tools[%d].function.parameters", i))
		}
		name := p.bedrockName(t.Function.Name)
		if p.declared[name] {
			return nil, openai.BadRequest("tools[%d]: the function name %q is used twice.", i, t.Function.Name).WithParam(fmt.Sprintf("tools[%d].function.name", i))
		}
		desc := t.Function.Description
		if strings.TrimSpace(desc) == "" {
			desc = t.Function.Name // Bedrock rejects an empty description
		}
		p.specs = append(p.specs, &types.ToolMemberToolSpec{Value: types.ToolSpecification{
			Name: aws.String(name), Description: aws.String(desc), InputSchema: &types.ToolInputSchemaMemberJson{Value: schema}}})
		p.declared[name] = true
	}
	switch mode {
	case "required":
		p.choice = &types.ToolChoiceMemberAny{}
	case "function":
		name := p.bedrockName(req.ToolChoice.Function)
		if !p.declared[name] {
			return nil, openai.BadRequest("tool_choice names function %q, which is not in 'tools'.", req.ToolChoice.Function).WithParam("tool_choice")
		}
		p.choice = &types.ToolChoiceMemberTool{Value: types.SpecificToolChoice{Name: aws.String(name)}}
	}
	return p, nil
}

// declare adds an open-schema spec for a tool the history used but the request does not offer: Bedrock rejects
// toolUse blocks for undeclared tools.
func (p *toolPlan) declare(name string) {
	if p.declared[name] {
		return
	}
	p.declared[name] = true
	p.specs = append(p.specs, &types.ToolMemberToolSpec{Value: types.ToolSpecification{
		Name: aws.String(name), Description: aws.String(p.clientName(name)),
		InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(map[string]any{"type": "object"})}}})
}

// bedrockName returns a name Bedrock accepts (^[a-zA-Z0-9_-]{1,64}$). Other names (dots, spaces, MCP-style
// "server.tool", very long names) are rewritten deterministically, so the same client name maps to the same
// Bedrock name in every turn, and the mapping is remembered so responses carry the client's own name.
func (p *toolPlan) bedrockName(name string) string {
	if validToolName(name) {
		return name
	}
	var b strings.Builder
	for _, r := range name {
		if r < 128 && (r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	clean := b.String()
	if len(clean) > 55 {
		clean = clean[:55]
	}
	sum := sha256.Sum256([]byte(name))
	out := clean + "_" + hex.EncodeToString(sum[:4])
	if p.names == nil {
		p.names = map[string]string{}
	}
	p.names[out] = name
	return out
}

func (p *toolPlan) clientName(name string) string {
	if orig, ok := p.names[name]; ok {
		return orig
	}
	return name
}

func validToolName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
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
