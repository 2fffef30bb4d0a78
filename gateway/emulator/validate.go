package emulator

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// turn is a validated Converse request, reduced to what the reply planner
// needs.
type turn struct {
	model  *model
	req    *converseRequest
	stream bool

	maxTokens int
	thinking  bool // Claude extended thinking requested
	budget    int

	lastUserText  string   // text of the last user message, directives stripped
	lastImages    int      // image blocks in the last user message
	lastDocuments int      // document blocks in the last user message
	toolResults   []string // tool results in the last user message, as text
	dir           directives

	toolNames   []string
	toolSchemas map[string]json.RawMessage
	choice      string // "", auto, any, tool
	choiceName  string

	outputSchema json.RawMessage // structured output (outputConfig), nil if none
	guardrail    bool
	stopSeqs     []string
}

// Messages real Bedrock (or the model behind it) returns, kept verbatim
// where known.
const (
	msgStartWithUser = "A conversation must start with a user message. Try again with a conversation that starts with a user message."
	msgAlternate     = "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again."
	msgToolConfig    = "The toolConfig field must be defined when using toolUse and toolResult content blocks."
	msgModelErrors   = "The model returned the following errors: "
	thinkingDocs     = " Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
)

var toolNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

func constraint(value, path, rule string) *apiError {
	return validation("1 validation error detected: Value '" + value + "' at '" + path +
		"' failed to satisfy constraint: " + rule)
}

// prepare validates a Converse/ConverseStream body the way Bedrock does and
// returns the reduced turn. Checks run roughly in Bedrock's order: request
// shape, conversation structure, model capabilities, inference parameters.
func (e *Emulator) prepare(m *model, body []byte, stream bool) (*turn, *apiError) {
	if m.OutputModality != "TEXT" {
		return nil, validation("This action doesn't support the model that you provided. Try again with a supported text or chat model.")
	}
	req := new(converseRequest)
	if err := json.Unmarshal(body, req); err != nil {
		return nil, newError("SerializationException", "Malformed request body: "+err.Error())
	}
	t := &turn{model: m, req: req, stream: stream, dir: noDirectives(), maxTokens: m.DefaultOutputTokens}

	if err := t.checkMessages(e); err != nil {
		return nil, err
	}
	if err := t.checkSystem(); err != nil {
		return nil, err
	}
	if err := t.checkTools(); err != nil {
		return nil, err
	}
	if err := t.checkInference(); err != nil {
		return nil, err
	}
	if err := t.checkThinking(); err != nil {
		return nil, err
	}
	if err := t.checkOutputConfig(); err != nil {
		return nil, err
	}
	if g := req.GuardrailConfig; g != nil {
		if g.GuardrailIdentifier == "" || g.GuardrailVersion == "" {
			return nil, validation("The guardrailConfig requires both guardrailIdentifier and guardrailVersion.")
		}
		t.guardrail = true
	}
	t.collectLastUser()
	return t, nil
}

func (t *turn) checkMessages(e *Emulator) *apiError {
	msgs := t.req.Messages
	if len(msgs) == 0 || msgs[0].Role != "user" {
		if len(msgs) > 0 && msgs[0].Role != "assistant" {
			return constraint(msgs[0].Role, "messages.1.member.role", "Member must satisfy enum value set: [user, assistant]")
		}
		return validation(msgStartWithUser)
	}
	hasToolBlocks := false
	var pendingToolUses []string // toolUse ids of the previous assistant turn
	pendingAt := -1
	for i, msg := range msgs {
		if msg.Role != "user" && msg.Role != "assistant" {
			return constraint(msg.Role, fmt.Sprintf("messages.%d.member.role", i+1), "Member must satisfy enum value set: [user, assistant]")
		}
		if i > 0 && msgs[i-1].Role == msg.Role {
			return validation(msgAlternate)
		}
		if len(msg.Content) == 0 {
			return validation(fmt.Sprintf("The content field in the Message object at messages.%d is empty. Add a ContentBlock object to the content field and try again.", i))
		}
		var results []string
		var uses []string
		for j := range msg.Content {
			b := &msg.Content[j]
			at := fmt.Sprintf("messages.%d.content.%d", i, j)
			if err := t.checkBlock(e, b, msg.Role, at); err != nil {
				return err
			}
			if b.ToolUse != nil {
				hasToolBlocks = true
				uses = append(uses, b.ToolUse.ToolUseID)
			}
			if b.ToolResult != nil {
				hasToolBlocks = true
				results = append(results, b.ToolResult.ToolUseID)
			}
		}
		if msg.Role == "user" {
			if err := matchToolResults(i, pendingAt, pendingToolUses, results); err != nil {
				return err
			}
			pendingToolUses, pendingAt = nil, -1
		} else {
			pendingToolUses, pendingAt = uses, i
		}
	}
	if hasToolBlocks && t.req.ToolConfig == nil {
		return validation(msgToolConfig)
	}
	return nil
}

