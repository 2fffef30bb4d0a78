package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

func streamIn(model, text string) *bedrockruntime.ConverseStreamInput {
	return &bedrockruntime.ConverseStreamInput{ModelId: aws.String(model), Messages: []types.Message{userText(text)}}
}

func TestStreamToolCallWithPreamble(t *testing.T) {
	in := streamIn(haiku, "weather in Paris?")
	in.ToolConfig = &types.ToolConfiguration{Tools: []types.Tool{weatherTool(), timeTool()}}
	r, err := converseStream(t, in)
	if err != nil {
		t.Fatal(err)
	}
	if r.err != nil || r.stop != types.StopReasonToolUse {
		t.Fatalf("err %v stop %s", r.err, r.stop)
	}
	if !strings.Contains(r.text, "get_weather") {
		t.Fatalf("Claude should write a preamble, got %q", r.text)
	}
	start, ok := r.toolStarts[1]
	if !ok || *start.Name != "get_weather" || !strings.HasPrefix(*start.ToolUseId, "tooluse_") {
		t.Fatalf("tool start %+v", r.toolStarts)
	}
	var args map[string]any
	if err := json.Unmarshal([]byte(r.toolInputs[1]), &args); err != nil {
		t.Fatalf("fragments %q: %v", r.toolInputs[1], err)
	}
	if args["city"] != "sample city" || args["unit"] != "celsius" || args["days"] != float64(1) {
		t.Fatalf("args %v", args)
	}
	if _, extra := args["extra"]; extra {
		t.Fatal("only required properties expected")
	}
	frags := 0
	for _, ev := range r.events {
		if d, ok := ev.(*types.ConverseStreamOutputMemberContentBlockDelta); ok && *d.Value.ContentBlockIndex == 1 {
			frags++
		}
	}
	if frags < 2 {
		t.Fatalf("want 2+ JSON fragments, got %d", frags)
	}
}

func TestStreamToolsDirectiveAndNamedTool(t *testing.T) {
	in := streamIn(novaLite, "two calls [[emulate:tools=3]]")
	in.ToolConfig = &types.ToolConfiguration{Tools: []types.Tool{weatherTool(), timeTool()}}
	r, err := converseStream(t, in)
	if err != nil || r.err != nil {
		t.Fatal(err, r.err)
	}
	if len(r.toolStarts) != 3 || r.text != "" {
		t.Fatalf("nova: no preamble and 3 calls; got %q %+v", r.text, r.toolStarts)
	}
	if *r.toolStarts[0].Name != "get_weather" || *r.toolStarts[1].Name != "get_time" || *r.toolStarts[2].Name != "get_weather" {
		t.Fatal("calls should cycle through the tools")
	}
	ids := map[string]bool{}
	for _, s := range r.toolStarts {
		ids[*s.ToolUseId] = true
	}
	if len(ids) != 3 {
		t.Fatal("tool use ids must differ")
	}

	in = streamIn(novaLite, "time please [[emulate:tool=get_time]]")
	in.ToolConfig = &types.ToolConfiguration{Tools: []types.Tool{weatherTool(), timeTool()}}
	r, _ = converseStream(t, in)
	if *r.toolStarts[0].Name != "get_time" || r.toolInputs[0] != `{"zone":"sample zone"}` {
		t.Fatalf("tool directive: %+v %q", r.toolStarts, r.toolInputs[0])
	}

	in = streamIn(novaLite, "forced")
	in.ToolConfig = &types.ToolConfiguration{Tools: []types.Tool{weatherTool(), timeTool()},
		ToolChoice: &types.ToolChoiceMemberTool{Value: types.SpecificToolChoice{Name: aws.String("get_time")}}}
	r, _ = converseStream(t, in)
	if *r.toolStarts[0].Name != "get_time" {
		t.Fatalf("toolChoice.tool: %+v", r.toolStarts)
	}
}

