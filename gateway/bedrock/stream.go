package bedrock

import (
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

	roleSent  bool
	toolIndex map[int32]int // Bedrock content-block index → OpenAI tool-call index
	finish    string
	stopped   bool
	usage     *openai.Usage
}

func (t *StreamTranslator) chunk(d openai.Delta, finish *string) *openai.ChatCompletionChunk {
	if !t.roleSent {
		d.Role = "assistant"
		t.roleSent = true
	}
	return &openai.ChatCompletionChunk{ID: t.ID, Object: "chat.completion.chunk", Created: t.Created, Model: t.Model,
		Choices: []openai.ChunkChoice{{Index: 0, Delta: d, FinishReason: finish}}}
}

// Event translates one Bedrock event.
func (t *StreamTranslator) Event(ev types.ConverseStreamOutput, emit Emit) error {
	switch e := ev.(type) {
	case *types.ConverseStreamOutputMemberMessageStart:
		if !t.roleSent {
			empty := ""
			return emit(t.chunk(openai.Delta{Content: &empty}, nil))
		}
	case *types.ConverseStreamOutputMemberContentBlockStart:
		if tu, ok := e.Value.Start.(*types.ContentBlockStartMemberToolUse); ok {
			if t.toolIndex == nil {
				t.toolIndex = make(map[int32]int, 2)
			}
			idx := len(t.toolIndex)
			t.toolIndex[aws.ToInt32(e.Value.ContentBlockIndex)] = idx
			return emit(t.chunk(openai.Delta{ToolCalls: []openai.ToolCall{{Index: &idx, ID: aws.ToString(tu.Value.ToolUseId),
				Type: "function", Function: openai.FunctionCall{Name: aws.ToString(tu.Value.Name), Arguments: ""}}}}, nil))
		}
	case *types.ConverseStreamOutputMemberContentBlockDelta:
		switch d := e.Value.Delta.(type) {
		case *types.ContentBlockDeltaMemberText:
			return splitText(d.Value, func(s string) error { return emit(t.chunk(openai.Delta{Content: &s}, nil)) })
		case *types.ContentBlockDeltaMemberToolUse:
			idx, ok := t.toolIndex[aws.ToInt32(e.Value.ContentBlockIndex)]
			if !ok {
				return nil // a fragment for a block that never started: nothing a client could attach it to
			}
			return splitText(aws.ToString(d.Value.Input), func(s string) error {
				return emit(t.chunk(openai.Delta{ToolCalls: []openai.ToolCall{{Index: &idx, Function: openai.FunctionCall{Arguments: s}}}}, nil))
			})
		case *types.ContentBlockDeltaMemberReasoningContent:
			if rt, ok := d.Value.(*types.ReasoningContentBlockDeltaMemberText); ok {
				return splitText(rt.Value, func(s string) error { return emit(t.chunk(openai.Delta{ReasoningContent: &s}, nil)) })
			}
		}
	case *types.ConverseStreamOutputMemberMessageStop:
		finish, ok := FinishReason(e.Value.StopReason)
		if !ok {
			return malformed(e.Value.StopReason)
		}
		t.stopped, t.finish = true, finish
		return emit(t.chunk(openai.Delta{}, &t.finish))
	case *types.ConverseStreamOutputMemberMetadata:
		t.usage = ToUsage(e.Value.Usage)
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
		u := t.usage
		if u == nil {
			u = ToUsage(nil)
		}
		return emit(&openai.ChatCompletionChunk{ID: t.ID, Object: "chat.completion.chunk", Created: t.Created, Model: t.Model,
			Choices: []openai.ChunkChoice{}, Usage: u})
	}
	return nil
}

// Usage is what Bedrock reported, or nil if no metadata event arrived.
func (t *StreamTranslator) Usage() *openai.Usage { return t.usage }

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
