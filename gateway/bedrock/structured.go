package bedrock

import (
	"encoding/json"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/openwebui-bedrock/gateway/openai"
)

// structuredPlan is how response_format is honoured: Bedrock's native structured output where the model has it,
// else a forced tool whose input is the JSON (the reply's content is that input), else — for models without tools —
// an instruction.
type structuredPlan struct {
	native      *types.OutputConfig
	tool        *types.ToolMemberToolSpec
	instruction string
}

const structuredToolName = "json_response"

func planStructuredOutput(req *openai.ChatRequest, m *Model, tools *toolPlan) (structuredPlan, *openai.Error) {
	rf := req.ResponseFormat
	if rf == nil || rf.Type == "text" || rf.Type == "" {
		return structuredPlan{}, nil
	}
	schema := json.RawMessage(`{"type":"object"}`)
	name := structuredToolName
	if rf.Type == "json_schema" {
		schema = rf.JSONSchema.Schema
		if rf.JSONSchema.Name != "" && validToolName(rf.JSONSchema.Name) {
			name = rf.JSONSchema.Name
		}
		var probe map[string]any
		if err := json.Unmarshal(schema, &probe); err != nil {
			return structuredPlan{}, openai.BadRequest("response_format.json_schema.schema must be a JSON object.").WithParam("response_format.json_schema.schema")
		}
		if m.Caps.StructuredOutput {
			return structuredPlan{native: &types.OutputConfig{TextFormat: &types.OutputFormat{
				Type: types.OutputFormatTypeJsonSchema,
				Structure: &types.OutputFormatStructureMemberJsonSchema{Value: types.JsonSchemaDefinition{
					Schema: aws.String(string(schema)), Name: aws.String(name)}},
			}}}, nil
		}
	}
	if !m.Caps.Tools {
		return structuredPlan{instruction: "Reply with only a JSON value, with no other text, that matches this JSON schema: " + string(schema)}, nil
	}
	if len(tools.specs) > 0 {
		return structuredPlan{}, openai.BadRequest("The model `%s` has no native structured output, and response_format cannot be combined with tools on it.", m.ID).WithParam("response_format")
	}
	doc, err := toolSchema(schema)
	if err != nil {
		return structuredPlan{}, openai.BadRequest("response_format schema is not valid JSON.").WithParam("response_format")
	}
	return structuredPlan{tool: &types.ToolMemberToolSpec{Value: types.ToolSpecification{
		Name: aws.String(name), Description: aws.String("Give the final answer as JSON in this tool's input."),
		InputSchema: &types.ToolInputSchemaMemberJson{Value: doc}}}}, nil
}
