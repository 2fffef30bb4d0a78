// Command gateway-soak runs minutes of mixed load with random Bedrock faults through the gateway and verifies every
// response: no lost or mis-ended streams, the right status for every injected error, no hangs, and memory and file
// descriptors flat. It prints a summary table and exits non-zero on any violation.
//
//	go run ./gateway/cmd/gateway-soak [-duration 2m] [-concurrency 200] [-seed N]
//
// The emulator and the gateway run as separate child processes on loopback. Faults are the emulator's directives
// ([[emulate:throttle]], error=NAME, error-after=N, cut-after=N, delay-ms=N) plus client-side cancellations.
// A -duration 20s run is short enough for CI.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/openwebui-bedrock/gateway/emulator"
	"github.com/openwebui-bedrock/gateway/loadgen"
)

const (
	chatModel  = "anthropic.claude-3-haiku-20240307-v1:0"
	embedModel = "cohere.embed-multilingual-v3"
	reqTimeout = 30 * time.Second // a request still running after this is a hang
)

const weatherTool = `"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather for a city",` +
	`"parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]`

// scenario is one kind of request with the outcome it must have.
type scenario struct {
	kind   string
	weight int
	run    func(s *soak, ctx context.Context, rng *rand.Rand) (outcome string, err error)
}

type soak struct {
	gw, emu *loadgen.Child
	client  *http.Client
	embed   bool

	mu        sync.Mutex
	counts    map[[2]string]int // kind, outcome
	latencies map[string][]time.Duration
	viol      []string
	violN     int
}

func main() {
	dur := flag.Duration("duration", 2*time.Minute, "how long to apply load")
	conc := flag.Int("concurrency", 200, "concurrent clients")
	seed := flag.Uint64("seed", uint64(time.Now().UnixNano()), "random seed (printed, for replaying a failure)")
	flag.Parse()
	ok, err := run(*dur, *conc, *seed)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gateway-soak:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%s] %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

type sample struct {
	at       time.Duration
	rss      int64
	fds      int
	emuAct   int64
	inflight int64
}

