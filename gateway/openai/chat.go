package openai

import (
	"bytes"
	"encoding/json"
	"errors"
)

// ChatRequest is POST /chat/completions. Fields that cannot be mapped to Bedrock (seed, penalties, logit_bias, …) are
// accepted by simply not being declared: encoding/json ignores unknown keys.
type ChatRequest struct {
	Model               string          `json:"model"`
	Messages            []Message       `json:"messages"`
	Stream              bool            `json:"stream"`
	StreamOptions       *StreamOptions  `json:"stream_options"`
	Temperature         *float64        `json:"temperature"`
	TopP                *float64        `json:"top_p"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Stop                StringList      `json:"stop"`
	N                   *int            `json:"n"`
	Tools               []Tool          `json:"tools"`
	ToolChoice          *ToolChoice     `json:"tool_choice"`
	ParallelToolCalls   *bool           `json:"parallel_tool_calls"`
	ReasoningEffort     string          `json:"reasoning_effort"`
	ResponseFormat      *ResponseFormat `json:"response_format"`

	// Provider extras, accepted at the top level (where the official Python SDK's extra_body= puts them) and inside
	// a literal nested "extra_body" object (the reference gateway's convention).
	Extras
	ExtraBody *Extras `json:"extra_body"`
}

// Extras are Bedrock-specific request fields.
type Extras struct {
	Thinking        json.RawMessage  `json:"thinking"`         // Claude: {"type":"enabled","budget_tokens":N}
	TopK            *int             `json:"top_k"`            // additionalModelRequestFields.top_k
	AnthropicBeta   []string         `json:"anthropic_beta"`   // additionalModelRequestFields.anthropic_beta
	ReasoningConfig json.RawMessage  `json:"reasoning_config"` // additionalModelRequestFields.reasoning_config
	GuardrailConfig *GuardrailConfig `json:"guardrailConfig"`
	PromptCaching   *PromptCaching   `json:"prompt_caching"`
}

// GuardrailConfig is Bedrock's guardrailConfig, passed through.
type GuardrailConfig struct {
	GuardrailIdentifier string `json:"guardrailIdentifier"`
	GuardrailVersion    string `json:"guardrailVersion"`
	Trace               string `json:"trace,omitempty"`
}

// PromptCaching turns Bedrock prompt caching on or off for one request: true/false, or
// {"system": bool, "messages": bool} to choose where cache points go.
type PromptCaching struct {
	System, Messages bool
}

func (p *PromptCaching) UnmarshalJSON(b []byte) error {
	var on bool
	if err := json.Unmarshal(b, &on); err == nil {
		p.System, p.Messages = on, on
		return nil
	}
	var obj struct {
		System   *bool `json:"system"`
		Messages *bool `json:"messages"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return errors.New(`prompt_caching must be true, false or {"system": bool, "messages": bool}`)
	}
	p.System = obj.System == nil || *obj.System
	p.Messages = obj.Messages == nil || *obj.Messages
	return nil
}

// Merged returns the extras with the nested extra_body filling what the top level left unset.
func (r *ChatRequest) Merged() Extras {
	e := r.Extras
	n := r.ExtraBody
	if n == nil {
		return e
	}
	if e.Thinking == nil {
		e.Thinking = n.Thinking
	}
	if e.TopK == nil {
		e.TopK = n.TopK
	}
	if e.AnthropicBeta == nil {
		e.AnthropicBeta = n.AnthropicBeta
	}
	if e.ReasoningConfig == nil {
		e.ReasoningConfig = n.ReasoningConfig
	}
	if e.GuardrailConfig == nil {
		e.GuardrailConfig = n.GuardrailConfig
	}
	if e.PromptCaching == nil {
		e.PromptCaching = n.PromptCaching
	}
	return e
}

// ResponseFormat is {"type":"text"|"json_object"|"json_schema","json_schema":{"name","schema","strict"}}.
type ResponseFormat struct {
	Type       string      `json:"type"`
	JSONSchema *JSONSchema `json:"json_schema"`
}

type JSONSchema struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Schema      json.RawMessage `json:"schema"`
	Strict      *bool           `json:"strict"`
}

type StreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// Message is one conversation turn. Content is a string, an array of parts, or null (assistant turns with tool calls).
type Message struct {
	Role             string     `json:"role"`
	Content          Content    `json:"content"`
	Name             string     `json:"name,omitempty"`
	ToolCalls        []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID       string     `json:"tool_call_id,omitempty"`
	ReasoningContent string     `json:"reasoning_content,omitempty"`
	// ThinkingBlocks carry signed reasoning back to the model (LiteLLM's convention); Claude requires them when
	// thinking is combined with tool use over several turns.
	ThinkingBlocks []ThinkingBlock `json:"thinking_blocks,omitempty"`
}

// ThinkingBlock is one reasoning block: {"type":"thinking","thinking","signature"} or
// {"type":"redacted_thinking","data"}.
type ThinkingBlock struct {
	Type      string `json:"type"`
	Thinking  string `json:"thinking,omitempty"`
	Signature string `json:"signature,omitempty"`
	Data      string `json:"data,omitempty"`
}

// Content holds either a plain string or a list of typed parts.
type Content struct {
	Text  string
	Parts []ContentPart
	// IsParts records which JSON form arrived, so an empty array is not mistaken for an empty string.
	IsParts bool
}

