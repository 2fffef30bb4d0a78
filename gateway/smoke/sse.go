package smoke

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/openwebui-bedrock/gateway/ssecheck"
)

// MaxLineBytes is the longest SSE line Open WebUI's aiohttp reader accepts; a longer "data:" line breaks its chat.
const MaxLineBytes = ssecheck.MaxLineBytes

// Usage is the token accounting of an answer.
type Usage = ssecheck.Usage

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

// ValidateStream reads a chat-completion SSE stream and checks it against the OpenAI streaming contract (see
// ssecheck.Read), stopping at the first fault. With includeUsage a usage chunk is required, without it forbidden.
// An error event fails the stream: the smoke prompt cannot fail legitimately. It also requires some text, since a
// smoke prompt must be answered.
func ValidateStream(r io.Reader, includeUsage bool) (StreamSummary, error) {
	opt := ssecheck.Options{Usage: ssecheck.UsageForbidden, StopAtFirst: true}
	if includeUsage {
		opt.Usage = ssecheck.UsageRequired
	}
	s := ssecheck.Read(r, opt)
	sum := StreamSummary{ID: s.ID, Model: s.Model, Chunks: s.Chunks, Comments: s.Comments, Content: s.Content,
		Reasoning: s.Reasoning, FinishReason: s.FinishReason, FirstContentAt: s.FirstContentAt}
	if s.Usage != nil {
		sum.Usage = *s.Usage
	}
	switch {
	case s.ReadErr != nil:
		return sum, fmt.Errorf("reading the stream: %v", s.ReadErr)
	case len(s.Violations) > 0:
		return sum, s.Violations[0]
	case s.Error != nil:
		return sum, fmt.Errorf("chunk %d is an error event: %s", s.Error.Chunk, s.Error.Message)
	case s.Content == "":
		return sum, errors.New("no delta carried any content")
	}
	return sum, nil
}
