package bedrock

import (
	"math"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/openwebui-bedrock/gateway/openai"
)

// ReasoningOutput says how model reasoning reaches the client (REASONING_OUTPUT).
type ReasoningOutput int

const (
	// ReasoningField: message.reasoning_content / delta.reasoning_content, the de-facto field (DeepSeek, vLLM,
	// LiteLLM), which Open WebUI renders as a collapsible block.
	ReasoningField ReasoningOutput = iota
	// ReasoningThinkTags: inline <think>…</think> at the start of content, as the reference gateway does.
	ReasoningThinkTags
	// ReasoningOmit: reasoning is not sent.
	ReasoningOmit
)

// TranslateOptions are the deployment-wide defaults a request can override.
type TranslateOptions struct {
	PromptCaching bool                          // ENABLE_PROMPT_CACHING
	Guardrail     *types.GuardrailConfiguration // GUARDRAIL_IDENTIFIER / GUARDRAIL_VERSION
	Reasoning     ReasoningOutput
	// Images holds http(s) image URLs already fetched by the caller (fetching is I/O and stays out of this pure
	// translation); a URL missing here is an error.
	Images map[string]Image
}

// Image is image bytes and their Bedrock format (png, jpeg, gif, webp).
type Image struct {
	Data   []byte
	Format string
}

// Call is a translated request: the Converse input plus what the response translation needs to map back.
type Call struct {
	Input *bedrockruntime.ConverseInput
	Model *Model
	// names maps Bedrock-side tool names back to the client's names where they had to be changed.
	names map[string]string
	// structuredTool is the forced tool standing in for response_format on models without native structured
	// output; its input is the reply's content.
	structuredTool string
	// streamViaConverse: the model cannot stream with tools, so a stream is served from one Converse call.
	streamViaConverse bool
	reasoning         ReasoningOutput
}

// ClientToolName is the client's name for a tool Bedrock called.
func (c *Call) ClientToolName(name string) string {
	if orig, ok := c.names[name]; ok {
		return orig
	}
	return name
}

// BuildConverse translates an OpenAI chat request into a Bedrock call for model m. It is a pure function: each rule
// lives in one helper below (history, tools, reasoning, caching, structured output), with golden cases in
// translate_test.go.
func BuildConverse(req *openai.ChatRequest, m *Model, opts TranslateOptions) (*Call, *openai.Error) {
	extras := req.Merged()
	call := &Call{Model: m, reasoning: opts.Reasoning}
	in := &bedrockruntime.ConverseInput{ModelId: aws.String(m.InvokeID)}
	call.Input = in

	tools, err := planTools(req, m)
	if err != nil {
		return nil, err
	}
	call.names = tools.names

	hist, err := buildHistory(req, m, tools, opts.Images)
	if err != nil {
		return nil, err
	}
	in.System, in.Messages = hist.system, hist.turns
	if len(in.Messages) == 0 {
		return nil, openai.BadRequest("The conversation has no user or assistant content to send.").WithParam("messages")
	}
	in.InferenceConfig = inferenceConfig(req, m)

	sf, err := planStructuredOutput(req, m, tools)
	if err != nil {
		return nil, err
	}
	if sf.native != nil {
		in.OutputConfig = sf.native
	}
	if sf.tool != nil {
		tools.specs = append(tools.specs, sf.tool)
		tools.choice = &types.ToolChoiceMemberTool{Value: types.SpecificToolChoice{Name: sf.tool.Value.Name}}
		call.structuredTool = aws.ToString(sf.tool.Value.Name)
	}
	if sf.instruction != "" {
		in.System = append(in.System, &types.SystemContentBlockMemberText{Value: sf.instruction})
	}
	if len(tools.specs) > 0 {
		in.ToolConfig = &types.ToolConfiguration{Tools: tools.specs, ToolChoice: tools.choice}
		call.streamViaConverse = req.Stream && !m.Caps.ToolsInStream
	}
	if !m.Caps.System && len(in.System) > 0 {
		foldSystemIntoFirstUserTurn(in)
	}

	fields := map[string]any{}
	if err := planReasoning(req, extras, m, in, hist, fields); err != nil {
		return nil, err
	}
	if extras.TopK != nil {
		fields["top_k"] = *extras.TopK
	}
	if len(extras.AnthropicBeta) > 0 {
		fields["anthropic_beta"] = extras.AnthropicBeta
	}
	if extras.ReasoningConfig != nil {
		v, err := rawToAny(extras.ReasoningConfig)
		if err != nil {
			return nil, openai.BadRequest("reasoning_config is not valid JSON.").WithParam("reasoning_config")
		}
		fields["reasoning_config"] = v
	}
	if len(fields) > 0 {
		in.AdditionalModelRequestFields = document.NewLazyDocument(fields)
	}

	applyCaching(in, m, extras.PromptCaching, opts.PromptCaching)

	switch g := extras.GuardrailConfig; {
	case g != nil:
		if g.GuardrailIdentifier == "" || g.GuardrailVersion == "" {
			return nil, openai.BadRequest("guardrailConfig needs guardrailIdentifier and guardrailVersion.").WithParam("guardrailConfig")
		}
		in.GuardrailConfig = &types.GuardrailConfiguration{GuardrailIdentifier: aws.String(g.GuardrailIdentifier),
			GuardrailVersion: aws.String(g.GuardrailVersion), Trace: types.GuardrailTrace(g.Trace)}
	case opts.Guardrail != nil:
		in.GuardrailConfig = opts.Guardrail
	}
	return call, nil
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

// inferenceConfig maps sampling settings. max_tokens above a known model limit is clamped (clients send one number
// for every model), and models that reject temperature together with top_p get temperature only (Open WebUI sends
// both, and every chat with Claude 4.5 would fail).
func inferenceConfig(req *openai.ChatRequest, m *Model) *types.InferenceConfiguration {
	var ic types.InferenceConfiguration
	if n := req.MaxOutputTokens(); n != nil {
		v := min(*n, math.MaxInt32)
		if lim := m.Caps.MaxOutputTokens; lim > 0 && v > lim {
			v = lim
		}
		ic.MaxTokens = aws.Int32(int32(v))
	}
	if req.Temperature != nil {
		ic.Temperature = aws.Float32(float32(*req.Temperature))
	}
	if req.TopP != nil && !(m.Caps.TempTopPExclusive && req.Temperature != nil) {
		ic.TopP = aws.Float32(float32(*req.TopP))
	}
	if len(req.Stop) > 0 {
		ic.StopSequences = req.Stop
	}
	if ic.MaxTokens == nil && ic.Temperature == nil && ic.TopP == nil && ic.StopSequences == nil {
		return nil
	}
	return &ic
}

// foldSystemIntoFirstUserTurn serves models without system-prompt support (Titan Text): the instructions become
// the opening text of the first user turn instead of a 400 for every Open WebUI chat that has a system prompt.
func foldSystemIntoFirstUserTurn(in *bedrockruntime.ConverseInput) {
	var blocks []types.ContentBlock
	for _, s := range in.System {
		if t, ok := s.(*types.SystemContentBlockMemberText); ok {
			blocks = append(blocks, &types.ContentBlockMemberText{Value: t.Value})
		}
	}
	in.System = nil
	for i := range in.Messages {
		if in.Messages[i].Role == types.ConversationRoleUser {
			in.Messages[i].Content = append(blocks, in.Messages[i].Content...)
			return
		}
	}
}
