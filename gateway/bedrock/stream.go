package bedrock

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/openwebui-bedrock/gateway/openai"
)

// maxDeltaBytes bounds the text in one chunk. Open WebUI's aiohttp reader fails on SSE lines over 128 KiB, and JSON
// escaping can grow text up to six times, so huge Bedrock deltas are split.
const maxDeltaBytes = 16 << 10

// Emit sends one chunk to the client.
type Emit func(*openai.ChatCompletionChunk) error

// StreamTranslator turns ConverseStream events into OpenAI chunks. It is a pure state machine: feed it events with
// Event, then call End when Bedrock's stream closes. It guarantees the contract clients rely on: constant
// id/created/model, role in the first delta only, dense 0-based tool-call indexes, one finish chunk, an optional usage
// chunk, and no clean ending for a stream that Bedrock did not finish.
type StreamTranslator struct {
	ID           string
	Model        string
	Created      int64
	IncludeUsage bool
	Call         *Call // tool names, structured-output tool and reasoning output; nil means defaults

	roleSent   bool
	toolIndex  map[int32]int  // Bedrock content-block index → OpenAI tool-call index
	structured map[int32]bool // blocks of the structured-output tool, sent as content
	thinkOpen  bool           // a "<think>" was sent and not yet closed
	reasoning  strings.Builder
	blockText  strings.Builder // the current reasoning block, for its signed thinking_blocks entry
	finish     string
	stopped    bool
	usage      *types.TokenUsage
}

func (t *StreamTranslator) call() *Call {
	if t.Call == nil {
		t.Call = &Call{}
	}
	return t.Call
}

func (t *StreamTranslator) chunk(d openai.Delta, finish *string) *openai.ChatCompletionChunk {
	if !t.roleSent {
		d.Role = "assistant"
		t.roleSent = true
	}
	return &openai.ChatCompletionChunk{ID: t.ID, Object: "chat.completion.chunk", Created: t.Created, Model: t.Model,
		Choices: []openai.ChunkChoice{{Index: 0, Delta: d, FinishReason: finish}}}
}

func (t *StreamTranslator) content(s string, emit Emit) error {
	if t.thinkOpen {
		t.thinkOpen = false
		s = "</think>\n\n" + s
	}
	return splitText(s, func(p string) error { return emit(t.chunk(openai.Delta{Content: &p}, nil)) })
}

// Event translates one Bedrock event.
func (t *StreamTranslator) Event(ev types.ConverseStreamOutput, emit Emit) error {
	call := t.call()
	switch e := ev.(type) {
	case *types.ConverseStreamOutputMemberMessageStart:
		if !t.roleSent {
			empty := ""
			return emit(t.chunk(openai.Delta{Content: &empty}, nil))
		}
	case *types.ConverseStreamOutputMemberContentBlockStart:
		tu, ok := e.Value.Start.(*types.ContentBlockStartMemberToolUse)
		if !ok {
			return nil
		}
		block := aws.ToInt32(e.Value.ContentBlockIndex)
		name := aws.ToString(tu.Value.Name)
		if call.structuredTool != "" && name == call.structuredTool {
			if t.structured == nil {
				t.structured = map[int32]bool{}
			}
			t.structured[block] = true
			return nil
		}
		if t.toolIndex == nil {
			t.toolIndex = make(map[int32]int, 2)
		}
		idx := len(t.toolIndex)
		t.toolIndex[block] = idx
		if t.thinkOpen {
			if err := t.content("", emit); err != nil {
				return err
			}
		}
		return emit(t.chunk(openai.Delta{ToolCalls: []openai.ToolCall{{Index: &idx, ID: aws.ToString(tu.Value.ToolUseId),
			Type: "function", Function: openai.FunctionCall{Name: call.ClientToolName(name), Arguments: ""}}}}, nil))
	case *types.ConverseStreamOutputMemberContentBlockDelta:
		block := aws.ToInt32(e.Value.ContentBlockIndex)
		switch d := e.Value.Delta.(type) {
		case *types.ContentBlockDeltaMemberText:
			if call.structuredTool != "" {
				return nil // the answer is the tool's JSON; prose around a forced call is not part of it
			}
			return t.content(d.Value, emit)
		case *types.ContentBlockDeltaMemberToolUse:
			if t.structured[block] {
				return t.content(aws.ToString(d.Value.Input), emit)
			}
			idx, ok := t.toolIndex[block]
			if !ok {
				return nil // a fragment for a block that never started: nothing a client could attach it to
			}
			return splitText(aws.ToString(d.Value.Input), func(s string) error {
				return emit(t.chunk(openai.Delta{ToolCalls: []openai.ToolCall{{Index: &idx, Function: openai.FunctionCall{Arguments: s}}}}, nil))
			})
		case *types.ContentBlockDeltaMemberReasoningContent:
			return t.reasoningDelta(d.Value, emit)
		}
	case *types.ConverseStreamOutputMemberMessageStop:
		finish, ok := FinishReason(e.Value.StopReason)
		if !ok {
			return malformed(e.Value.StopReason)
		}
		if finish == openai.FinishToolCalls && len(t.toolIndex) == 0 && len(t.structured) > 0 {
			finish = openai.FinishStop
		}
		if t.thinkOpen {
			if err := t.content("", emit); err != nil {
				return err
			}
		}
		t.stopped, t.finish = true, finish
		return emit(t.chunk(openai.Delta{}, &t.finish))
	case *types.ConverseStreamOutputMemberMetadata:
		t.usage = e.Value.Usage
	}
	return nil
}

