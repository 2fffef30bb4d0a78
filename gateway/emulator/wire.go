package emulator

import "encoding/json"

// Converse request and response bodies, with the keys the SDK serializes.
// Content blocks are unions: exactly one field is set. Shapes the emulator
// does not interpret stay json.RawMessage so they still count as "a block".

type converseRequest struct {
	Messages                     []message        `json:"messages"`
	System                       []systemBlock    `json:"system"`
	InferenceConfig              *inferenceConfig `json:"inferenceConfig"`
	ToolConfig                   *toolConfig      `json:"toolConfig"`
	GuardrailConfig              *guardrailConfig `json:"guardrailConfig"`
	AdditionalModelRequestFields json.RawMessage  `json:"additionalModelRequestFields"`
	OutputConfig                 *outputConfig    `json:"outputConfig"`
}

type message struct {
	Role    string         `json:"role"`
	Content []contentBlock `json:"content"`
}

type contentBlock struct {
	Text             *string          `json:"text,omitempty"`
	Image            *imageBlock      `json:"image,omitempty"`
	Document         *documentBlock   `json:"document,omitempty"`
	ToolUse          *toolUseBlock    `json:"toolUse,omitempty"`
	ToolResult       *toolResultBlock `json:"toolResult,omitempty"`
	CachePoint       *cachePoint      `json:"cachePoint,omitempty"`
	ReasoningContent *reasoningBlock  `json:"reasoningContent,omitempty"`
	GuardContent     json.RawMessage  `json:"guardContent,omitempty"`
	Video            json.RawMessage  `json:"video,omitempty"`
	Audio            json.RawMessage  `json:"audio,omitempty"`
	CitationsContent json.RawMessage  `json:"citationsContent,omitempty"`
	SearchResult     json.RawMessage  `json:"searchResult,omitempty"`
}

type systemBlock struct {
	Text         *string         `json:"text,omitempty"`
	CachePoint   *cachePoint     `json:"cachePoint,omitempty"`
	GuardContent json.RawMessage `json:"guardContent,omitempty"`
}

type imageBlock struct {
	Format string `json:"format"`
	Source struct {
		Bytes      *string         `json:"bytes"`
		S3Location json.RawMessage `json:"s3Location"`
	} `json:"source"`
}

type documentBlock struct {
	Format string `json:"format"`
	Name   string `json:"name"`
	Source struct {
		Bytes *string         `json:"bytes"`
		Text  *string         `json:"text"`
		Other json.RawMessage `json:"s3Location"`
	} `json:"source"`
}

type toolUseBlock struct {
	ToolUseID string          `json:"toolUseId"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
}

type toolResultBlock struct {
	ToolUseID string              `json:"toolUseId"`
	Content   []toolResultContent `json:"content"`
	Status    string              `json:"status,omitempty"`
}

type toolResultContent struct {
	Text     *string         `json:"text,omitempty"`
	JSON     json.RawMessage `json:"json,omitempty"`
	Image    *imageBlock     `json:"image,omitempty"`
	Document *documentBlock  `json:"document,omitempty"`
}

type cachePoint struct {
	Type string `json:"type"`
	TTL  string `json:"ttl,omitempty"`
}

type reasoningBlock struct {
	ReasoningText *struct {
		Text      string  `json:"text"`
		Signature *string `json:"signature,omitempty"`
	} `json:"reasoningText,omitempty"`
	RedactedContent *string `json:"redactedContent,omitempty"`
}

type inferenceConfig struct {
	MaxTokens     *int     `json:"maxTokens"`
	Temperature   *float64 `json:"temperature"`
	TopP          *float64 `json:"topP"`
	StopSequences []string `json:"stopSequences"`
}

type toolConfig struct {
	Tools      []tool      `json:"tools"`
	ToolChoice *toolChoice `json:"toolChoice"`
}

type tool struct {
	ToolSpec *struct {
		Name        string  `json:"name"`
		Description *string `json:"description"`
		InputSchema *struct {
			JSON json.RawMessage `json:"json"`
		} `json:"inputSchema"`
	} `json:"toolSpec"`
	CachePoint *cachePoint     `json:"cachePoint"`
	SystemTool json.RawMessage `json:"systemTool"`
}

type toolChoice struct {
	Auto *struct{} `json:"auto"`
	Any  *struct{} `json:"any"`
	Tool *struct {
		Name string `json:"name"`
	} `json:"tool"`
}

type guardrailConfig struct {
	GuardrailIdentifier string `json:"guardrailIdentifier"`
	GuardrailVersion    string `json:"guardrailVersion"`
	Trace               string `json:"trace"`
}

type outputConfig struct {
	TextFormat *struct {
		Type      string `json:"type"`
		Structure *struct {
			JSONSchema *struct {
				Schema      string `json:"schema"`
				Name        string `json:"name"`
				Description string `json:"description"`
			} `json:"jsonSchema"`
		} `json:"structure"`
	} `json:"textFormat"`
}

// thinkingConfig is Anthropic's extended-thinking switch, passed through
// additionalModelRequestFields.
type thinkingConfig struct {
	Type         string `json:"type"`
	BudgetTokens *int   `json:"budget_tokens"`
}
