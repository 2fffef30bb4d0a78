// Package ssecheck reads an OpenAI chat-completions SSE stream and checks it against the streaming contract that
// the OpenAI SDKs and Open WebUI rely on (see the contract notes in the repository). It is the one place that
// contract is encoded: the smoke test and the load generators only decide which outcome they expect.
//
// It imports the standard library only, so the stdlib-only smoke package can use it.
package ssecheck

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// MaxLineBytes is the longest SSE line Open WebUI's aiohttp reader accepts; a longer "data:" line breaks its chat.
const MaxLineBytes = 128 << 10

// UsagePolicy says whether the request set stream_options.include_usage.
type UsagePolicy int

const (
	// UsageAllowed: the reader does not know; a usage chunk may come, and is checked if it does.
	UsageAllowed UsagePolicy = iota
	// UsageRequired: include_usage was true, so a usage chunk must follow the finish chunk.
	UsageRequired
	// UsageForbidden: include_usage was not set, so no chunk may carry usage.
	UsageForbidden
)

// Options tune Read.
type Options struct {
	Usage UsagePolicy
	// OnDelta, if not nil, is called at every delta carrying text (content, reasoning or tool-call arguments),
	// as it is read: load generators time the first token and cancel mid-stream with it.
	OnDelta func()
	// StopAtFirst stops reading at the first violation or error event. A smoke check only reports the first
	// fault; a load generator reads to the end to time the whole stream.
	StopAtFirst bool
}

// Usage is the token accounting of an answer.
type Usage struct {
	Prompt, Completion, Total int
}

// Check rejects counts that clients would show or bill wrongly.
func (u Usage) Check() error {
	if u.Prompt <= 0 || u.Completion <= 0 {
		return fmt.Errorf("usage counts %d prompt and %d completion tokens; both must be positive", u.Prompt, u.Completion)
	}
	if u.Total != u.Prompt+u.Completion {
		return fmt.Errorf("usage.total_tokens %d != prompt %d + completion %d", u.Total, u.Prompt, u.Completion)
	}
	return nil
}

// ValidFinishReason reports whether s is one of the values OpenAI clients switch on.
func ValidFinishReason(s string) bool {
	switch s {
	case "stop", "length", "tool_calls", "content_filter":
		return true
	}
	return false
}

// StreamError is an OpenAI-shaped error event inside a stream: how a gateway reports a failure after the 200.
type StreamError struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Code    *string `json:"code"`
	Chunk   int     `json:"-"` // 1-based number of the chunk that carried it
}

// Summary is what a stream carried and how it broke the contract.
type Summary struct {
	ID             string
	Model          string
	Created        int64
	Chunks         int    // JSON data events, error events included; [DONE] excluded
	Comments       int    // comment lines such as ": ping" keep-alives
	Deltas         int    // chunks whose delta carried text (content, reasoning or tool-call arguments)
	Role           bool   // the first delta carried role "assistant"
	Content        string // concatenated delta.content
	Reasoning      string // concatenated delta.reasoning_content
	FinishReason   string // the last finish_reason seen
	Finishes       int    // chunks carrying a finish_reason
	Usage          *Usage // the usage chunk, if any
	Error          *StreamError
	Done           bool      // "data: [DONE]" was read
	FirstDeltaAt   time.Time // when the first delta with text was read
	FirstContentAt time.Time // when the first non-empty delta.content was read
	// ReadErr is a failed body read (connection cut, timeout, cancellation): the transport's fault, not a
	// contract violation, though a cut stream also lacks [DONE].
	ReadErr error
	// Violations of the contract, in stream order. An error event is not one: whether it is expected is the
	// caller's call (a fault may have been injected); see Error.
	Violations []error
}