// matchToolResults enforces Bedrock's pairing: the user turn after an
// assistant turn with toolUse blocks answers every one of them, and
// answers nothing else.
func matchToolResults(i, pendingAt int, uses, results []string) *apiError {
	if len(results) > len(uses) {
		return validation(fmt.Sprintf("The number of toolResult blocks at messages.%d.content exceeds the number of toolUse blocks of previous turn.", i))
	}
	want := map[string]bool{}
	for _, u := range uses {
		want[u] = true
	}
	for _, r := range results {
		if !want[r] {
			return validation(fmt.Sprintf("The toolUseId %s at messages.%d.content doesn't match any toolUse block of the previous turn (messages.%d).", r, i, max(pendingAt, 0)))
		}
		delete(want, r)
	}
	if len(want) > 0 {
		var missing []string
		for _, u := range uses {
			if want[u] {
				missing = append(missing, u)
			}
		}
		return validation(fmt.Sprintf("Expected toolResult blocks at messages.%d.content for the following Ids: %s", i, strings.Join(missing, ", ")))
	}
	return nil
}

func (t *turn) checkBlock(e *Emulator, b *contentBlock, role, at string) *apiError {
	m := t.model
	n := 0
	for _, set := range []bool{b.Text != nil, b.Image != nil, b.Document != nil, b.ToolUse != nil, b.ToolResult != nil,
		b.CachePoint != nil, b.ReasoningContent != nil, b.GuardContent != nil, b.Video != nil, b.Audio != nil,
		b.CitationsContent != nil, b.SearchResult != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return validation(fmt.Sprintf("The ContentBlock object at %s must set exactly one of its members.", at))
	}
	switch {
	case b.Text != nil:
		if strings.TrimSpace(*b.Text) == "" {
			return validation("The text field in the ContentBlock object at " + at + " is blank. Add text to the text field, and try again.")
		}
	case b.Image != nil:
		if !m.acceptsImages() {
			return validation("This model doesn't support the image content block that you provided.")
		}
		return checkImage(b.Image, at+".image")
	case b.Document != nil:
		if !m.Documents {
			return validation("This model doesn't support the document content block that you provided.")
		}
		return checkDocument(b.Document, at+".document")
	case b.Video != nil:
		return validation("This model doesn't support the video content block that you provided.")
	case b.Audio != nil:
		return validation("This model doesn't support the audio content block that you provided.")
	case b.CachePoint != nil:
		return t.checkCachePoint(b.CachePoint, at+".cachePoint")
	case b.ToolUse != nil:
		if role != "assistant" {
			return validation("The toolUse content block at " + at + " is only allowed in an assistant message.")
		}
		if b.ToolUse.ToolUseID == "" || b.ToolUse.Name == "" {
			return validation("The toolUse content block at " + at + " requires toolUseId and name.")
		}
		if len(b.ToolUse.Input) == 0 || b.ToolUse.Input[0] != '{' {
			return validation("The input field of the toolUse content block at " + at + " must be a JSON object.")
		}
	case b.ToolResult != nil:
		if role != "user" {
			return validation("The toolResult content block at " + at + " is only allowed in a user message.")
		}
		if b.ToolResult.Status != "" && !m.ToolResultStatus {
			return validation("This model doesn't support the status field. Remove status and try again.")
		}
		for k, c := range b.ToolResult.Content {
			if c.Image != nil {
				if !m.acceptsImages() {
					return validation("This model doesn't support the image content block that you provided.")
				}
				if err := checkImage(c.Image, fmt.Sprintf("%s.toolResult.content.%d.image", at, k)); err != nil {
					return err
				}
			}
		}
	case b.ReasoningContent != nil:
		if role != "assistant" {
			return validation("The reasoningContent content block at " + at + " is only allowed in an assistant message.")
		}
		return t.checkReasoning(e, b.ReasoningContent, at)
	}
	return nil
}

// checkReasoning verifies signed reasoning sent back in the history: Claude
// refuses thinking blocks whose signature it did not issue.
func (t *turn) checkReasoning(e *Emulator, r *reasoningBlock, at string) *apiError {
	if t.model.Reasoning != reasoningSigned || r.ReasoningText == nil {
		return nil
	}
	if r.ReasoningText.Signature == nil || *r.ReasoningText.Signature == "" {
		return validation(msgModelErrors + at + ".thinking.signature: Field required")
	}
	if !e.verifyReasoningSignature(r.ReasoningText.Text, *r.ReasoningText.Signature) {
		return validation(msgModelErrors + at + ": Invalid `signature` in `thinking` block")
	}
	return nil
}

