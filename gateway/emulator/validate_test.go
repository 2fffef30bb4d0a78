package emulator

import (
	"encoding/base64"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

var pngBytes, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")

func imageMsg(format types.ImageFormat, b []byte) types.Message {
	return types.Message{Role: types.ConversationRoleUser, Content: []types.ContentBlock{
		&types.ContentBlockMemberText{Value: "what is this"},
		&types.ContentBlockMemberImage{Value: types.ImageBlock{Format: format, Source: &types.ImageSourceMemberBytes{Value: b}}}}}
}

func assistantText(s string) types.Message {
	return types.Message{Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: s}}}
}

func toolUseMsg(id string) types.Message {
	return types.Message{Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{
		&types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{ToolUseId: aws.String(id), Name: aws.String("get_weather"),
			Input: document.NewLazyDocument(map[string]any{"city": "Paris"})}}}}
}

func toolResultMsg(id string) types.Message {
	return types.Message{Role: types.ConversationRoleUser, Content: []types.ContentBlock{
		&types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{ToolUseId: aws.String(id),
			Content: []types.ToolResultContentBlock{&types.ToolResultContentBlockMemberText{Value: "ok"}}}}}}
}

func TestValidationErrors(t *testing.T) {
	tools := &types.ToolConfiguration{Tools: []types.Tool{weatherTool()}}
	cache := &types.ContentBlockMemberCachePoint{Value: types.CachePointBlock{Type: types.CachePointTypeDefault}}
	cases := []struct {
		name   string
		in     bedrockruntime.ConverseInput
		stream bool
		want   string
	}{
		{name: "unknown model", in: bedrockruntime.ConverseInput{ModelId: aws.String("acme.nope-v1")},
			want: "The provided model identifier is invalid."},
		{name: "profile of another geography", in: bedrockruntime.ConverseInput{ModelId: aws.String("eu." + haiku)},
			want: "The provided model identifier is invalid."},
		{name: "on-demand of profile-only", in: bedrockruntime.ConverseInput{ModelId: aws.String("anthropic.claude-sonnet-4-5-20250929-v1:0")},
			want: "Invocation of model ID anthropic.claude-sonnet-4-5-20250929-v1:0 with on-demand throughput isn't supported."},
		{name: "embedding model", in: bedrockruntime.ConverseInput{ModelId: aws.String("amazon.titan-embed-text-v2:0")},
			want: "This action doesn't support the model that you provided."},
		{name: "starts with assistant", in: bedrockruntime.ConverseInput{Messages: []types.Message{assistantText("hi")}},
			want: "A conversation must start with a user message."},
		{name: "no messages", in: bedrockruntime.ConverseInput{Messages: []types.Message{}},
			want: "A conversation must start with a user message."},
		{name: "not alternating", in: bedrockruntime.ConverseInput{Messages: []types.Message{userText("a"), userText("b")}},
			want: "A conversation must alternate between user and assistant roles."},
		{name: "blank text", in: bedrockruntime.ConverseInput{Messages: []types.Message{userText("hi"), assistantText("  ")}},
			want: "The text field in the ContentBlock object at messages.1.content.0 is blank."},
		{name: "tool blocks without toolConfig", in: bedrockruntime.ConverseInput{Messages: []types.Message{userText("a"), toolUseMsg("t1"), toolResultMsg("t1")}},
			want: msgToolConfig},
		{name: "unanswered toolUse", in: bedrockruntime.ConverseInput{ToolConfig: tools, Messages: []types.Message{userText("a"), toolUseMsg("t1"), userText("b")}},
			want: "Expected toolResult blocks at messages.2.content for the following Ids: t1"},
		{name: "toolResult without toolUse", in: bedrockruntime.ConverseInput{ToolConfig: tools, Messages: []types.Message{userText("a"), assistantText("b"), toolResultMsg("t9")}},
			want: "The number of toolResult blocks at messages.2.content exceeds the number of toolUse blocks of previous turn."},
		{name: "mismatched toolResult", in: bedrockruntime.ConverseInput{ToolConfig: tools, Messages: []types.Message{userText("a"), toolUseMsg("t1"), toolResultMsg("t2")}},
			want: "The toolUseId t2 at messages.2.content doesn't match"},
		{name: "empty tools", in: bedrockruntime.ConverseInput{ToolConfig: &types.ToolConfiguration{Tools: []types.Tool{}}},
			want: "at 'toolConfig.tools' failed to satisfy constraint"},
		{name: "bad tool name", in: bedrockruntime.ConverseInput{ToolConfig: &types.ToolConfiguration{Tools: []types.Tool{
			&types.ToolMemberToolSpec{Value: types.ToolSpecification{Name: aws.String("bad name!"),
				InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(map[string]any{"type": "object"})}}}}}},
			want: "Member must satisfy regular expression pattern"},
		{name: "empty tool description", in: bedrockruntime.ConverseInput{ToolConfig: &types.ToolConfiguration{Tools: []types.Tool{
			&types.ToolMemberToolSpec{Value: types.ToolSpecification{Name: aws.String("t"), Description: aws.String(""),
				InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(map[string]any{"type": "object"})}}}}}},
			want: "toolSpec.description' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{name: "temperature and top_p on Sonnet 4.5", in: bedrockruntime.ConverseInput{ModelId: aws.String(sonnet45),
			InferenceConfig: &types.InferenceConfiguration{Temperature: aws.Float32(0.5), TopP: aws.Float32(0.9)}},
			want: "The model returned the following errors: `temperature` and `top_p` cannot both be specified for this model."},
		{name: "image to text-only model", in: bedrockruntime.ConverseInput{ModelId: aws.String(novaMic), Messages: []types.Message{imageMsg(types.ImageFormatPng, pngBytes)}},
			want: "This model doesn't support the image content block that you provided."},
		{name: "image bytes not the declared format", in: bedrockruntime.ConverseInput{Messages: []types.Message{imageMsg(types.ImageFormatJpeg, pngBytes)}},
			want: "not a valid jpeg image"},
		{name: "image format unsupported", in: bedrockruntime.ConverseInput{Messages: []types.Message{imageMsg("bmp", pngBytes)}},
			want: "Member must satisfy enum value set: [png, jpeg, gif, webp]"},
		{name: "thinking budget below 1024", in: bedrockruntime.ConverseInput{ModelId: aws.String(sonnet37), AdditionalModelRequestFields: thinking(500)},
			want: "budget_tokens: Input should be greater than or equal to 1024"},
		{name: "maxTokens not above budget", in: bedrockruntime.ConverseInput{ModelId: aws.String(sonnet37), AdditionalModelRequestFields: thinking(2000),
			InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(2000)}},
			want: "`max_tokens` must be greater than `thinking.budget_tokens`"},
		{name: "thinking with temperature", in: bedrockruntime.ConverseInput{ModelId: aws.String(sonnet37), AdditionalModelRequestFields: thinking(1024),
			InferenceConfig: &types.InferenceConfiguration{Temperature: aws.Float32(0.2)}},
			want: "`temperature` may only be set to 1 when thinking is enabled."},
		{name: "thinking with low top_p", in: bedrockruntime.ConverseInput{ModelId: aws.String(sonnet37), AdditionalModelRequestFields: thinking(1024),
			InferenceConfig: &types.InferenceConfiguration{TopP: aws.Float32(0.5)}},
			want: "`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled."},
		{name: "thinking with forced tool", in: bedrockruntime.ConverseInput{ModelId: aws.String(sonnet37), AdditionalModelRequestFields: thinking(1024),
			ToolConfig: &types.ToolConfiguration{Tools: []types.Tool{weatherTool()}, ToolChoice: &types.ToolChoiceMemberAny{}}},
			want: "Thinking may not be enabled when tool_choice forces tool use."},
		{name: "thinking on a model without it", in: bedrockruntime.ConverseInput{AdditionalModelRequestFields: thinking(1024)},
			want: "thinking: Extra inputs are not permitted"},
		{name: "unsigned reasoning sent back", in: bedrockruntime.ConverseInput{ModelId: aws.String(sonnet37), Messages: []types.Message{userText("a"),
			{Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{&types.ContentBlockMemberReasoningContent{
				Value: &types.ReasoningContentBlockMemberReasoningText{Value: types.ReasoningTextBlock{Text: aws.String("hmm")}}},
				&types.ContentBlockMemberText{Value: "b"}}}, userText("c")}},
			want: "thinking.signature: Field required"},
		{name: "maxTokens above limit", in: bedrockruntime.ConverseInput{InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(5000)}},
			want: "The maximum tokens you requested exceeds the model limit of 4096."},
		{name: "system prompt unsupported", in: bedrockruntime.ConverseInput{ModelId: aws.String(titanTxt),
			System: []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: "sys"}}},
			want: "This model doesn't support system messages."},
		{name: "tools unsupported", in: bedrockruntime.ConverseInput{ModelId: aws.String(r1), ToolConfig: tools},
			want: "This model doesn't support tool use."},
		{name: "tools in stream on Llama", in: bedrockruntime.ConverseInput{ModelId: aws.String(llama), ToolConfig: tools}, stream: true,
			want: "This model doesn't support tool use in streaming mode."},
		{name: "cachePoint unsupported", in: bedrockruntime.ConverseInput{Messages: []types.Message{{Role: types.ConversationRoleUser,
			Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "a"}, cache}}}},
			want: "This model doesn't support the cachePoint content block"},
		{name: "toolResult status on a model without it", in: bedrockruntime.ConverseInput{ModelId: aws.String(novaLite), ToolConfig: tools,
			Messages: []types.Message{userText("a"), toolUseMsg("t1"), {Role: types.ConversationRoleUser, Content: []types.ContentBlock{
				&types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{ToolUseId: aws.String("t1"), Status: types.ToolResultStatusError,
					Content: []types.ToolResultContentBlock{&types.ToolResultContentBlockMemberText{Value: "boom"}}}}}}}},
			want: "This model doesn't support the status field. Remove status and try again."},
		{name: "structured output unsupported", in: bedrockruntime.ConverseInput{ModelId: aws.String(novaLite), OutputConfig: outputSchema(`{"type":"object"}`)},
			want: "This model doesn't support structured output"},
		{name: "invalid output schema", in: bedrockruntime.ConverseInput{ModelId: aws.String(sonnet45), OutputConfig: outputSchema(`{"type":`)},
			want: "is invalid"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := c.in
			if in.ModelId == nil {
				in.ModelId = aws.String(haiku)
			}
			if in.Messages == nil {
				in.Messages = []types.Message{userText("hello")}
			}
			var err error
			if c.stream {
				_, err = runtimeClient(t).ConverseStream(testCtx(t), &bedrockruntime.ConverseStreamInput{ModelId: in.ModelId,
					Messages: in.Messages, ToolConfig: in.ToolConfig, System: in.System, InferenceConfig: in.InferenceConfig})
			} else {
				_, err = converse(t, &in)
			}
			var ve *types.ValidationException
			if err != nil && !errors.As(err, &ve) {
				t.Fatalf("want *types.ValidationException, got %T %v", err, err)
			}
			apiErr(t, err, "ValidationException", c.want)
		})
	}
}