func run(dur time.Duration, conc int, seed uint64) (bool, error) {
	if _, err := loadgen.RaiseFileLimit(); err != nil {
		return false, err
	}
	logf("machine: %s; seed %d", loadgen.DescribeMachine(), seed)
	bins, err := loadgen.Build(context.Background())
	if err != nil {
		return false, err
	}
	defer bins.Remove()
	emu, err := bins.StartEmulator()
	if err != nil {
		return false, err
	}
	defer emu.Stop(5 * time.Second)
	// Two attempts keep throttled calls short (the retry path is still exercised) without changing what the client
	// must see: a 429 with Retry-After.
	gw, err := bins.StartGateway(emu.URL, nil, "BEDROCK_MAX_ATTEMPTS=2", "SSE_PING_INTERVAL=1s")
	if err != nil {
		return false, err
	}
	gwStopped := false
	defer func() {
		if !gwStopped {
			gw.Stop(5 * time.Second)
		}
	}()
	s := &soak{gw: gw, emu: emu, client: loadgen.NewClient(conc + 16), counts: map[[2]string]int{}, latencies: map[string][]time.Duration{}}
	s.embed = s.probeEmbeddings()
	logf("gateway pid %d, emulator pid %d; embeddings route: %v", gw.Pid(), emu.Pid(), s.embed)

	scen := scenarios(s.embed)
	total := 0
	for _, sc := range scen {
		total += sc.weight
	}
	statsClient := loadgen.NewClient(2)
	emuStart, _ := loadgen.EmulatorStats(context.Background(), statsClient, emu.URL)
	rss0, _ := loadgen.ProcRSS(gw.Pid())
	fd0, _ := loadgen.ProcFDs(gw.Pid())

	var inflight atomic.Int64
	var samples []sample
	var smu sync.Mutex
	t0 := time.Now()
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			sm := sample{at: time.Since(t0), inflight: inflight.Load()}
			sm.rss, _ = loadgen.ProcRSS(gw.Pid())
			sm.fds, _ = loadgen.ProcFDs(gw.Pid())
			if st, err := loadgen.EmulatorStats(context.Background(), statsClient, emu.URL); err == nil {
				sm.emuAct = st.StreamsActive
			}
			smu.Lock()
			samples = append(samples, sm)
			smu.Unlock()
			if done, err := gw.Exited(); done {
				s.violation("gateway process exited during the soak: %v", err)
			}
		}
	})

	logf("soak: %v at concurrency %d", dur, conc)
	end := t0.Add(dur)
	var wg sync.WaitGroup
	for i := range conc {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, uint64(i)))
			time.Sleep(time.Duration(rng.IntN(500)) * time.Millisecond) // stagger the start
			for time.Now().Before(end) {
				n := rng.IntN(total)
				var sc scenario
				for _, c := range scen {
					if n < c.weight {
						sc = c
						break
					}
					n -= c.weight
				}
				ctx, cancel := context.WithTimeout(context.Background(), reqTimeout)
				inflight.Add(1)
				start := time.Now()
				outcome, err := sc.run(s, ctx, rng)
				el := time.Since(start)
				inflight.Add(-1)
				if err == nil && ctx.Err() == context.DeadlineExceeded && outcome != "cancelled" {
					err = fmt.Errorf("hung for %v", reqTimeout)
				}
				cancel()
				if err != nil {
					outcome = "VIOLATION"
					s.violation("%s: %v", sc.kind, err)
				}
				s.record(sc.kind, outcome, el)
			}
		})
	}
	wg.Wait()
	loadEnd := time.Since(t0)

	// Settle: every upstream stream must end (no leaked Bedrock streams), then compare resources.
	s.client.CloseIdleConnections()
	var emuEnd emulator.Stats
	settled := false
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if emuEnd, err = loadgen.EmulatorStats(context.Background(), statsClient, emu.URL); err == nil && emuEnd.StreamsActive == 0 {
			settled = true
			break
		}
	}
	if !settled {
		s.violation("emulator still has %d active streams 5s after the load stopped (leaked upstream streams)", emuEnd.StreamsActive)
	}
	time.Sleep(500 * time.Millisecond)
	close(stop)
	sampler.Wait()
	rssEnd, _ := loadgen.ProcRSS(gw.Pid())
	fdEnd, _ := loadgen.ProcFDs(gw.Pid())
	if done, err := gw.Exited(); done {
		s.violation("gateway process exited: %v", err)
	}

	// FDs: after the load, the gateway keeps only its idle pool to Bedrock (at most one per concurrent client) plus
	// a few of its own; anything beyond is a leak.
	fdLimit := fd0 + conc + 32
	if fdEnd > fdLimit {
		s.violation("gateway holds %d file descriptors after the load (start %d, allowed %d): descriptor leak", fdEnd, fd0, fdLimit)
	}
	// Memory flat: the last quarter of the run must not sit well above the second quarter.
	q2, q4 := quarterRSS(samples, loadEnd, 1), quarterRSS(samples, loadEnd, 3)
	if q2 > 0 && q4 > q2+q2/2 && q4-q2 > 32<<20 {
		s.violation("gateway RSS grew from %.1f MiB (2nd quarter median) to %.1f MiB (last quarter): memory not flat", mib(q2), mib(q4))
	}
	// The emulator must have seen the client cancellations as cancelled upstream streams.
	cancelled := s.count("stream-cancel", "cancelled")
	if got := emuEnd.StreamsCancelled - emuStart.StreamsCancelled; cancelled > 0 && got == 0 {
		s.violation("%d client cancellations but no upstream stream was cancelled", cancelled)
	}
	// Graceful stop: SIGTERM with nothing in flight exits 0.
	gwStopped = true
	if err := gw.Stop(10 * time.Second); err != nil {
		s.violation("gateway did not exit cleanly on SIGTERM: %v", err)
	}

	s.print(os.Stdout, dur, conc, seed, samples, rss0, rssEnd, fd0, fdEnd, emuStart, emuEnd)
	return s.violN == 0, nil
}

