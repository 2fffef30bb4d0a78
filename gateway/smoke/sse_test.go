package smoke

import (
	"strings"
	"testing"
)

// Golden chunks, shaped like the recorded OpenAI streams in the contract. Each stream below is built from them so
// a bad stream differs from the good one in exactly the defect its name says.
const (
	first   = `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1764888958,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`
	text1   = `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1764888958,"model":"m","choices":[{"index":0,"delta":{"content":"po"},"finish_reason":null}],"usage":null}`
	text2   = `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1764888958,"model":"m","choices":[{"index":0,"delta":{"content":"ng"},"finish_reason":null}]}`
	finish  = `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1764888958,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`
	usage   = `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1764888958,"model":"m","choices":[],"usage":{"prompt_tokens":8,"completion_tokens":2,"total_tokens":10}}`
	done    = `data: [DONE]`
	ping    = `: ping`
	reason1 = `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1764888958,"model":"m","choices":[{"index":0,"delta":{"reasoning_content":"thinking"},"finish_reason":null}]}`
)

// sse joins events the way a server writes them: each followed by a blank line.
func sse(events ...string) string {
	return strings.Join(events, "\n\n") + "\n\n"
}

func TestValidateStream(t *testing.T) {
	good := []string{first, text1, text2, finish, usage, done}
	replace := func(i int, s string) []string {
		out := append([]string(nil), good...)
		out[i] = s
		return out
	}
	tests := []struct {
		name         string
		stream       string
		includeUsage bool
		wantErr      string // empty: must pass
	}{
		{name: "good", stream: sse(good...), includeUsage: true},
		{name: "good with keep-alive comments", stream: sse(first, ping, text1, ping, text2, finish, usage, done), includeUsage: true},
		{name: "good with CRLF line ends", stream: strings.ReplaceAll(sse(good...), "\n", "\r\n"), includeUsage: true},
		{name: "good without usage when not asked", stream: sse(first, text1, text2, finish, done)},
		{name: "good with reasoning first", stream: sse(first, reason1, text1, text2, finish, usage, done), includeUsage: true},
		{name: "good with data: and no space", stream: sse(strings.Replace(first, "data: ", "data:", 1), text1, text2, finish, usage, done), includeUsage: true},
		{name: "good with content and finish in one chunk", stream: sse(first, strings.Replace(text1, `"finish_reason":null`, `"finish_reason":"length"`, 1), usage, done), includeUsage: true},

		{name: "role repeated", stream: sse(replace(2, strings.Replace(text2, `"delta":{`, `"delta":{"role":"assistant",`, 1))...), includeUsage: true, wantErr: "repeats the role"},
		{name: "no role in first delta", stream: sse(replace(0, strings.Replace(first, `"role":"assistant",`, "", 1))...), includeUsage: true, wantErr: "first delta must carry role"},
		{name: "id changes", stream: sse(replace(2, strings.Replace(text2, "chatcmpl-1", "chatcmpl-2", 1))...), includeUsage: true, wantErr: "must be constant"},
		{name: "model changes", stream: sse(replace(3, strings.Replace(finish, `"model":"m"`, `"model":"n"`, 1))...), includeUsage: true, wantErr: "must be constant"},
		{name: "created changes", stream: sse(replace(1, strings.Replace(text1, "1764888958", "1764888959", 1))...), includeUsage: true, wantErr: "must be constant"},
		{name: "wrong object", stream: sse(replace(1, strings.Replace(text1, "chat.completion.chunk", "chat.completion", 1))...), includeUsage: true, wantErr: "object is"},
		{name: "no finish chunk", stream: sse(first, text1, text2, done), wantErr: "finish_reason"},
		{name: "Bedrock stop reason leaked", stream: sse(replace(3, strings.Replace(finish, `"stop"`, `"end_turn"`, 1))...), includeUsage: true, wantErr: "not one of"},
		{name: "two finish chunks", stream: sse(first, text1, text2, finish, finish, usage, done), includeUsage: true, wantErr: "after the finish chunk"},
		{name: "content after finish", stream: sse(first, text1, finish, text2, usage, done), includeUsage: true, wantErr: "after the finish chunk"},
		{name: "usage before finish", stream: sse(first, text1, text2, usage, finish, done), includeUsage: true, wantErr: "before the finish chunk"},
		{name: "usage missing", stream: sse(first, text1, text2, finish, done), includeUsage: true, wantErr: "no usage chunk"},
		{name: "usage not asked for", stream: sse(good...), wantErr: "include_usage was not set"},
		{name: "usage twice", stream: sse(first, text1, text2, finish, usage, usage, done), includeUsage: true, wantErr: "second usage chunk"},
		{name: "usage on every chunk", stream: sse(replace(2, strings.Replace(text2, `}]}`, `}],"usage":{"prompt_tokens":8,"completion_tokens":1,"total_tokens":9}}`, 1))...), includeUsage: true, wantErr: "usage next to choices"},
		{name: "usage total wrong", stream: sse(replace(4, strings.Replace(usage, `"total_tokens":10`, `"total_tokens":11`, 1))...), includeUsage: true, wantErr: "total_tokens"},
		{name: "no DONE (cut stream)", stream: sse(first, text1, text2, finish, usage), includeUsage: true, wantErr: "without data: [DONE]"},
		{name: "data after DONE", stream: sse(first, text1, text2, finish, usage, done, text1), includeUsage: true, wantErr: "after [DONE]"},
		{name: "error event mid-stream", stream: sse(first, text1, `data: {"error":{"message":"model stream error","type":"api_error"}}`, done), includeUsage: true, wantErr: "model stream error"},
		{name: "not JSON", stream: sse(first, "data: {oops", done), includeUsage: true, wantErr: "not JSON"},
		{name: "no content", stream: sse(first, finish, usage, done), includeUsage: true, wantErr: "no delta carried any content"},
		{name: "empty stream", stream: "", wantErr: "empty"},
		{name: "last event not terminated", stream: sse(good[:5]...) + done + "\n", includeUsage: true, wantErr: "ended inside an event"},
		{name: "line over 128 KiB", stream: sse(first, strings.Replace(text1, `"po"`, `"`+strings.Repeat("x", MaxLineBytes)+`"`, 1), text2, finish, usage, done), includeUsage: true, wantErr: "Open WebUI fails on SSE lines"},
		{name: "nonzero choice index", stream: sse(replace(1, strings.Replace(text1, `"index":0`, `"index":1`, 1))...), includeUsage: true, wantErr: "index"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sum, err := ValidateStream(strings.NewReader(tt.stream), tt.includeUsage)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("want pass, got %v", err)
				}
				if sum.ID != "chatcmpl-1" || sum.Model != "m" || sum.Content == "" || sum.FinishReason == "" {
					t.Fatalf("summary incomplete: %+v", sum)
				}
				if tt.includeUsage && sum.Usage.Total == 0 {
					t.Fatalf("usage not recorded: %+v", sum)
				}
				return
			}
			if err == nil {
				t.Fatalf("want error containing %q, got pass (%+v)", tt.wantErr, sum)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("want error containing %q, got %v", tt.wantErr, err)
			}
		})
	}
}

