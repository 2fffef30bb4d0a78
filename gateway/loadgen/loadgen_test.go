package loadgen

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	d := ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	for _, tc := range []struct {
		p    float64
		want int
	}{{0, 1}, {1, 1}, {10, 1}, {11, 2}, {50, 5}, {90, 9}, {99, 10}, {100, 10}, {150, 10}} {
		if got := Percentile(d, tc.p); got != time.Duration(tc.want)*time.Millisecond {
			t.Errorf("p%v = %v, want %dms", tc.p, got, tc.want)
		}
	}
	if got := Percentile(nil, 50); got != 0 {
		t.Errorf("empty: %v", got)
	}
	if got := Percentile(ms(7), 99); got != 7*time.Millisecond {
		t.Errorf("one sample: %v", got)
	}
	s := Summarize(ms(5, 1, 4, 2, 3))
	if s.N != 5 || s.P50 != 3*time.Millisecond || s.Max != 5*time.Millisecond || s.Mean != 3*time.Millisecond || s.P99 != 5*time.Millisecond {
		t.Errorf("summary %+v", s)
	}
	if (Summarize(nil) != Summary{}) {
		t.Error("empty summary")
	}
}

const (
	roleChunk  = `data: {"id":"c","object":"chat.completion.chunk","created":1764888958,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`
	textChunk  = `data: {"id":"c","object":"chat.completion.chunk","created":1764888958,"model":"m","choices":[{"index":0,"delta":{"content":"hi "},"finish_reason":null}]}`
	toolChunk  = `data: {"id":"c","object":"chat.completion.chunk","created":1764888958,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\""}}]},"finish_reason":null}]}`
	stopChunk  = `data: {"id":"c","object":"chat.completion.chunk","created":1764888958,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`
	usageChunk = `data: {"id":"c","object":"chat.completion.chunk","created":1764888958,"model":"m","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}`
	errEvent   = `data: {"error":{"message":"The model failed.","type":"server_error","code":"model_error"}}`
	done       = `data: [DONE]`
)

func sse(lines ...string) string { return strings.Join(lines, "\n\n") + "\n\n" }

func TestReadSSEAndVerify(t *testing.T) {
	for _, tc := range []struct {
		name   string
		body   string
		want   Expect
		deltas int
		errHas string // "" means valid
	}{
		{"clean", sse(roleChunk, textChunk, textChunk, stopChunk, usageChunk, done), ExpectFinish, 2, ""},
		{"clean with pings and tools", sse(": ping", roleChunk, toolChunk, stopChunk, done), ExpectFinish, 1, ""},
		{"wrong delta count", sse(roleChunk, textChunk, stopChunk, done), ExpectFinish, 3, "1 deltas, want 3"},
		{"no done (lost)", sse(roleChunk, textChunk, stopChunk), ExpectFinish, 0, "no [DONE]"},
		{"no finish", sse(roleChunk, textChunk, done), ExpectFinish, 0, "no finish_reason"},
		{"cut mid-stream", sse(roleChunk, textChunk), ExpectError, 0, "no error event"},
		{"fault ends with error", sse(roleChunk, textChunk, errEvent, done), ExpectError, 0, ""},
		{"fault but clean finish", sse(roleChunk, textChunk, stopChunk, done), ExpectError, 0, "finished cleanly"},
		{"fault with finish and error", sse(roleChunk, stopChunk, errEvent, done), ExpectError, 0, "finished cleanly"},
		{"unexpected error", sse(roleChunk, errEvent, done), ExpectFinish, 0, "unexpected error event"},
		{"data after done", sse(roleChunk, stopChunk, done, textChunk), ExpectFinish, 0, "data after [DONE]"},
		{"chunk after error", sse(roleChunk, errEvent, textChunk, done), ExpectError, 0, "after the error event"},
		{"delta after finish", sse(roleChunk, stopChunk, textChunk, done), ExpectFinish, 0, "deltas after finish_reason"},
		{"two finishes", sse(roleChunk, stopChunk, stopChunk, done), ExpectFinish, 0, "2 finish_reason"},
		{"not json", sse(roleChunk, "data: {oops", stopChunk, done), ExpectFinish, 0, "not JSON"},
		{"not sse", sse(roleChunk, "hello", stopChunk, done), ExpectFinish, 0, "not an SSE data line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			r := ReadSSE(strings.NewReader(tc.body), time.Now(), func() { calls++ })
			if calls != r.Deltas {
				t.Errorf("onDelta called %d times, %d deltas", calls, r.Deltas)
			}
			err := r.Verify(tc.want, tc.deltas)
			switch {
			case tc.errHas == "" && err != nil:
				t.Errorf("unexpected violation: %v", err)
			case tc.errHas != "" && (err == nil || !strings.Contains(err.Error(), tc.errHas)):
				t.Errorf("got %v, want a violation containing %q", err, tc.errHas)
			}
		})
	}
	r := ReadSSE(strings.NewReader(sse(roleChunk, textChunk, stopChunk, usageChunk, done)), time.Now(), nil)
	if !r.Role || r.Usage == nil || r.FinishReason != "stop" || r.Chunks != 4 || r.FirstDelta <= 0 {
		t.Errorf("fields: %+v", r)
	}
}

type failingReader struct{ s *strings.Reader }

func (f failingReader) Read(p []byte) (int, error) {
	n, err := f.s.Read(p)
	if err != nil {
		return n, errCut
	}
	return n, nil
}

var errCut = &cutErr{}

type cutErr struct{}

func (*cutErr) Error() string { return "connection reset" }

func TestReadSSEReadError(t *testing.T) {
	r := ReadSSE(failingReader{strings.NewReader(sse(roleChunk, textChunk))}, time.Now(), nil)
	if err := r.Verify(ExpectError, 0); err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Errorf("want the read error reported, got %v", err)
	}
}

func TestProcAccounting(t *testing.T) {
	// Our own pid: the figures must parse and be plausible.
	pid := osGetpid()
	if _, err := ProcCPU(pid); err != nil {
		t.Fatal(err)
	}
	if rss, err := ProcRSS(pid); err != nil || rss < 1<<20 {
		t.Fatalf("rss %d, %v", rss, err)
	}
	if n, err := ProcFDs(pid); err != nil || n < 3 {
		t.Fatalf("fds %d, %v", n, err)
	}
	if SelfCPU() <= 0 {
		t.Fatal("no self CPU")
	}
	if m := DescribeMachine(); m.Cores < 1 || m.GoVersion == "" {
		t.Fatalf("machine %+v", m)
	}
}

func osGetpid() int { return os.Getpid() }