// Read reads a chat-completion SSE stream to its end (or, with StopAtFirst, to its first fault) and checks:
//   - every event is "data: <json>" followed by a blank line; comment lines (": ping") are allowed anywhere, no other
//     field is (OpenAI chat streams carry none), and no line exceeds MaxLineBytes;
//   - id, created and model are set and the same in every chunk, and object is "chat.completion.chunk";
//   - the first delta carries role "assistant" and no later delta carries a role (clients concatenate it);
//   - exactly one chunk carries a finish_reason, one of stop/length/tool_calls/content_filter, and nothing with
//     choices follows it; a clean stream must have it;
//   - at most one chunk with "choices":[] and a consistent usage, after the finish chunk, as Options.Usage says;
//   - an error event carries a message and nothing but [DONE] follows it;
//   - the stream ends with "data: [DONE]" and nothing after it.
func Read(r io.Reader, opt Options) Summary {
	c := &checker{opt: opt}
	c.read(r)
	c.s.Content, c.s.Reasoning = c.content.String(), c.reasoning.String()
	return c.s
}

func (c *checker) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	// Read lines well past the limit so an over-long line is reported as such instead of as a scanner error.
	sc.Buffer(make([]byte, 0, 4096), 4*MaxLineBytes)
	var data []byte
	hasData := false // a data line has been read since the last blank line
	pending := false // any field line has been read since the last blank line
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(b) > MaxLineBytes {
			c.violate("line %d is %d bytes; Open WebUI fails on SSE lines over %d bytes", line, len(b), MaxLineBytes)
		}
		switch {
		case len(b) == 0:
			if hasData {
				c.event(data)
			}
			data, hasData, pending = data[:0], false, false
		case b[0] == ':':
			c.s.Comments++
		default:
			field, value, _ := bytes.Cut(b, []byte(":"))
			value = bytes.TrimPrefix(value, []byte(" "))
			pending = true
			if string(field) != "data" {
				// Legal SSE, but no OpenAI chat stream has it, and openai-python treats an "event:" as another
				// kind of message: it is something the gateway should not have written.
				c.violate("line %d is not an SSE data line: %s", line, clip(b))
				break
			}
			if hasData {
				data = append(data, '\n') // SSE joins the data lines of one event with newlines
			}
			data, hasData = append(data, value...), true
		}
		if c.stopped() {
			return
		}
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		c.violate("line %d is longer than %d bytes; Open WebUI fails on SSE lines over %d bytes", line+1, 4*MaxLineBytes, MaxLineBytes)
		return
	} else if err != nil {
		c.s.ReadErr = err
	}
	if pending {
		// An SSE client discards an event that is not closed by a blank line, so it would never see it.
		c.violate("the stream ended inside an event (no blank line after the last data line)")
	}
	c.end()
}

type checker struct {
	opt                Options
	s                  Summary
	choiceChunks       int
	toolCalls          int             // tool calls started so far: the next new one must have this index
	content, reasoning strings.Builder // a long stream would make += quadratic
}

func (c *checker) violate(format string, args ...any) {
	c.s.Violations = append(c.s.Violations, fmt.Errorf(format, args...))
}

func (c *checker) stopped() bool {
	return c.opt.StopAtFirst && (len(c.s.Violations) > 0 || c.s.Error != nil)
}

// The wire shape of a chunk. Pointers and raw fields tell a missing or null field from an empty one.
type wireChunk struct {
	Object  string          `json:"object"`
	ID      string          `json:"id"`
	Model   string          `json:"model"`
	Created int64           `json:"created"`
	Choices []wireChoice    `json:"choices"`
	Usage   json.RawMessage `json:"usage"`
	Error   json.RawMessage `json:"error"`
}

type wireChoice struct {
	Index *int `json:"index"`
	Delta *struct {
		Role             *string `json:"role"`
		Content          string  `json:"content"`
		ReasoningContent string  `json:"reasoning_content"`
		ToolCalls        []struct {
			Index    *int   `json:"index"`
			ID       string `json:"id"`
			Type     string `json:"type"`
			Function struct {
				Name      string `json:"name"`
				Arguments string `json:"arguments"`
			} `json:"function"`
		} `json:"tool_calls"`
	} `json:"delta"`
	FinishReason *string `json:"finish_reason"`
}