func (t *StreamTranslator) reasoningDelta(d types.ReasoningContentBlockDelta, emit Emit) error {
	mode := t.call().reasoning
	switch r := d.(type) {
	case *types.ReasoningContentBlockDeltaMemberText:
		t.reasoning.WriteString(r.Value)
		t.blockText.WriteString(r.Value)
		switch mode {
		case ReasoningField:
			return splitText(r.Value, func(s string) error { return emit(t.chunk(openai.Delta{ReasoningContent: &s}, nil)) })
		case ReasoningThinkTags:
			s := r.Value
			if !t.thinkOpen {
				t.thinkOpen = true
				s = "<think>" + s
			}
			return splitText(s, func(p string) error { return emit(t.chunk(openai.Delta{Content: &p}, nil)) })
		}
	case *types.ReasoningContentBlockDeltaMemberSignature:
		// The whole signed block in one delta, so clients can send it back in thinking_blocks (Claude needs it
		// when thinking and tools span turns).
		text := t.blockText.String()
		t.blockText.Reset()
		if mode != ReasoningOmit {
			return emit(t.chunk(openai.Delta{ThinkingBlocks: []openai.ThinkingBlock{{Type: "thinking", Thinking: text, Signature: r.Value}}}, nil))
		}
	case *types.ReasoningContentBlockDeltaMemberRedactedContent:
		if mode != ReasoningOmit {
			return emit(t.chunk(openai.Delta{ThinkingBlocks: []openai.ThinkingBlock{{Type: "redacted_thinking", Data: base64.StdEncoding.EncodeToString(r.Value)}}}, nil))
		}
	}
	return nil
}

// End is called when Bedrock's event stream has closed without an error. A stream that never carried messageStop was
// cut (the SDK reports a truncated stream as a clean end), so it is an error, never a finished answer.
func (t *StreamTranslator) End(emit Emit) error {
	if !t.stopped {
		return openai.Errorf(502, "server_error", "upstream_stream_truncated",
			"The response stream from Amazon Bedrock ended before the model finished.")
	}
	if t.IncludeUsage {
		return emit(&openai.ChatCompletionChunk{ID: t.ID, Object: "chat.completion.chunk", Created: t.Created, Model: t.Model,
			Choices: []openai.ChunkChoice{}, Usage: t.Usage()})
	}
	return nil
}

// Usage is the usage to report (zeros if Bedrock sent no metadata).
func (t *StreamTranslator) Usage() *openai.Usage { return ToUsage(t.usage, t.reasoning.Len()) }

// FinishReasonSent is the finish reason sent to the client, empty before messageStop.
func (t *StreamTranslator) FinishReasonSent() string { return t.finish }

// splitText calls f with s cut into pieces of at most maxDeltaBytes, on rune boundaries.
func splitText(s string, f func(string) error) error {
	for len(s) > maxDeltaBytes {
		cut := maxDeltaBytes
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		if err := f(s[:cut]); err != nil {
			return err
		}
		s = s[cut:]
	}
	if s == "" {
		return nil
	}
	return f(s)
}