func TestToolRoundTrip(t *testing.T) {
	tools := &types.ToolConfiguration{Tools: []types.Tool{weatherTool()}}
	first, err := converse(t, &bedrockruntime.ConverseInput{ModelId: aws.String(haiku), ToolConfig: tools,
		Messages: []types.Message{userText("weather?")}})
	if err != nil {
		t.Fatal(err)
	}
	msg := first.Output.(*types.ConverseOutputMemberMessage).Value
	if first.StopReason != types.StopReasonToolUse || len(msg.Content) != 2 {
		t.Fatalf("stop %s content %d", first.StopReason, len(msg.Content))
	}
	use := msg.Content[1].(*types.ContentBlockMemberToolUse).Value
	second, err := converse(t, &bedrockruntime.ConverseInput{ModelId: aws.String(haiku), ToolConfig: tools,
		Messages: []types.Message{userText("weather?"), msg, {Role: types.ConversationRoleUser, Content: []types.ContentBlock{
			&types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{ToolUseId: use.ToolUseId,
				Content: []types.ToolResultContentBlock{&types.ToolResultContentBlockMemberText{Value: "sunny, 21C"}}}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	got := second.Output.(*types.ConverseOutputMemberMessage).Value.Content[0].(*types.ContentBlockMemberText).Value
	if second.StopReason != types.StopReasonEndTurn || !strings.Contains(got, "sunny, 21C") {
		t.Fatalf("%s %q", second.StopReason, got)
	}
}

func thinking(budget int) document.Interface {
	return document.NewLazyDocument(map[string]any{"thinking": map[string]any{"type": "enabled", "budget_tokens": budget}})
}

func TestReasoningSignedRoundTrip(t *testing.T) {
	tools := &types.ToolConfiguration{Tools: []types.Tool{weatherTool()}}
	in := streamIn(sonnet37, "think then call")
	in.ToolConfig = tools
	in.AdditionalModelRequestFields = thinking(1024)
	in.InferenceConfig = &types.InferenceConfiguration{MaxTokens: aws.Int32(2048)}
	r, err := converseStream(t, in)
	if err != nil || r.err != nil {
		t.Fatal(err, r.err)
	}
	if r.reasoning == "" || r.signature == "" {
		t.Fatalf("reasoning %q signature %q", r.reasoning, r.signature)
	}
	if d, ok := r.events[1].(*types.ConverseStreamOutputMemberContentBlockDelta); !ok || *d.Value.ContentBlockIndex != 0 {
		t.Fatalf("reasoning must come first at index 0, got %T", r.events[1])
	}
	start := r.toolStarts[2]
	assistant := types.Message{Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{
		&types.ContentBlockMemberReasoningContent{Value: &types.ReasoningContentBlockMemberReasoningText{
			Value: types.ReasoningTextBlock{Text: aws.String(r.reasoning), Signature: aws.String(r.signature)}}},
		&types.ContentBlockMemberText{Value: r.text},
		&types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{ToolUseId: start.ToolUseId, Name: start.Name,
			Input: document.NewLazyDocument(map[string]any{"city": "Paris"})}},
	}}
	result := types.Message{Role: types.ConversationRoleUser, Content: []types.ContentBlock{
		&types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{ToolUseId: start.ToolUseId,
			Content: []types.ToolResultContentBlock{&types.ToolResultContentBlockMemberText{Value: "rainy"}}}}}}
	next := &bedrockruntime.ConverseInput{ModelId: aws.String(sonnet37), ToolConfig: tools,
		AdditionalModelRequestFields: thinking(1024), InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(2048)},
		Messages: []types.Message{userText("think then call"), assistant, result}}
	out, err := converse(t, next)
	if err != nil {
		t.Fatal(err)
	}
	content := out.Output.(*types.ConverseOutputMemberMessage).Value.Content
	if _, ok := content[0].(*types.ContentBlockMemberReasoningContent); !ok {
		t.Fatalf("reasoning first, got %T", content[0])
	}
	if txt := content[1].(*types.ContentBlockMemberText).Value; !strings.Contains(txt, "rainy") {
		t.Fatal(txt)
	}

	// A tampered signature is refused.
	assistant.Content[0] = &types.ContentBlockMemberReasoningContent{Value: &types.ReasoningContentBlockMemberReasoningText{
		Value: types.ReasoningTextBlock{Text: aws.String(r.reasoning + " edited"), Signature: aws.String(r.signature)}}}
	next.Messages[1] = assistant
	_, err = converse(t, next)
	apiErr(t, err, "ValidationException", "Invalid `signature` in `thinking` block")

	// Without the reasoning block the tool loop is refused while thinking is on.
	assistant.Content = assistant.Content[2:]
	next.Messages[1] = assistant
	_, err = converse(t, next)
	apiErr(t, err, "ValidationException", "Expected `thinking` or `redacted_thinking`, but found `tool_use`")
}

func TestDeepSeekReasonsWithoutSignature(t *testing.T) {
	r, err := converseStream(t, streamIn(r1, "why is the sky blue"))
	if err != nil || r.err != nil {
		t.Fatal(err, r.err)
	}
	if r.reasoning == "" || r.signature != "" || r.text == "" {
		t.Fatalf("reasoning %q signature %q text %q", r.reasoning, r.signature, r.text)
	}
}

func TestStreamDirectives(t *testing.T) {
	t.Run("words", func(t *testing.T) {
		r, _ := converseStream(t, streamIn(novaMic, "x [[emulate:words=7]]"))
		if r.deltas != 7 || len(strings.Fields(r.text)) != 7 || *r.usage.OutputTokens != 7 {
			t.Fatalf("%q %d", r.text, r.deltas)
		}
	})
	t.Run("stop=max_tokens", func(t *testing.T) {
		r, _ := converseStream(t, streamIn(novaMic, "a b c d e f [[emulate:stop=max_tokens]]"))
		if r.stop != types.StopReasonMaxTokens || r.text != "You said: a b" {
			t.Fatalf("%s %q", r.stop, r.text)
		}
	})
	t.Run("maxTokens", func(t *testing.T) {
		in := streamIn(novaMic, "a b c d e f")
		in.InferenceConfig = &types.InferenceConfiguration{MaxTokens: aws.Int32(3)}
		r, _ := converseStream(t, in)
		if r.stop != types.StopReasonMaxTokens || r.text != "You said: a" || *r.usage.OutputTokens != 3 {
			t.Fatalf("%s %q", r.stop, r.text)
		}
	})
	t.Run("stopSequences", func(t *testing.T) {
		in := streamIn(novaMic, "alpha beta END gamma")
		in.InferenceConfig = &types.InferenceConfiguration{StopSequences: []string{"END"}}
		r, _ := converseStream(t, in)
		if r.stop != types.StopReasonStopSequence || r.text != "You said: alpha beta " {
			t.Fatalf("%s %q", r.stop, r.text)
		}
	})
	t.Run("directives stripped", func(t *testing.T) {
		r, _ := converseStream(t, streamIn(novaMic, "keep [[emulate:delay-ms=1]] this"))
		if r.text != "You said: keep this" {
			t.Fatal(r.text)
		}
	})
	t.Run("error-after", func(t *testing.T) {
		r, err := converseStream(t, streamIn(novaMic, "one two three four [[emulate:error-after=2]]"))
		if err != nil {
			t.Fatal(err)
		}
		var mse *types.ModelStreamErrorException
		if !errors.As(r.err, &mse) || r.deltas != 2 || r.sawStop {
			t.Fatalf("err %v deltas %d stop %v", r.err, r.deltas, r.sawStop)
		}
	})
	t.Run("cut-after", func(t *testing.T) {
		r, err := converseStream(t, streamIn(novaMic, "one two three four [[emulate:cut-after=2]]"))
		if err != nil {
			t.Fatal(err)
		}
		if r.sawStop || r.deltas != 2 {
			t.Fatalf("cut stream must end without messageStop after 2 deltas: %d %v %v", r.deltas, r.sawStop, r.err)
		}
	})
	t.Run("throttle", func(t *testing.T) {
		_, err := converseStream(t, streamIn(novaMic, "[[emulate:throttle]] hi"))
		var te *types.ThrottlingException
		if !errors.As(err, &te) {
			t.Fatalf("%T %v", err, err)
		}
	})
	for _, name := range []string{"AccessDeniedException", "ResourceNotFoundException", "ModelNotReadyException",
		"ModelTimeoutException", "InternalServerException", "ServiceUnavailableException", "ModelErrorException",
		"ValidationException", "ServiceQuotaExceededException"} {
		t.Run("error="+name, func(t *testing.T) {
			_, err := converse(t, &bedrockruntime.ConverseInput{ModelId: aws.String(novaMic),
				Messages: []types.Message{userText("[[emulate:error=" + name + "]]")}})
			apiErr(t, err, name, "")
			_, err = converseStream(t, streamIn(novaMic, "[[emulate:error="+name+"]]"))
			apiErr(t, err, name, "")
		})
	}
	t.Run("converse delay", func(t *testing.T) {
		t0 := time.Now()
		_, err := converse(t, &bedrockruntime.ConverseInput{ModelId: aws.String(novaMic),
			Messages: []types.Message{userText("[[emulate:delay-ms=60]] hi")}})
		if err != nil || time.Since(t0) < 60*time.Millisecond {
			t.Fatal(err, time.Since(t0))
		}
	})
}

func TestStreamCancellationCounted(t *testing.T) {
	before := shared.Emulator.Stats().StreamsCancelled
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, err := runtimeClient(t).ConverseStream(ctx, streamIn(novaMic, "slow [[emulate:delay-ms=200]] [[emulate:words=50]]"))
	if err != nil {
		t.Fatal(err)
	}
	s := out.GetStream()
	<-s.Events() // messageStart
	<-s.Events() // first delta
	cancel()
	s.Close()
	deadline := time.Now().Add(3 * time.Second)
	for shared.Emulator.Stats().StreamsCancelled == before {
		if time.Now().After(deadline) {
			t.Fatalf("cancellation not counted: %+v", shared.Emulator.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestGuardrailAndStructuredOutput(t *testing.T) {
	in := streamIn(haiku, "bad stuff [[emulate:guardrail]]")
	in.GuardrailConfig = &types.GuardrailStreamConfiguration{GuardrailIdentifier: aws.String("gr-1"), GuardrailVersion: aws.String("1")}
	r, _ := converseStream(t, in)
	if r.stop != types.StopReasonGuardrailIntervened || r.text != guardrailText {
		t.Fatalf("%s %q", r.stop, r.text)
	}
	// Without a guardrail configured the directive does nothing.
	r, _ = converseStream(t, streamIn(haiku, "bad stuff [[emulate:guardrail]]"))
	if r.stop != types.StopReasonEndTurn {
		t.Fatal(r.stop)
	}

	schema := `{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer","minimum":18},"tags":{"type":"array","items":{"type":"string"}}},"required":["name","age","tags"],"additionalProperties":false}`
	out, err := converse(t, &bedrockruntime.ConverseInput{ModelId: aws.String(sonnet45), Messages: []types.Message{userText("a person")},
		OutputConfig: &types.OutputConfig{TextFormat: &types.OutputFormat{Type: types.OutputFormatTypeJsonSchema,
			Structure: &types.OutputFormatStructureMemberJsonSchema{Value: types.JsonSchemaDefinition{Schema: aws.String(schema), Name: aws.String("person")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	txt := out.Output.(*types.ConverseOutputMemberMessage).Value.Content[0].(*types.ContentBlockMemberText).Value
	if txt != `{"name":"sample name","age":18,"tags":["sample tags"]}` {
		t.Fatal(txt)
	}
}

func TestPromptCaching(t *testing.T) {
	long := strings.Repeat("You are a helpful assistant. ", 40)
	in := func(q string) *bedrockruntime.ConverseInput {
		return &bedrockruntime.ConverseInput{ModelId: aws.String(sonnet45),
			System: []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: long},
				&types.SystemContentBlockMemberCachePoint{Value: types.CachePointBlock{Type: types.CachePointTypeDefault}}},
			Messages: []types.Message{userText(q)}}
	}
	a, err := converse(t, in("first question"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := converse(t, in("second question"))
	sysTokens := int32(estimateTokens(long))
	if *a.Usage.CacheWriteInputTokens != sysTokens || *a.Usage.CacheReadInputTokens != 0 {
		t.Fatalf("first: write %d read %d", *a.Usage.CacheWriteInputTokens, *a.Usage.CacheReadInputTokens)
	}
	if *b.Usage.CacheReadInputTokens != sysTokens || *b.Usage.CacheWriteInputTokens != 0 {
		t.Fatalf("second: write %d read %d", *b.Usage.CacheWriteInputTokens, *b.Usage.CacheReadInputTokens)
	}
	if *b.Usage.TotalTokens != *b.Usage.InputTokens+*b.Usage.OutputTokens+*b.Usage.CacheReadInputTokens {
		t.Fatal("total must include cache reads")
	}
}