func TestValidateStreamSummary(t *testing.T) {
	sum, err := ValidateStream(strings.NewReader(sse(first, ping, reason1, text1, ping, text2, finish, usage, done)), true)
	if err != nil {
		t.Fatal(err)
	}
	want := StreamSummary{ID: "chatcmpl-1", Model: "m", Chunks: 6, Comments: 2, Content: "pong", Reasoning: "thinking",
		FinishReason: "stop", Usage: Usage{Prompt: 8, Completion: 2, Total: 10}}
	sum.FirstContentAt = want.FirstContentAt
	if sum != want {
		t.Fatalf("summary\n got %+v\nwant %+v", sum, want)
	}
}

func TestAPIBase(t *testing.T) {
	tests := []struct{ in, want, wantErr string }{
		{in: "http://localhost:8080/api/v1", want: "http://localhost:8080/api/v1"},
		{in: "http://localhost:8080/api/v1/", want: "http://localhost:8080/api/v1"},
		{in: "http://localhost:8080", want: "http://localhost:8080/api/v1"},
		{in: "http://localhost:8080/", want: "http://localhost:8080/api/v1"},
		{in: "https://gw.example.com/custom/prefix?x=1", want: "https://gw.example.com/custom/prefix"},
		{in: "", wantErr: "no URL"},
		{in: "localhost:8080", wantErr: "scheme"},
		{in: "http:///api/v1", wantErr: "no host"},
	}
	for _, tt := range tests {
		u, err := apiBase(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("apiBase(%q): want error %q, got %v", tt.in, tt.wantErr, err)
			}
			continue
		}
		if err != nil || u.String() != tt.want {
			t.Errorf("apiBase(%q) = %v, %v; want %s", tt.in, u, err, tt.want)
		}
	}
}