func present(raw json.RawMessage) bool { return len(raw) > 0 && string(raw) != "null" }

func (c *checker) event(data []byte) {
	if c.s.Done {
		c.violate("data after [DONE]")
		return
	}
	if string(data) == "[DONE]" {
		c.s.Done = true
		return
	}
	n := c.s.Chunks + 1 // 1-based number of this chunk, for messages
	var w wireChunk
	err := json.Unmarshal(data, &w)
	var typeErr *json.UnmarshalTypeError
	if err != nil && !errors.As(err, &typeErr) {
		c.violate("chunk %d is not JSON: %v", n, err)
		return
	}
	c.s.Chunks = n
	if present(w.Error) {
		var e StreamError
		if err := json.Unmarshal(w.Error, &e); err != nil || e.Message == "" {
			c.violate("chunk %d: error event without a message: %s", n, clip(data))
		}
		if c.s.Error == nil {
			e.Chunk = n
			c.s.Error = &e
		}
		return
	}
	if c.s.Error != nil {
		c.violate("chunk %d after the error event; a failed stream must end there", n)
	}
	if typeErr != nil {
		// A field of the wrong type decodes as absent; say why before the checks below trip on it.
		c.violate("chunk %d: %v", n, typeErr)
		return
	}
	if w.Object != "chat.completion.chunk" {
		c.violate(`chunk %d: object is %q, want "chat.completion.chunk"`, n, w.Object)
		return
	}
	if w.ID == "" || w.Model == "" || w.Created <= 0 {
		c.violate("chunk %d lacks id, model or created", n)
		return
	}
	if c.s.ID == "" {
		c.s.ID, c.s.Model, c.s.Created = w.ID, w.Model, w.Created
	} else if w.ID != c.s.ID || w.Model != c.s.Model || w.Created != c.s.Created {
		c.violate("chunk %d changes id/model/created (%s %s %d → %s %s %d); they must be constant",
			n, c.s.ID, c.s.Model, c.s.Created, w.ID, w.Model, w.Created)
		return
	}
	if w.Choices == nil {
		c.violate("chunk %d has no choices array", n)
		return
	}
	if len(w.Choices) == 0 {
		c.usageChunk(n, w.Usage)
		return
	}
	if present(w.Usage) {
		c.violate(`chunk %d carries usage next to choices; usage belongs only in a final chunk with "choices":[]`, n)
		return
	}
	if c.s.Usage != nil {
		c.violate("chunk %d has choices after the usage chunk", n)
		return
	}
	c.choiceChunks++
	ch := w.Choices[0]
	if ch.Index == nil || *ch.Index != 0 {
		idx := "missing"
		if ch.Index != nil {
			idx = fmt.Sprint(*ch.Index)
		}
		c.violate("chunk %d: choices[0].index is %s, want 0", n, idx)
		return
	}
	d := ch.Delta
	if d == nil {
		c.violate("chunk %d has no delta", n)
		return
	}
	switch {
	case c.choiceChunks == 1 && (d.Role == nil || *d.Role != "assistant"):
		role := ""
		if d.Role != nil {
			role = *d.Role
		}
		c.violate(`chunk %d: the first delta must carry role "assistant", got %q`, n, role)
		return
	case c.choiceChunks == 1:
		c.s.Role = true
	case d.Role != nil:
		c.violate("chunk %d repeats the role %q; clients concatenate it (assistantassistant)", n, *d.Role)
		return
	}
	text := d.Content != "" || d.ReasoningContent != ""
	for _, tc := range d.ToolCalls {
		text = text || tc.Function.Arguments != ""
		// Indexes are dense 0-based ordinals of the calls (openai-node throws outside 0..127, Open WebUI drops a
		// call with a bad index); a call's first fragment carries its id, type and name.
		switch {
		case tc.Index == nil:
			c.violate("chunk %d: a tool-call fragment without an index", n)
		case *tc.Index == c.toolCalls:
			if tc.ID == "" || tc.Type != "function" || tc.Function.Name == "" {
				c.violate("chunk %d: the first fragment of tool call %d lacks its id, type or name", n, *tc.Index)
			}
			c.toolCalls++
		case *tc.Index < 0 || *tc.Index > c.toolCalls:
			c.violate("chunk %d: tool-call index %d is not dense (next new call is %d)", n, *tc.Index, c.toolCalls)
		}
	}
	// Whatever follows the finish chunk is a violation, but it is still counted below, so delta counts and the
	// OnDelta hook keep matching what the server sent.
	if c.s.Finishes > 0 {
		what := "an empty delta"
		switch {
		case ch.FinishReason != nil:
			what = fmt.Sprintf("%d finish_reason chunks", c.s.Finishes+1)
		case text:
			what = "deltas after finish_reason"
		}
		c.violate("chunk %d has choices after the finish chunk (%s)", n, what)
	}
	now := time.Now()
	if text {
		c.s.Deltas++
		if c.s.FirstDeltaAt.IsZero() {
			c.s.FirstDeltaAt = now
		}
		if c.opt.OnDelta != nil {
			c.opt.OnDelta()
		}
	}
	if d.Content != "" && c.content.Len() == 0 {
		c.s.FirstContentAt = now
	}
	c.content.WriteString(d.Content)
	c.reasoning.WriteString(d.ReasoningContent)
	if fr := ch.FinishReason; fr != nil {
		if !ValidFinishReason(*fr) {
			c.violate("chunk %d: finish_reason %q is not one of stop, length, tool_calls, content_filter", n, *fr)
		}
		c.s.FinishReason = *fr
		c.s.Finishes++
	}
}