func quarterRSS(samples []sample, total time.Duration, q int) int64 {
	var v []int64
	for _, sm := range samples {
		if sm.at >= total*time.Duration(q)/4 && sm.at < total*time.Duration(q+1)/4 {
			v = append(v, sm.rss)
		}
	}
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	return v[len(v)/2]
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func (s *soak) violation(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.violN++
	if len(s.viol) < 30 {
		s.viol = append(s.viol, fmt.Sprintf(format, args...))
	}
}

func (s *soak) record(kind, outcome string, d time.Duration) {
	s.mu.Lock()
	s.counts[[2]string{kind, outcome}]++
	s.latencies[kind] = append(s.latencies[kind], d)
	s.mu.Unlock()
}

func (s *soak) count(kind, outcome string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[[2]string{kind, outcome}]
}

// ---- requests ----

func (s *soak) post(ctx context.Context, path string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.gw.URL+"/api/v1"+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+loadgen.APIKey)
	req.Header.Set("Content-Type", "application/json")
	return s.client.Do(req)
}

func (s *soak) probeEmbeddings() bool {
	resp, err := s.post(context.Background(), "/embeddings", []byte(`{"model":"`+embedModel+`","input":"probe"}`))
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

type errorBody struct {
	Error *struct {
		Message string `json:"message"`
		Type    string `json:"type"`
	} `json:"error"`
}

// wantStatus reads a non-streamed response and checks its status (and, for errors, the OpenAI error shape).
func wantStatus(resp *http.Response, status int, retryAfter bool) ([]byte, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading the body: %v", err)
	}
	if resp.StatusCode != status {
		return nil, fmt.Errorf("status %d, want %d: %.200s", resp.StatusCode, status, b)
	}
	if status >= 400 {
		var e errorBody
		if json.Unmarshal(b, &e) != nil || e.Error == nil || e.Error.Message == "" || e.Error.Type == "" {
			return nil, fmt.Errorf("status %d without an OpenAI error body: %.200s", status, b)
		}
		if retryAfter && resp.Header.Get("Retry-After") == "" {
			return nil, fmt.Errorf("status %d without Retry-After", status)
		}
	}
	return b, nil
}

