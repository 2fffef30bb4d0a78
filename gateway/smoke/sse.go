package smoke

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// MaxLineBytes is the longest SSE line Open WebUI's aiohttp reader accepts; a longer "data:" line breaks its chat.
const MaxLineBytes = 128 << 10

// Usage is the token accounting of an answer.
type Usage struct {
	Prompt, Completion, Total int
}

// StreamSummary describes a stream that passed ValidateStream.
type StreamSummary struct {
	ID             string
	Model          string
	Chunks         int    // JSON chunks, excluding [DONE]
	Comments       int    // comment lines such as ": ping" keep-alives
	Content        string // concatenated delta.content
	Reasoning      string // concatenated delta.reasoning_content
	FinishReason   string
	Usage          Usage
	FirstContentAt time.Time // when the first non-empty delta.content was read
}

// ValidateStream reads a chat-completion SSE stream to its end and checks it against the OpenAI streaming contract
// that the SDKs and Open WebUI rely on:
//   - every event is "data: <json>" followed by a blank line; comment lines (": ping") are allowed anywhere;
//   - id, created and model are the same in every chunk, and object is "chat.completion.chunk";
//   - the first delta carries role "assistant" and no later delta carries a role (clients concatenate it);
//   - exactly one chunk carries a finish_reason, one of stop/length/tool_calls/content_filter, and nothing with
//     choices follows it;
//   - with includeUsage, one chunk with "choices":[] and a consistent usage follows the finish chunk; without it,
//     no usage at all;
//   - a chunk with a top-level "error" fails the stream (that is how a gateway reports a failure after the 200);
//   - the stream ends with "data: [DONE]" and nothing after it, and no line exceeds MaxLineBytes.
//
// It also requires some text, since a smoke prompt must be answered.
func ValidateStream(r io.Reader, includeUsage bool) (StreamSummary, error) {
	v := &streamValidator{includeUsage: includeUsage}
	sc := bufio.NewScanner(r)
	// Read lines well past the limit so an over-long line is reported as such instead of as a scanner error.
	sc.Buffer(make([]byte, 0, 64<<10), 4*MaxLineBytes)
	var data [][]byte
	pending := false // a field line has been read since the last blank line
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(b) > MaxLineBytes {
			return v.sum, fmt.Errorf("line %d is %d bytes; Open WebUI fails on SSE lines over %d bytes", line, len(b), MaxLineBytes)
		}
		switch {
		case len(b) == 0:
			if pending {
				if err := v.event(bytes.Join(data, []byte("\n"))); err != nil {
					return v.sum, err
				}
			}
			data, pending = nil, false
		case b[0] == ':':
			v.sum.Comments++
		default:
			field, value, _ := bytes.Cut(b, []byte(":"))
			value = bytes.TrimPrefix(value, []byte(" "))
			pending = true
			if string(field) == "data" {
				data = append(data, append([]byte(nil), value...))
			}
			// event:, id: and retry: are legal SSE but unused by OpenAI streams; clients ignore them, so do we.
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return v.sum, fmt.Errorf("line %d is longer than %d bytes; Open WebUI fails on SSE lines over %d bytes", line+1, 4*MaxLineBytes, MaxLineBytes)
		}
		return v.sum, fmt.Errorf("reading the stream: %v", err)
	}
	if pending {
		// An SSE client discards an event that is not closed by a blank line, so it would never see it.
		return v.sum, errors.New("the stream ended inside an event (no blank line after the last data line)")
	}
	return v.sum, v.finish()
}

type streamValidator struct {
	includeUsage bool
	sum          StreamSummary
	created      float64
	choiceChunks int
	usageSeen    bool
	done         bool
}