func (t *turn) checkCachePoint(c *cachePoint, at string) *apiError {
	if !t.model.Caching {
		return validation("This model doesn't support the cachePoint content block that you provided.")
	}
	if c.Type != "default" {
		return constraint(c.Type, at+".type", "Member must satisfy enum value set: [default]")
	}
	return nil
}

// imageMagic identifies the formats Bedrock accepts by their first bytes.
var imageMagic = map[string][][]byte{
	"png":  {[]byte("\x89PNG\r\n\x1a\n")},
	"jpeg": {[]byte("\xff\xd8\xff")},
	"gif":  {[]byte("GIF87a"), []byte("GIF89a")},
	"webp": {[]byte("RIFF")},
}

func checkImage(img *imageBlock, at string) *apiError {
	magics, ok := imageMagic[img.Format]
	if !ok {
		return constraint(img.Format, at+".format", "Member must satisfy enum value set: [png, jpeg, gif, webp]")
	}
	if img.Source.Bytes == nil {
		if img.Source.S3Location != nil {
			return validation("The emulator cannot read images from Amazon S3; send the image bytes instead.")
		}
		return validation("The image source at " + at + " is empty. Provide the image bytes and try again.")
	}
	raw, err := base64.StdEncoding.DecodeString(*img.Source.Bytes)
	if err != nil || len(raw) == 0 {
		return validation("Unable to decode the image at " + at + ": the bytes are not valid base64.")
	}
	if len(raw) > 3_750_000 {
		return validation("The image at " + at + " exceeds the 3.75 MB size limit.")
	}
	for _, mg := range magics {
		if bytes.HasPrefix(raw, mg) && (img.Format != "webp" || len(raw) >= 12 && string(raw[8:12]) == "WEBP") {
			return nil
		}
	}
	return validation("Unable to process the image at " + at + ": the bytes are not a valid " + img.Format + " image.")
}

var documentFormats = map[string]bool{"pdf": true, "csv": true, "doc": true, "docx": true, "xls": true,
	"xlsx": true, "html": true, "txt": true, "md": true}

func checkDocument(d *documentBlock, at string) *apiError {
	if !documentFormats[d.Format] {
		return constraint(d.Format, at+".format", "Member must satisfy enum value set: [pdf, csv, doc, docx, xls, xlsx, html, txt, md]")
	}
	if d.Name == "" {
		return constraint("", at+".name", "Member must have length greater than or equal to 1")
	}
	if d.Source.Bytes == nil && d.Source.Text == nil {
		return validation("The document source at " + at + " is empty. Provide the document bytes and try again.")
	}
	if d.Source.Bytes != nil {
		if _, err := base64.StdEncoding.DecodeString(*d.Source.Bytes); err != nil {
			return validation("Unable to decode the document at " + at + ": the bytes are not valid base64.")
		}
	}
	return nil
}

func (t *turn) checkSystem() *apiError {
	hasText := false
	for i, s := range t.req.System {
		at := fmt.Sprintf("system.%d", i)
		switch {
		case s.Text != nil:
			if strings.TrimSpace(*s.Text) == "" {
				return validation("The text field in the SystemContentBlock object at " + at + " is blank. Add text to the text field, and try again.")
			}
			hasText = true
		case s.CachePoint != nil:
			if err := t.checkCachePoint(s.CachePoint, at+".cachePoint"); err != nil {
				return err
			}
		}
	}
	if hasText && !t.model.System {
		return validation("This model doesn't support system messages.")
	}
	return nil
}

