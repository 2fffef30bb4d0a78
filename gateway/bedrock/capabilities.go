package bedrock

import "path"

// ReasoningKind says how a model family reasons and how that is requested.
type ReasoningKind int

const (
	ReasoningNone ReasoningKind = iota
	// ReasoningThinking: Anthropic extended thinking, additionalModelRequestFields.thinking with a token budget;
	// signed blocks; temperature must be 1 and top_p ≥ 0.95 while it is on.
	ReasoningThinking
	// ReasoningAlways: the model always reasons and takes no setting (DeepSeek R1); blocks are unsigned.
	ReasoningAlways
)

// Caps are what a model family accepts. They decide translation before any Bedrock call, so clients get a clear
// 400 (or a working fallback) instead of Bedrock's validation error.
type Caps struct {
	Tools             bool // accepts toolConfig
	ToolsInStream     bool // accepts toolConfig in ConverseStream (Llama does not: such streams are served from Converse)
	System            bool // accepts a system prompt
	Caching           bool // accepts cachePoint blocks
	StructuredOutput  bool // accepts outputConfig.textFormat (JSON schema)
	TempTopPExclusive bool // rejects temperature together with top_p (Claude 4.5 and later)
	Reasoning         ReasoningKind
	MaxOutputTokens   int // the model's output limit (0: unknown); max_tokens above it is clamped, thinking fits under it
}

// capsTable is the one place model quirks live, matched against the foundation model id with path.Match globs;
// the first match wins. A model the table does not know gets the permissive last row, so a new release works
// (and Bedrock itself says what it rejects) instead of being refused by a stale list.
var capsTable = []struct {
	pattern string
	caps    Caps
}{
	{"anthropic.claude-sonnet-4-5*", Caps{Tools: true, ToolsInStream: true, System: true, Caching: true, StructuredOutput: true, TempTopPExclusive: true, Reasoning: ReasoningThinking, MaxOutputTokens: 64000}},
	{"anthropic.claude-haiku-4-5*", Caps{Tools: true, ToolsInStream: true, System: true, Caching: true, StructuredOutput: true, TempTopPExclusive: true, Reasoning: ReasoningThinking, MaxOutputTokens: 64000}},
	{"anthropic.claude-opus-4-5*", Caps{Tools: true, ToolsInStream: true, System: true, Caching: true, StructuredOutput: true, TempTopPExclusive: true, Reasoning: ReasoningThinking, MaxOutputTokens: 64000}},
	{"anthropic.claude-opus-4-1*", Caps{Tools: true, ToolsInStream: true, System: true, Caching: true, TempTopPExclusive: true, Reasoning: ReasoningThinking, MaxOutputTokens: 32000}},
	{"anthropic.claude-opus-4*", Caps{Tools: true, ToolsInStream: true, System: true, Caching: true, Reasoning: ReasoningThinking, MaxOutputTokens: 32000}},
	{"anthropic.claude-sonnet-4*", Caps{Tools: true, ToolsInStream: true, System: true, Caching: true, Reasoning: ReasoningThinking, MaxOutputTokens: 64000}},
	{"anthropic.claude-3-7-sonnet*", Caps{Tools: true, ToolsInStream: true, System: true, Caching: true, Reasoning: ReasoningThinking, MaxOutputTokens: 64000}},
	{"anthropic.claude-3-5-haiku*", Caps{Tools: true, ToolsInStream: true, System: true, Caching: true, MaxOutputTokens: 8192}},
	{"anthropic.claude-3-5-sonnet*", Caps{Tools: true, ToolsInStream: true, System: true, MaxOutputTokens: 8192}},
	{"anthropic.claude-3-haiku*", Caps{Tools: true, ToolsInStream: true, System: true, MaxOutputTokens: 4096}},
	{"anthropic.*", Caps{Tools: true, ToolsInStream: true, System: true, MaxOutputTokens: 4096}},
	{"amazon.nova-*", Caps{Tools: true, ToolsInStream: true, System: true, Caching: true, MaxOutputTokens: 10000}},
	{"amazon.titan-text*", Caps{System: false, MaxOutputTokens: 8192}},
	{"meta.llama3-1*", Caps{Tools: true, System: true, MaxOutputTokens: 2048}},
	{"meta.llama3-2*", Caps{Tools: true, System: true, MaxOutputTokens: 2048}},
	{"meta.llama3-3*", Caps{Tools: true, System: true, MaxOutputTokens: 2048}},
	{"meta.llama4*", Caps{Tools: true, System: true, MaxOutputTokens: 8192}},
	{"meta.*", Caps{System: true, MaxOutputTokens: 2048}},
	{"mistral.mistral-large*", Caps{Tools: true, ToolsInStream: true, System: true, MaxOutputTokens: 8192}},
	{"mistral.mistral-7b*", Caps{MaxOutputTokens: 8192}},
	{"mistral.mixtral*", Caps{MaxOutputTokens: 4096}},
	{"deepseek.r1*", Caps{System: true, Reasoning: ReasoningAlways, MaxOutputTokens: 32768}},
	{"cohere.command-r*", Caps{Tools: true, ToolsInStream: true, System: true, MaxOutputTokens: 4096}},
	{"*", Caps{Tools: true, ToolsInStream: true, System: true}}, // limit unknown: not clamped
}

// CapsFor looks a foundation model id up in the table.
func CapsFor(baseModelID string) Caps {
	for _, row := range capsTable {
		if ok, _ := path.Match(row.pattern, baseModelID); ok {
			return row.caps
		}
	}
	return Caps{}
}