type completion struct {
	Choices []struct {
		Message struct {
			Content   *string           `json:"content"`
			ToolCalls []json.RawMessage `json:"tool_calls"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
}

func chat(wantFinish string, text func(*rand.Rand) string, extra string) func(*soak, context.Context, *rand.Rand) (string, error) {
	return func(s *soak, ctx context.Context, rng *rand.Rand) (string, error) {
		resp, err := s.post(ctx, "/chat/completions", loadgen.ChatBody(chatModel, text(rng), false, extra))
		if err != nil {
			return "", err
		}
		b, err := wantStatus(resp, http.StatusOK, false)
		if err != nil {
			return "", err
		}
		var c completion
		if err := json.Unmarshal(b, &c); err != nil || len(c.Choices) != 1 {
			return "", fmt.Errorf("not a chat completion: %.200s", b)
		}
		ch := c.Choices[0]
		if ch.FinishReason != wantFinish {
			return "", fmt.Errorf("finish_reason %q, want %q", ch.FinishReason, wantFinish)
		}
		if wantFinish == "tool_calls" && len(ch.Message.ToolCalls) == 0 {
			return "", errors.New("finish_reason tool_calls without tool_calls")
		}
		if wantFinish == "stop" && (ch.Message.Content == nil || *ch.Message.Content == "") {
			return "", errors.New("empty content")
		}
		return "ok", nil
	}
}

func chatError(directive string, status int, retryAfter bool, stream bool) func(*soak, context.Context, *rand.Rand) (string, error) {
	return func(s *soak, ctx context.Context, rng *rand.Rand) (string, error) {
		resp, err := s.post(ctx, "/chat/completions", loadgen.ChatBody(chatModel, directive+" fail please", stream, ""))
		if err != nil {
			return "", err
		}
		if _, err := wantStatus(resp, status, retryAfter); err != nil {
			return "", err
		}
		return fmt.Sprintf("%d as injected", status), nil
	}
}

// stream sends a streamed chat and verifies how it ends.
func stream(text func(*rand.Rand) (string, int), want loadgen.Expect, extra string, wantFinish string) func(*soak, context.Context, *rand.Rand) (string, error) {
	return func(s *soak, ctx context.Context, rng *rand.Rand) (string, error) {
		t, deltas := text(rng)
		start := time.Now()
		resp, err := s.post(ctx, "/chat/completions", loadgen.ChatBody(chatModel, t, true, extra))
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
			return "", fmt.Errorf("status %d: %s", resp.StatusCode, b)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
			return "", fmt.Errorf("Content-Type %q", ct)
		}
		r := loadgen.ReadSSE(resp.Body, start, nil)
		if ctx.Err() != nil {
			return "", fmt.Errorf("stream still open after %v (hang): %d deltas so far", reqTimeout, r.Deltas)
		}
		if err := r.Verify(want, deltas); err != nil {
			return "", err
		}
		if wantFinish != "" && r.FinishReason != wantFinish {
			return "", fmt.Errorf("finish_reason %q, want %q", r.FinishReason, wantFinish)
		}
		if want == loadgen.ExpectError {
			return "error event + [DONE]", nil
		}
		return "finished + [DONE]", nil
	}
}

// cancelStream reads a few deltas of a slow stream, then goes away.
func cancelStream(s *soak, ctx context.Context, rng *rand.Rand) (string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	after := 1 + rng.IntN(5)
	resp, err := s.post(ctx, "/chat/completions", loadgen.ChatBody(chatModel, "[[emulate:words=60]] [[emulate:delay-ms=20]] slow", true, ""))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d", resp.StatusCode)
	}
	n := 0
	r := loadgen.ReadSSE(resp.Body, time.Now(), func() {
		if n++; n == after {
			cancel()
		}
	})
	if r.FinishReason != "" || r.Done {
		return "", fmt.Errorf("a 60-word stream at 20 ms a word finished before the client cancelled after %d deltas", after)
	}
	return "cancelled", nil
}

func embed(s *soak, ctx context.Context, rng *rand.Rand) (string, error) {
	n := 1 + rng.IntN(4)
	in := make([]string, n)
	for i := range in {
		in[i] = fmt.Sprintf("soak text %d", rng.IntN(1000))
	}
	b, _ := json.Marshal(map[string]any{"model": embedModel, "input": in})
	resp, err := s.post(ctx, "/embeddings", b)
	if err != nil {
		return "", err
	}
	body, err := wantStatus(resp, http.StatusOK, false)
	if err != nil {
		return "", err
	}
	var e struct {
		Data []struct {
			Embedding json.RawMessage `json:"embedding"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &e) != nil || len(e.Data) != n {
		return "", fmt.Errorf("want %d embeddings: %.200s", n, body)
	}
	return "ok", nil
}

func scenarios(withEmbeddings bool) []scenario {
	words := func(rng *rand.Rand) (string, int) {
		n := 1 + rng.IntN(40)
		return fmt.Sprintf("[[emulate:words=%d]] go", n), n
	}
	plain := func(rng *rand.Rand) string { return fmt.Sprintf("[[emulate:words=%d]] hello", 1+rng.IntN(20)) }
	sc := []scenario{
		{"chat", 20, chat("stop", plain, "")},
		{"chat-delay", 4, chat("stop", func(rng *rand.Rand) string {
			return fmt.Sprintf("[[emulate:delay-ms=%d]] slow", 50+rng.IntN(200))
		}, "")},
		{"chat-tools", 6, chat("tool_calls", func(*rand.Rand) string { return "What is the weather in Paris?" }, weatherTool)},
		{"chat-throttle", 3, chatError("[[emulate:throttle]]", http.StatusTooManyRequests, true, false)},
		{"chat-unavailable", 2, chatError("[[emulate:error=ServiceUnavailableException]]", http.StatusServiceUnavailable, true, false)},
		{"chat-cut", 2, chatError("[[emulate:cut-after=0]]", http.StatusBadGateway, false, false)},
		{"stream", 25, stream(words, loadgen.ExpectFinish, "", "stop")},
		{"stream-usage", 4, stream(words, loadgen.ExpectFinish, `"stream_options":{"include_usage":true}`, "stop")},
		{"stream-delay", 6, stream(func(rng *rand.Rand) (string, int) {
			n := 5 + rng.IntN(20)
			return fmt.Sprintf("[[emulate:words=%d]] [[emulate:delay-ms=%d]] slow", n, 5+rng.IntN(40)), n
		}, loadgen.ExpectFinish, "", "stop")},
		{"stream-tools", 6, stream(func(*rand.Rand) (string, int) { return "Weather in Paris please", 0 },
			loadgen.ExpectFinish, weatherTool, "tool_calls")},
		{"stream-error-after", 5, stream(func(rng *rand.Rand) (string, int) {
			return fmt.Sprintf("[[emulate:words=30]] [[emulate:error-after=%d]] boom", 1+rng.IntN(20)), 0
		}, loadgen.ExpectError, "", "")},
		{"stream-cut-after", 5, stream(func(rng *rand.Rand) (string, int) {
			return fmt.Sprintf("[[emulate:words=30]] [[emulate:cut-after=%d]] cut", 1+rng.IntN(20)), 0
		}, loadgen.ExpectError, "", "")},
		{"stream-throttle", 3, chatError("[[emulate:throttle]]", http.StatusTooManyRequests, true, true)},
		{"stream-cancel", 4, cancelStream},
	}
	if withEmbeddings {
		sc = append(sc, scenario{"embeddings", 8, embed})
	}
	return sc
}

// ---- report ----

func (s *soak) print(w io.Writer, dur time.Duration, conc int, seed uint64, samples []sample, rss0, rssEnd int64, fd0, fdEnd int,
	emuStart, emuEnd emulator.Stats) {
	fmt.Fprintf(w, "\ngateway-soak: %s\n%v at concurrency %d, seed %d\n\n", loadgen.DescribeMachine(), dur, conc, seed)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tOUTCOME\tCOUNT\tp50 ms\tp99 ms\tmax ms")
	var kinds []string
	for k := range s.latencies {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	totalReq := 0
	for _, k := range kinds {
		sum := loadgen.Summarize(s.latencies[k])
		var outs []string
		for key := range s.counts {
			if key[0] == k {
				outs = append(outs, key[1])
			}
		}
		sort.Strings(outs)
		for i, o := range outs {
			n := s.counts[[2]string{k, o}]
			totalReq += n
			if i == 0 {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%.2f\t%.2f\t%.2f\n", k, o, n, loadgen.Ms(sum.P50), loadgen.Ms(sum.P99), loadgen.Ms(sum.Max))
			} else {
				fmt.Fprintf(tw, "\t%s\t%d\t\t\t\n", o, n)
			}
		}
	}
	tw.Flush()
	var peakRSS int64
	peakFD := 0
	var peakAct int64
	for _, sm := range samples {
		peakRSS, peakFD, peakAct = max(peakRSS, sm.rss), max(peakFD, sm.fds), max(peakAct, sm.emuAct)
	}
	fmt.Fprintf(w, "\nrequests %d (%.0f/s)\n", totalReq, float64(totalReq)/dur.Seconds())
	fmt.Fprintf(w, "gateway RSS start %.1f MiB, peak %.1f MiB, end %.1f MiB\n", mib(rss0), mib(peakRSS), mib(rssEnd))
	fmt.Fprintf(w, "gateway FDs start %d, peak %d, end %d\n", fd0, peakFD, fdEnd)
	fmt.Fprintf(w, "emulator streams: active peak %d, at end %d; completed %d, cancelled %d (this run)\n", peakAct, emuEnd.StreamsActive,
		emuEnd.StreamsCompleted-emuStart.StreamsCompleted, emuEnd.StreamsCancelled-emuStart.StreamsCancelled)
	fmt.Fprint(w, "RSS over time (MiB):")
	step := max(1, len(samples)/12)
	for i := 0; i < len(samples); i += step {
		fmt.Fprintf(w, " %ds:%.0f", int(samples[i].at.Seconds()), mib(samples[i].rss))
	}
	fmt.Fprintln(w)
	if s.violN == 0 {
		fmt.Fprintln(w, "\nverdict: PASS (0 violations: no lost or mis-ended streams, injected errors with the right status, no hangs, no leaks)")
		return
	}
	fmt.Fprintf(w, "\nverdict: FAIL (%d violations)\n", s.violN)
	for _, v := range s.viol {
		fmt.Fprintln(w, "  -", v)
	}
}