func (c *Content) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")):
		*c = Content{}
		return nil
	case b[0] == '"':
		c.IsParts = false
		return json.Unmarshal(b, &c.Text)
	case b[0] == '[':
		c.IsParts = true
		return json.Unmarshal(b, &c.Parts)
	}
	return errors.New("content must be a string, an array of content parts or null")
}

func (c Content) MarshalJSON() ([]byte, error) {
	if c.IsParts {
		return json.Marshal(c.Parts)
	}
	return json.Marshal(c.Text)
}

// ContentPart is one element of an array content: {"type":"text","text":…} or {"type":"image_url",…}.
type ContentPart struct {
	Type     string    `json:"type"`
	Text     string    `json:"text,omitempty"`
	ImageURL *ImageURL `json:"image_url,omitempty"`
	// CacheControl ({"type":"ephemeral"}, Anthropic's convention) marks the end of a prefix to cache.
	CacheControl json.RawMessage `json:"cache_control,omitempty"`
}

type ImageURL struct {
	URL    string `json:"url"`
	Detail string `json:"detail,omitempty"`
}

type Tool struct {
	Type     string       `json:"type"`
	Function FunctionSpec `json:"function"`
}

type FunctionSpec struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
	Strict      *bool           `json:"strict,omitempty"`
}

// ToolChoice is "none" | "auto" | "required" or {"type":"function","function":{"name":…}}.
type ToolChoice struct {
	Mode     string // none, auto, required, or function
	Function string // the named function when Mode is "function"
}

func (t *ToolChoice) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &t.Mode); err != nil {
			return err
		}
		switch t.Mode {
		case "none", "auto", "required":
			return nil
		}
		return errors.New(`tool_choice must be "none", "auto", "required" or a function object`)
	}
	var obj struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	if obj.Function.Name == "" {
		return errors.New("tool_choice.function.name is required")
	}
	t.Mode, t.Function = "function", obj.Function.Name
	return nil
}

type ToolCall struct {
	Index    *int         `json:"index,omitempty"`
	ID       string       `json:"id,omitempty"`
	Type     string       `json:"type,omitempty"`
	Function FunctionCall `json:"function"`
}

type FunctionCall struct {
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments"`
}

// StringList accepts a string or an array of strings (the "stop" field).
type StringList []string

func (s *StringList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*s = nil
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = StringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("stop must be a string or an array of strings")
	}
	*s = many
	return nil
}

// ChatCompletion is the non-streaming response.
type ChatCompletion struct {
	ID      string   `json:"id"`
	Object  string   `json:"object"`
	Created int64    `json:"created"`
	Model   string   `json:"model"`
	Choices []Choice `json:"choices"`
	Usage   *Usage   `json:"usage,omitempty"`
}

type Choice struct {
	Index        int              `json:"index"`
	Message      ResponseMessage  `json:"message"`
	FinishReason string           `json:"finish_reason"`
	Logprobs     *json.RawMessage `json:"logprobs"`
}

type ResponseMessage struct {
	Role             string          `json:"role"`
	Content          *string         `json:"content"`
	ReasoningContent string          `json:"reasoning_content,omitempty"`
	ThinkingBlocks   []ThinkingBlock `json:"thinking_blocks,omitempty"`
	ToolCalls        []ToolCall      `json:"tool_calls,omitempty"`
}

type Usage struct {
	PromptTokens            int                      `json:"prompt_tokens"`
	CompletionTokens        int                      `json:"completion_tokens"`
	TotalTokens             int                      `json:"total_tokens"`
	PromptTokensDetails     *PromptTokensDetails     `json:"prompt_tokens_details,omitempty"`
	CompletionTokensDetails *CompletionTokensDetails `json:"completion_tokens_details,omitempty"`
}

type PromptTokensDetails struct {
	CachedTokens int `json:"cached_tokens"`
	// CacheWriteTokens is not in OpenAI's schema; Bedrock reports prompt-cache writes separately and clients that
	// track cost want them.
	CacheWriteTokens int `json:"cache_write_tokens,omitempty"`
}

type CompletionTokensDetails struct {
	ReasoningTokens int `json:"reasoning_tokens"`
}

// ChatCompletionChunk is one streamed event.
type ChatCompletionChunk struct {
	ID      string        `json:"id"`
	Object  string        `json:"object"`
	Created int64         `json:"created"`
	Model   string        `json:"model"`
	Choices []ChunkChoice `json:"choices"`
	Usage   *Usage        `json:"usage,omitempty"`
}

type ChunkChoice struct {
	Index        int     `json:"index"`
	Delta        Delta   `json:"delta"`
	FinishReason *string `json:"finish_reason"`
}

type Delta struct {
	Role             string          `json:"role,omitempty"`
	Content          *string         `json:"content,omitempty"`
	ReasoningContent *string         `json:"reasoning_content,omitempty"`
	ThinkingBlocks   []ThinkingBlock `json:"thinking_blocks,omitempty"`
	ToolCalls        []ToolCall      `json:"tool_calls,omitempty"`
}

// Finish reasons: the only values clients switch on.
const (
	FinishStop          = "stop"
	FinishLength        = "length"
	FinishToolCalls     = "tool_calls"
	FinishContentFilter = "content_filter"
)