func outputSchema(s string) *types.OutputConfig {
	return &types.OutputConfig{TextFormat: &types.OutputFormat{Type: types.OutputFormatTypeJsonSchema,
		Structure: &types.OutputFormatStructureMemberJsonSchema{Value: types.JsonSchemaDefinition{Schema: aws.String(s), Name: aws.String("x")}}}}
}

func TestAcceptedInputs(t *testing.T) {
	// Images, documents and an image-only turn on a vision model.
	out, err := converse(t, &bedrockruntime.ConverseInput{ModelId: aws.String(haiku), Messages: []types.Message{{Role: types.ConversationRoleUser,
		Content: []types.ContentBlock{&types.ContentBlockMemberImage{Value: types.ImageBlock{Format: types.ImageFormatPng, Source: &types.ImageSourceMemberBytes{Value: pngBytes}}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if txt := out.Output.(*types.ConverseOutputMemberMessage).Value.Content[0].(*types.ContentBlockMemberText).Value; txt != "I see 1 image." {
		t.Fatal(txt)
	}
	_, err = converse(t, &bedrockruntime.ConverseInput{ModelId: aws.String(novaLite), Messages: []types.Message{{Role: types.ConversationRoleUser,
		Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "summarize"}, &types.ContentBlockMemberDocument{Value: types.DocumentBlock{
			Format: types.DocumentFormatTxt, Name: aws.String("notes"), Source: &types.DocumentSourceMemberBytes{Value: []byte("hello")}}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	// Llama may use tools without streaming.
	_, err = converse(t, &bedrockruntime.ConverseInput{ModelId: aws.String(llama), Messages: []types.Message{userText("hi")},
		ToolConfig: &types.ToolConfiguration{Tools: []types.Tool{weatherTool()}}})
	if err != nil {
		t.Fatal(err)
	}
	// Temperature alone is fine on Sonnet 4.5.
	_, err = converse(t, &bedrockruntime.ConverseInput{ModelId: aws.String("global.anthropic.claude-sonnet-4-5-20250929-v1:0"),
		Messages: []types.Message{userText("hi")}, InferenceConfig: &types.InferenceConfiguration{Temperature: aws.Float32(0.3)}})
	if err != nil {
		t.Fatal(err)
	}
}