func (t *turn) checkTools() *apiError {
	tc := t.req.ToolConfig
	if tc == nil {
		return nil
	}
	m := t.model
	if !m.Tools {
		return validation("This model doesn't support tool use.")
	}
	if t.stream && !m.ToolsInStream {
		return validation("This model doesn't support tool use in streaming mode.")
	}
	if len(tc.Tools) == 0 {
		return constraint("[]", "toolConfig.tools", "Member must have length greater than or equal to 1")
	}
	t.toolSchemas = map[string]json.RawMessage{}
	for i, tl := range tc.Tools {
		at := fmt.Sprintf("toolConfig.tools.%d.member", i+1)
		if tl.CachePoint != nil {
			if err := t.checkCachePoint(tl.CachePoint, at+".cachePoint"); err != nil {
				return err
			}
			continue
		}
		if tl.SystemTool != nil {
			return validation("This model doesn't support the system tool that you provided.")
		}
		ts := tl.ToolSpec
		if ts == nil {
			return validation("The Tool object at " + at + " must set toolSpec.")
		}
		if !toolNamePattern.MatchString(ts.Name) {
			return constraint(ts.Name, at+".toolSpec.name", "Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+")
		}
		if ts.Description != nil && *ts.Description == "" {
			return constraint("", at+".toolSpec.description", "Member must have length greater than or equal to 1")
		}
		if ts.InputSchema == nil || len(ts.InputSchema.JSON) == 0 {
			return validation("The toolSpec at " + at + " requires inputSchema.json.")
		}
		var js map[string]any
		if json.Unmarshal(ts.InputSchema.JSON, &js) != nil {
			return validation("The inputSchema of tool " + ts.Name + " must be a JSON object.")
		}
		if typ, ok := js["type"]; ok && typ != "object" {
			return validation(msgModelErrors + fmt.Sprintf("tools.%d.custom.input_schema.type: Input should be 'object'", i))
		}
		if _, dup := t.toolSchemas[ts.Name]; dup {
			return validation(msgModelErrors + "tools: Tool names must be unique.")
		}
		t.toolNames = append(t.toolNames, ts.Name)
		t.toolSchemas[ts.Name] = ts.InputSchema.JSON
	}
	if len(t.toolNames) == 0 {
		return constraint("[]", "toolConfig.tools", "Member must have length greater than or equal to 1")
	}
	t.choice = "auto"
	if c := tc.ToolChoice; c != nil {
		switch {
		case c.Any != nil:
			t.choice = "any"
		case c.Tool != nil:
			t.choice, t.choiceName = "tool", c.Tool.Name
			if _, ok := t.toolSchemas[c.Tool.Name]; !ok {
				return validation(msgModelErrors + "Tool '" + c.Tool.Name + "' not found in provided tools")
			}
		}
	}
	return nil
}

func (t *turn) checkInference() *apiError {
	ic := t.req.InferenceConfig
	if ic == nil {
		return nil
	}
	m := t.model
	if ic.MaxTokens != nil {
		n := *ic.MaxTokens
		if n < 1 {
			return constraint(fmt.Sprint(n), "inferenceConfig.maxTokens", "Member must have value greater than or equal to 1")
		}
		if n > m.MaxOutputTokens {
			return validation(fmt.Sprintf("The maximum tokens you requested exceeds the model limit of %d. Try again with a maximum tokens value that is lower than %d.", m.MaxOutputTokens, m.MaxOutputTokens))
		}
		t.maxTokens = n
	}
	if v := ic.Temperature; v != nil && (*v < 0 || *v > 1) {
		return constraint(fmt.Sprint(*v), "inferenceConfig.temperature", "Member must have value less than or equal to 1")
	}
	if v := ic.TopP; v != nil && (*v < 0 || *v > 1) {
		return constraint(fmt.Sprint(*v), "inferenceConfig.topP", "Member must have value less than or equal to 1")
	}
	if m.TempTopPConflict && ic.Temperature != nil && ic.TopP != nil {
		return validation(msgModelErrors + "`temperature` and `top_p` cannot both be specified for this model. Please use only one.")
	}
	for i, s := range ic.StopSequences {
		if s == "" {
			return constraint("", fmt.Sprintf("inferenceConfig.stopSequences.%d.member", i+1), "Member must have length greater than or equal to 1")
		}
	}
	t.stopSeqs = ic.StopSequences
	return nil
}