func (c *checker) usageChunk(n int, raw json.RawMessage) {
	switch {
	case !present(raw):
		c.violate("chunk %d has neither choices nor usage", n)
		return
	case c.opt.Usage == UsageForbidden:
		c.violate("chunk %d carries usage although stream_options.include_usage was not set", n)
		return
	case c.s.Usage != nil:
		c.violate("chunk %d is a second usage chunk", n)
		return
	case c.s.Finishes == 0:
		c.violate("chunk %d: the usage chunk comes before the finish chunk", n)
		return
	}
	var w struct {
		Prompt     *int `json:"prompt_tokens"`
		Completion *int `json:"completion_tokens"`
		Total      *int `json:"total_tokens"`
	}
	if err := json.Unmarshal(raw, &w); err != nil || w.Prompt == nil || w.Completion == nil || w.Total == nil {
		c.violate("chunk %d: usage lacks prompt_tokens, completion_tokens or total_tokens", n)
		return
	}
	u := Usage{Prompt: *w.Prompt, Completion: *w.Completion, Total: *w.Total}
	c.s.Usage = &u
	if err := u.Check(); err != nil {
		c.violate("chunk %d: %v", n, err)
	}
}

// end checks how the stream ended. A failed stream (error event) needs no finish_reason or usage, only [DONE].
func (c *checker) end() {
	if c.s.Chunks == 0 && !c.s.Done {
		c.violate("the stream is empty")
		return
	}
	if !c.s.Done {
		c.violate("no [DONE]: the stream ended without data: [DONE] (lost or cut; a cut stream must not look complete, and this one does not)")
	}
	if c.s.Error != nil {
		return
	}
	if c.s.Finishes == 0 {
		c.violate("no finish_reason: no chunk carries one (openai-node throws 'missing finish_reason')")
	}
	if c.opt.Usage == UsageRequired && c.s.Usage == nil {
		c.violate("no usage chunk although stream_options.include_usage was true")
	}
}

func clip(b []byte) string {
	if len(b) > 120 {
		return string(b[:120]) + "…"
	}
	return string(b)
}
