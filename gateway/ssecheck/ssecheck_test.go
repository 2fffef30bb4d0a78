package ssecheck

import (
	"strconv"
	"strings"
	"testing"
)

// The contract's golden good/bad streams are tested through their users (smoke.ValidateStream and
// loadgen.ReadSSE/Verify); these cases cover what only the shared reader decides.
const (
	role   = `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`
	text   = `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}],"usage":null}`
	reason = `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"reasoning_content":"hm"},"finish_reason":null}]}`
	tool   = `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":null}]}`
	stop   = `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"error":null}`
	usage  = `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}`
	fail   = `data: {"error":{"message":"boom","type":"server_error","code":"model_error"}}`
	done   = `data: [DONE]`
)

func sse(events ...string) string { return strings.Join(events, "\n\n") + "\n\n" }

func read(t *testing.T, body string, opt Options) Summary {
	t.Helper()
	return Read(strings.NewReader(body), opt)
}

func TestDeltasAndHook(t *testing.T) {
	calls := 0
	s := read(t, sse(": ping", role, reason, text, tool, stop, usage, done), Options{OnDelta: func() { calls++ }})
	if len(s.Violations) > 0 || s.ReadErr != nil {
		t.Fatalf("violations %v, read error %v", s.Violations, s.ReadErr)
	}
	if s.Deltas != 3 || calls != 3 || s.Content != "hi" || s.Reasoning != "hm" || !s.Role || s.Usage == nil ||
		s.Finishes != 1 || !s.Done || s.Comments != 1 || s.FirstDeltaAt.IsZero() || s.FirstContentAt.Before(s.FirstDeltaAt) {
		t.Fatalf("summary %+v, %d hook calls", s, calls)
	}
}

func TestFraming(t *testing.T) {
	// One event split over two data lines is one chunk (SSE joins them with a newline, which JSON allows).
	split := strings.Replace(text, `"delta":`, "\ndata: \"delta\":", 1)
	if s := read(t, sse(role, split, stop, done), Options{}); len(s.Violations) > 0 || s.Chunks != 3 {
		t.Fatalf("split event: %+v", s)
	}
	s := read(t, sse(role, "event: message\n"+text, stop, done), Options{})
	if len(s.Violations) != 1 || !strings.Contains(s.Violations[0].Error(), "not an SSE data line") {
		t.Fatalf("event: line: %v", s.Violations)
	}
}

func TestReadsToTheEndUnlessStopAtFirst(t *testing.T) {
	body := sse(role, text, strings.Replace(text, `"model":"m"`, `"model":"n"`, 1), stop, stop, done)
	if s := read(t, body, Options{}); len(s.Violations) != 2 || !s.Done {
		t.Fatalf("want both violations and the end of the stream, got %v (done %v)", s.Violations, s.Done)
	}
	if s := read(t, body, Options{StopAtFirst: true}); len(s.Violations) != 1 || s.Done || s.Chunks != 3 {
		t.Fatalf("want a stop at chunk 3, got %v after %d chunks", s.Violations, s.Chunks)
	}
}

func TestErrorEvent(t *testing.T) {
	// A failed stream needs no finish_reason, only [DONE]; the error itself is not a violation.
	s := read(t, sse(role, text, fail, done), Options{Usage: UsageRequired})
	if len(s.Violations) > 0 || s.Error == nil || s.Error.Message != "boom" || s.Error.Chunk != 3 {
		t.Fatalf("violations %v, error %+v", s.Violations, s.Error)
	}
	if s := read(t, sse(role, fail, text, done), Options{StopAtFirst: true}); s.Error == nil || s.Chunks != 2 {
		t.Fatalf("want a stop at the error event, got %+v", s)
	}
}

func TestUsagePolicy(t *testing.T) {
	for _, tc := range []struct {
		policy  UsagePolicy
		body    string
		wantErr string
	}{
		{UsageAllowed, sse(role, text, stop, usage, done), ""},
		{UsageAllowed, sse(role, text, stop, done), ""},
		{UsageAllowed, sse(role, text, usage, stop, done), "before the finish chunk"},
		{UsageRequired, sse(role, text, stop, done), "no usage chunk"},
		{UsageForbidden, sse(role, text, stop, usage, done), "include_usage was not set"},
	} {
		s := read(t, tc.body, Options{Usage: tc.policy})
		switch {
		case tc.wantErr == "" && len(s.Violations) > 0:
			t.Errorf("policy %d: unexpected %v", tc.policy, s.Violations)
		case tc.wantErr != "" && (len(s.Violations) == 0 || !strings.Contains(s.Violations[0].Error(), tc.wantErr)):
			t.Errorf("policy %d: got %v, want %q", tc.policy, s.Violations, tc.wantErr)
		}
	}
}

func TestWrongFieldType(t *testing.T) {
	s := read(t, sse(role, strings.Replace(text, `"created":1`, `"created":"1"`, 1), stop, done), Options{})
	if len(s.Violations) != 1 || !strings.Contains(s.Violations[0].Error(), "chunk 2: json: cannot unmarshal") {
		t.Fatalf("got %v", s.Violations)
	}
}

func TestToolCallIndexes(t *testing.T) {
	frag := func(idx int, first bool) string {
		head := ""
		if first {
			head = `"id":"call_x","type":"function",`
		}
		name := ""
		if first {
			name = `"name":"f",`
		}
		return `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":` +
			strconv.Itoa(idx) + `,` + head + `"function":{` + name + `"arguments":"{}"}}]},"finish_reason":null}]}`
	}
	good := read(t, sse(role, frag(0, true), frag(0, false), frag(1, true), frag(1, false), stop, done), Options{})
	if len(good.Violations) > 0 {
		t.Fatalf("dense indexes flagged: %v", good.Violations)
	}
	for name, body := range map[string]string{
		"a call starting at index 1":          sse(role, frag(1, true), stop, done),
		"a first fragment without id or name": sse(role, frag(0, false), stop, done),
		"an index of -1 (the reference bug)":  sse(role, frag(-1, true), stop, done),
	} {
		if s := read(t, body, Options{}); len(s.Violations) == 0 {
			t.Errorf("%s: not flagged", name)
		}
	}
}