func (t *turn) checkThinking() *apiError {
	if len(t.req.AdditionalModelRequestFields) == 0 {
		return nil
	}
	var extra map[string]json.RawMessage
	if err := json.Unmarshal(t.req.AdditionalModelRequestFields, &extra); err != nil {
		return validation("Malformed input request: additionalModelRequestFields must be a JSON object, please reformat your input and try again.")
	}
	raw, ok := extra["thinking"]
	if !ok {
		return nil
	}
	m := t.model
	if m.Reasoning != reasoningSigned {
		return validation(msgModelErrors + "thinking: Extra inputs are not permitted")
	}
	var tc thinkingConfig
	if err := json.Unmarshal(raw, &tc); err != nil {
		return validation(msgModelErrors + "thinking: Input should be a valid dictionary or object")
	}
	switch tc.Type {
	case "disabled":
		return nil
	case "enabled":
	default:
		return validation(msgModelErrors + "thinking.type: Input tag '" + tc.Type + "' found using 'type' does not match any of the expected tags: 'disabled', 'enabled'")
	}
	if tc.BudgetTokens == nil {
		return validation(msgModelErrors + "thinking.enabled.budget_tokens: Field required")
	}
	if *tc.BudgetTokens < 1024 {
		return validation(msgModelErrors + "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024")
	}
	if t.maxTokens <= *tc.BudgetTokens {
		return validation(msgModelErrors + "`max_tokens` must be greater than `thinking.budget_tokens`." + thinkingDocs + "#max-tokens-and-context-window-size")
	}
	if ic := t.req.InferenceConfig; ic != nil {
		if ic.Temperature != nil && *ic.Temperature != 1 {
			return validation(msgModelErrors + "`temperature` may only be set to 1 when thinking is enabled." + thinkingDocs + "#feature-compatibility")
		}
		if ic.TopP != nil && *ic.TopP < 0.95 {
			return validation(msgModelErrors + "`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled." + thinkingDocs + "#feature-compatibility")
		}
	}
	if t.choice == "any" || t.choice == "tool" {
		return validation(msgModelErrors + "Thinking may not be enabled when tool_choice forces tool use.")
	}
	// In a tool loop (the last user turn carries tool results), the
	// assistant turn that made the calls must open with its reasoning.
	msgs := t.req.Messages
	if n := len(msgs); n >= 2 && msgs[n-1].Role == "user" && hasToolResult(msgs[n-1]) && msgs[n-2].Role == "assistant" {
		first := msgs[n-2].Content[0]
		if first.ReasoningContent == nil {
			found := "text"
			if first.ToolUse != nil {
				found = "tool_use"
			}
			return validation(msgModelErrors + fmt.Sprintf("messages.%d.content.0.type: Expected `thinking` or `redacted_thinking`, but found `%s`. ", n-2, found) +
				"When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). " +
				"We recommend you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`." + thinkingDocs)
		}
	}
	t.thinking, t.budget = true, *tc.BudgetTokens
	return nil
}

func hasToolResult(m message) bool {
	for _, b := range m.Content {
		if b.ToolResult != nil {
			return true
		}
	}
	return false
}

func (t *turn) checkOutputConfig() *apiError {
	oc := t.req.OutputConfig
	if oc == nil || oc.TextFormat == nil {
		return nil
	}
	if !t.model.StructuredOutput {
		return validation("This model doesn't support structured output (outputConfig.textFormat).")
	}
	tf := oc.TextFormat
	if tf.Type != "json_schema" {
		return constraint(tf.Type, "outputConfig.textFormat.type", "Member must satisfy enum value set: [json_schema]")
	}
	if tf.Structure == nil || tf.Structure.JSONSchema == nil || tf.Structure.JSONSchema.Schema == "" {
		return validation("The outputConfig.textFormat.structure.jsonSchema.schema field is required for json_schema output.")
	}
	var s map[string]any
	if err := json.Unmarshal([]byte(tf.Structure.JSONSchema.Schema), &s); err != nil {
		return validation("The JSON schema in outputConfig.textFormat.structure.jsonSchema.schema is invalid: " + err.Error())
	}
	if typ, _ := s["type"].(string); typ != "object" {
		return validation("The JSON schema in outputConfig.textFormat.structure.jsonSchema.schema is invalid: the root type must be \"object\".")
	}
	t.outputSchema = json.RawMessage(tf.Structure.JSONSchema.Schema)
	return nil
}

// collectLastUser reads the last user message: its text (directives
// stripped, directives recorded), images, documents and tool results.
func (t *turn) collectLastUser() {
	msgs := t.req.Messages
	var last *message
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == "user" {
			last = &msgs[i]
			break
		}
	}
	if last == nil {
		return
	}
	var texts []string
	for _, b := range last.Content {
		switch {
		case b.Text != nil:
			if s := parseDirectives(*b.Text, &t.dir); s != "" {
				texts = append(texts, s)
			}
		case b.Image != nil:
			t.lastImages++
		case b.Document != nil:
			t.lastDocuments++
		case b.ToolResult != nil:
			var parts []string
			for _, c := range b.ToolResult.Content {
				switch {
				case c.Text != nil:
					parts = append(parts, parseDirectives(*c.Text, &t.dir))
				case c.JSON != nil:
					parts = append(parts, string(c.JSON))
				case c.Image != nil:
					parts = append(parts, "[image]")
				}
			}
			t.toolResults = append(t.toolResults, strings.Join(parts, " "))
		}
	}
	t.lastUserText = strings.Join(texts, " ")
	if t.dir.guardrail && !t.guardrail {
		t.dir.guardrail = false // the directive only works when a guardrail is configured
	}
}