func (v *streamValidator) event(data []byte) error {
	n := v.sum.Chunks + 1 // 1-based number of this chunk, for messages
	if v.done {
		return errors.New("data after [DONE]")
	}
	if string(data) == "[DONE]" {
		v.done = true
		return nil
	}
	var c map[string]any
	if err := json.Unmarshal(data, &c); err != nil {
		return fmt.Errorf("chunk %d is not JSON: %v", n, err)
	}
	v.sum.Chunks = n
	if e, ok := c["error"]; ok && e != nil {
		msg := fmt.Sprint(e)
		if em, ok := e.(map[string]any); ok {
			if s, ok := em["message"].(string); ok {
				msg = s
			}
		}
		return fmt.Errorf("chunk %d is an error event: %s", n, msg)
	}
	if obj, _ := c["object"].(string); obj != "chat.completion.chunk" {
		return fmt.Errorf(`chunk %d: object is %q, want "chat.completion.chunk"`, n, obj)
	}
	id, _ := c["id"].(string)
	model, _ := c["model"].(string)
	created, _ := c["created"].(float64)
	if id == "" || model == "" || created <= 0 {
		return fmt.Errorf("chunk %d lacks id, model or created", n)
	}
	if n == 1 {
		v.sum.ID, v.sum.Model, v.created = id, model, created
	} else if id != v.sum.ID || model != v.sum.Model || created != v.created {
		return fmt.Errorf("chunk %d changes id/model/created (%s %s %.0f → %s %s %.0f); they must be constant",
			n, v.sum.ID, v.sum.Model, v.created, id, model, created)
	}
	choices, ok := c["choices"].([]any)
	if !ok {
		return fmt.Errorf("chunk %d has no choices array", n)
	}
	usage := c["usage"]
	if len(choices) == 0 {
		return v.usageChunk(n, usage)
	}
	if usage != nil {
		return fmt.Errorf(`chunk %d carries usage next to choices; usage belongs only in a final chunk with "choices":[]`, n)
	}
	if v.usageSeen {
		return fmt.Errorf("chunk %d has choices after the usage chunk", n)
	}
	if v.sum.FinishReason != "" {
		return fmt.Errorf("chunk %d has choices after the finish chunk", n)
	}
	v.choiceChunks++
	ch, _ := choices[0].(map[string]any)
	if ch == nil {
		return fmt.Errorf("chunk %d: choices[0] is not an object", n)
	}
	if idx, ok := ch["index"].(float64); !ok || idx != 0 {
		return fmt.Errorf("chunk %d: choices[0].index is %v, want 0", n, ch["index"])
	}
	delta, _ := ch["delta"].(map[string]any)
	if delta == nil {
		return fmt.Errorf("chunk %d has no delta", n)
	}
	role, hasRole := delta["role"].(string)
	switch {
	case v.choiceChunks == 1 && role != "assistant":
		return fmt.Errorf(`chunk %d: the first delta must carry role "assistant", got %q`, n, role)
	case v.choiceChunks > 1 && hasRole:
		return fmt.Errorf("chunk %d repeats the role %q; clients concatenate it (assistantassistant)", n, role)
	}
	if s, _ := delta["content"].(string); s != "" {
		if v.sum.Content == "" {
			v.sum.FirstContentAt = time.Now()
		}
		v.sum.Content += s
	}
	if s, _ := delta["reasoning_content"].(string); s != "" {
		v.sum.Reasoning += s
	}
	if fr, ok := ch["finish_reason"]; ok && fr != nil {
		s, _ := fr.(string)
		if !validFinishReasons[s] {
			return fmt.Errorf("chunk %d: finish_reason %v is not one of stop, length, tool_calls, content_filter", n, fr)
		}
		v.sum.FinishReason = s
	}
	return nil
}

func (v *streamValidator) usageChunk(n int, usage any) error {
	if usage == nil {
		return fmt.Errorf("chunk %d has neither choices nor usage", n)
	}
	if !v.includeUsage {
		return fmt.Errorf("chunk %d carries usage although stream_options.include_usage was not set", n)
	}
	if v.usageSeen {
		return fmt.Errorf("chunk %d is a second usage chunk", n)
	}
	if v.sum.FinishReason == "" {
		return fmt.Errorf("chunk %d: the usage chunk comes before the finish chunk", n)
	}
	u, err := usageShape(usage)
	if err != nil {
		return fmt.Errorf("chunk %d: %v", n, err)
	}
	v.sum.Usage, v.usageSeen = u, true
	return nil
}

func (v *streamValidator) finish() error {
	switch {
	case v.sum.Chunks == 0 && !v.done:
		return errors.New("the stream is empty")
	case !v.done:
		return errors.New("the stream ended without data: [DONE] (a cut stream must not look complete, and this one does not)")
	case v.sum.FinishReason == "":
		return errors.New("no chunk carries a finish_reason (openai-node throws 'missing finish_reason')")
	case v.includeUsage && !v.usageSeen:
		return errors.New("no usage chunk although stream_options.include_usage was true")
	case v.sum.Content == "":
		return errors.New("no delta carried any content")
	}
	return nil
}
