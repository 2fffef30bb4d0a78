// Command gateway-bench measures the gateway against its floor — the real AWS SDK calling the same Bedrock emulator
// directly — and prints a table plus JSON. Every figure is paired with a baseline measured in the same run, and the
// issue's targets are held in the report's "met" column, never in tests.
//
//	go run ./gateway/cmd/gateway-bench [-duration 10s] [-json out.json] [-quick] [-streams 5000]
//
// The emulator and the gateway run as separate child processes on loopback (built once with go build), so each
// process's CPU time is its own: the gateway's from /proc/<pid>/stat, the floor's from this process's getrusage while
// it makes the SDK calls. Run it on a quiet machine; on a shared one, compare ratios, not absolutes.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/schemas"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go/transport/http/protocol/restjson1"

	"github.com/openwebui-bedrock/gateway/bedrock"
	"github.com/openwebui-bedrock/gateway/emulator"
	"github.com/openwebui-bedrock/gateway/loadgen"
)

const model = "anthropic.claude-3-haiku-20240307-v1:0"

// gatewayEnv is appended to every gateway child's environment (-gateway-env).
var gatewayEnv []string

var phases string

func phase(name string) bool { return slices.Contains(strings.Split(phases, ","), name) }

// Row is one line of the report.
type Row struct {
	Section  string   `json:"section"`
	Metric   string   `json:"metric"`
	Gateway  float64  `json:"gateway"`
	Baseline float64  `json:"baseline"`
	Unit     string   `json:"unit"`
	Compare  string   `json:"compare"` // "ratio" (gateway/baseline) or "delta" (gateway-baseline)
	Target   string   `json:"target,omitempty"`
	Met      *bool    `json:"met,omitempty"`
	BaseName string   `json:"baseline_is"`
	Notes    []string `json:"notes,omitempty"`
}

// Report is the JSON output.
type Report struct {
	Machine  loadgen.Machine `json:"machine"`
	Started  time.Time       `json:"started"`
	Duration string          `json:"phase_duration"`
	Quick    bool            `json:"quick"`
	Rows     []Row           `json:"rows"`
	Raw      map[string]any  `json:"raw"`
}

type bench struct {
	dur     time.Duration
	bins    *loadgen.Binaries
	emu     *loadgen.Child
	gw      *loadgen.Child
	sdk     *bedrockruntime.Client
	client  *http.Client
	report  *Report
	verbose io.Writer
}

func main() {
	dur := flag.Duration("duration", 10*time.Second, "length of each measured phase")
	jsonOut := flag.String("json", "", "also write the report as JSON to this file")
	quick := flag.Bool("quick", false, "a short smoke run: 2s phases, concurrency 1 and 8, 1,000 slow streams, 3 starts")
	streams := flag.Int("streams", 5000, "concurrent slow streams held in the concurrency phase")
	levels := flag.String("levels", "1,8,64", "non-streaming concurrency levels")
	starts := flag.Int("starts", 7, "process starts measured for start-up time")
	flag.StringVar(&phases, "phases", "startup,nonstream,stream,concurrency", "phases to run (comma-separated)")
	flag.Func("gateway-env", "extra KEY=value for the gateway processes (repeatable), e.g. GOGC=400 to try a tuning", func(v string) error {
		if !strings.Contains(v, "=") {
			return errors.New("want KEY=value")
		}
		gatewayEnv = append(gatewayEnv, v)
		return nil
	})
	flag.Parse()
	if *quick {
		*dur, *streams, *levels, *starts = 2*time.Second, 1000, "1,8", 3
	}
	var lv []int
	for f := range strings.SplitSeq(*levels, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fatal(fmt.Errorf("bad -levels %q", *levels))
		}
		lv = append(lv, n)
	}
	if err := run(*dur, *quick, lv, *streams, *starts, *jsonOut); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "gateway-bench:", err)
	os.Exit(1)
}

func run(dur time.Duration, quick bool, levels []int, streams, starts int, jsonOut string) error {
	if lim, err := loadgen.RaiseFileLimit(); err != nil {
		return fmt.Errorf("raise the file limit: %w", err)
	} else if need := uint64(2*streams + 512); lim < need {
		fmt.Fprintf(os.Stderr, "warning: RLIMIT_NOFILE is %d; %d streams need about %d in the gateway\n", lim, streams, need)
	}
	b := &bench{dur: dur, verbose: os.Stderr, report: &Report{Machine: loadgen.DescribeMachine(), Started: time.Now(),
		Duration: dur.String(), Quick: quick, Raw: map[string]any{}}}
	b.logf("machine: %s", b.report.Machine)
	if len(gatewayEnv) > 0 {
		b.report.Raw["gateway_env"] = gatewayEnv
		b.logf("gateway environment additions: %v", gatewayEnv)
	}
	b.logf("building the gateway and the emulator")
	bins, err := loadgen.Build(context.Background())
	if err != nil {
		return err
	}
	defer bins.Remove()
	b.bins = bins

	if phase("startup") {
		if err := b.startup(starts); err != nil {
			return err
		}
	}
	if b.emu, err = bins.StartEmulator(); err != nil {
		return err
	}
	defer b.emu.Stop(5 * time.Second)
	if b.gw, err = bins.StartGateway(b.emu.URL, nil, gatewayEnv...); err != nil {
		return err
	}
	defer func() {
		if b.gw != nil {
			b.gw.Stop(5 * time.Second)
		}
	}()
	b.sdk = bedrockruntime.NewFromConfig(bedrock.StaticConfig(emulator.DefaultRegion, b.emu.URL,
		emulator.DefaultAccessKeyID, emulator.DefaultSecretAccessKey, 1))
	b.client = loadgen.NewClient(512)

	for _, c := range levels {
		if !phase("nonstream") {
			break
		}
		if err := b.nonStream(c, c == 8 || (len(levels) == 1)); err != nil {
			return err
		}
	}
	if phase("stream") {
		if err := b.streamLatency(); err != nil {
			return err
		}
		if err := b.streamCPU(8); err != nil {
			return err
		}
	}
	b.gw.Stop(5 * time.Second)
	b.gw = nil
	if phase("concurrency") {
		// Slow enough that the deltas of all streams together (N×words/stream time) stay well within what two shared
		// cores deliver, so every stream is open at once; the ramp keeps dial bursts under the listen backlog.
		if err := b.concurrency(streams, 10, 1500*time.Millisecond); err != nil {
			return err
		}
	}

	b.print(os.Stdout)
	js, _ := json.MarshalIndent(b.report, "", "  ")
	if jsonOut != "" {
		if err := os.WriteFile(jsonOut, append(js, '\n'), 0o644); err != nil {
			return err
		}
	}
	fmt.Println()
	fmt.Println(string(js))
	return nil
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.verbose, "[%s] %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

func met(ok bool) *bool { return &ok }

func (b *bench) add(r Row) { b.report.Rows = append(b.report.Rows, r) }

// ---- start-up ----

func (b *bench) startup(n int) error {
	emu, err := b.bins.StartEmulator()
	if err != nil {
		return err
	}
	defer emu.Stop(5 * time.Second)
	var gwReady, emuReady []time.Duration
	for i := range n + 1 { // the first start warms the page cache and is not counted
		g, err := b.bins.StartGateway(emu.URL, nil, gatewayEnv...)
		if err != nil {
			return err
		}
		g.Stop(5 * time.Second)
		e, err := b.bins.StartEmulator()
		if err != nil {
			return err
		}
		e.Stop(5 * time.Second)
		if i > 0 {
			gwReady = append(gwReady, g.Ready)
			emuReady = append(emuReady, e.Ready)
		}
	}
	gs, es := loadgen.Summarize(gwReady), loadgen.Summarize(emuReady)
	b.logf("start-up: gateway median %v (max %v), emulator median %v", gs.P50, gs.Max, es.P50)
	b.report.Raw["startup_gateway"], b.report.Raw["startup_emulator"] = gs, es
	b.add(Row{Section: "start-up", Metric: fmt.Sprintf("exec to healthy, median of %d", n), Gateway: loadgen.Ms(gs.P50),
		Baseline: loadgen.Ms(es.P50), Unit: "ms", Compare: "delta", Target: "< 100 ms", Met: met(gs.P50 < 100*time.Millisecond),
		BaseName: "bare Go HTTP server (the emulator) exec to ready",
		Notes:    []string{"includes loading the model catalogue from the emulator (ListFoundationModels + paginated ListInferenceProfiles)"}})
	return nil
}

// ---- non-streaming ----

func converseInput() *bedrockruntime.ConverseInput {
	return &bedrockruntime.ConverseInput{ModelId: aws.String(model), Messages: []types.Message{{Role: types.ConversationRoleUser,
		Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "benchmark me please"}}}}}
}

func (b *bench) post(ctx context.Context, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.gw.URL+"/api/v1/chat/completions", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+loadgen.APIKey)
	req.Header.Set("Content-Type", "application/json")
	return b.client.Do(req)
}

func (b *bench) chatOnce(body []byte) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		resp, err := b.post(ctx, body)
		if err != nil {
			return 0, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		return 0, err
	}
}

// measured runs a load and returns it with the CPU time pid spent (pid 0: this process) and the emulator's.
func (b *bench) measured(pid, conc int, fn func(context.Context) (int, error)) (loadgen.LoadResult, time.Duration, time.Duration) {
	warm := min(b.dur/5, time.Second)
	loadgen.Closed(context.Background(), conc, warm, fn)
	cpu := func() time.Duration {
		if pid == 0 {
			return loadgen.SelfCPU()
		}
		c, _ := loadgen.ProcCPU(pid)
		return c
	}
	e0, c0 := mustCPU(b.emu.Pid()), cpu()
	r := loadgen.Closed(context.Background(), conc, b.dur, fn)
	return r, cpu() - c0, mustCPU(b.emu.Pid()) - e0
}

func mustCPU(pid int) time.Duration {
	c, _ := loadgen.ProcCPU(pid)
	return c
}

func perCall(cpu time.Duration, n int64) float64 {
	if n <= 0 {
		return 0
	}
	return float64(cpu) / float64(n) / 1e3 // µs
}

func (b *bench) nonStream(conc int, moderate bool) error {
	in := converseInput()
	floor, floorCPU, floorEmu := b.measured(0, conc, func(ctx context.Context) (int, error) {
		_, err := b.sdk.Converse(ctx, in)
		return 0, err
	})
	gw, gwCPU, gwEmu := b.measured(b.gw.Pid(), conc, b.chatOnce(loadgen.ChatBody(model, "benchmark me please", false, "")))
	if err := firstErr("non-stream floor", floor); err != nil {
		return err
	}
	if err := firstErr("non-stream gateway", gw); err != nil {
		return err
	}
	fc, gc := perCall(floorCPU, floor.Calls), perCall(gwCPU, gw.Calls)
	b.logf("non-stream c=%d: floor %.0f/s p50 %v cpu %.1fµs/call (emulator %.1fµs) | gateway %.0f/s p50 %v cpu %.1fµs/req (emulator %.1fµs)",
		conc, floor.PerSecond(), floor.Latency.P50, fc, perCall(floorEmu, floor.Calls), gw.PerSecond(), gw.Latency.P50, gc,
		perCall(gwEmu, gw.Calls))
	b.report.Raw[fmt.Sprintf("nonstream_c%d", conc)] = map[string]any{"floor": floor, "gateway": gw,
		"floor_cpu_us_per_call": fc, "gateway_cpu_us_per_req": gc,
		"emulator_cpu_us_per_call_floor": perCall(floorEmu, floor.Calls), "emulator_cpu_us_per_call_gateway": perCall(gwEmu, gw.Calls)}
	sec := fmt.Sprintf("non-stream c=%d", conc)
	base := "SDK Converse direct to the emulator"
	b.add(Row{Section: sec, Metric: "throughput", Gateway: round(gw.PerSecond()), Baseline: round(floor.PerSecond()), Unit: "req/s",
		Compare: "ratio", BaseName: base, Notes: []string{"gateway run shares the 2 cores with the load generator and the emulator"}})
	p50 := Row{Section: sec, Metric: "p50 latency", Gateway: loadgen.Ms(gw.Latency.P50), Baseline: loadgen.Ms(floor.Latency.P50),
		Unit: "ms", Compare: "delta", BaseName: base}
	if moderate {
		added := gw.Latency.P50 - floor.Latency.P50
		p50.Target, p50.Met = "added ≤ 0.1 ms (moderate load)", met(added <= 100*time.Microsecond)
	}
	b.add(p50)
	b.add(Row{Section: sec, Metric: "p99 latency", Gateway: loadgen.Ms(gw.Latency.P99), Baseline: loadgen.Ms(floor.Latency.P99),
		Unit: "ms", Compare: "delta", BaseName: base})
	b.add(Row{Section: sec, Metric: "CPU per request", Gateway: round(gc), Baseline: round(fc), Unit: "µs", Compare: "ratio",
		Target: "≤ 1.5×", Met: met(fc > 0 && gc/fc <= 1.5), BaseName: "this process's CPU per SDK Converse call",
		Notes: []string{"gateway: /proc/<pid>/stat utime+stime over the phase; floor: getrusage of the SDK caller"}})
	return nil
}

func firstErr(what string, r loadgen.LoadResult) error {
	if r.Errors > 0 {
		return fmt.Errorf("%s: %d of %d calls failed; first: %s", what, r.Errors, r.Calls, r.FirstErr)
	}
	if r.Calls == 0 {
		return fmt.Errorf("%s: no calls completed", what)
	}
	return nil
}

// ---- streaming ----

// perCallProtocol gives each ConverseStream its own event-stream codec (the SDK shares one per client; a data race
// across concurrent streams), exactly as the gateway does.
func perCallProtocol(o *bedrockruntime.Options) {
	o.Protocol = restjson1.New(schemas.AmazonBedrockFrontendService)
}

const streamText = "[[emulate:words=64]] stream"

// directStream drains one SDK ConverseStream; it returns the deltas and the time to the first one.
func (b *bench) directStream(ctx context.Context, text string) (int, time.Duration, error) {
	t0 := time.Now()
	in := &bedrockruntime.ConverseStreamInput{ModelId: aws.String(model), Messages: []types.Message{{Role: types.ConversationRoleUser,
		Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: text}}}}}
	out, err := b.sdk.ConverseStream(ctx, in, perCallProtocol)
	if err != nil {
		return 0, 0, err
	}
	st := out.GetStream()
	defer st.Close()
	var n int
	var ttft time.Duration
	stop := false
	for ev := range st.Events() {
		switch ev.(type) {
		case *types.ConverseStreamOutputMemberContentBlockDelta:
			if n == 0 {
				ttft = time.Since(t0)
			}
			n++
		case *types.ConverseStreamOutputMemberMessageStop:
			stop = true
		}
	}
	if err := st.Err(); err != nil {
		return n, ttft, err
	}
	if !stop {
		return n, ttft, errors.New("no messageStop")
	}
	return n, ttft, nil
}

// gatewayStream reads one streamed chat completion and verifies it.
func (b *bench) gatewayStream(ctx context.Context, body []byte, wantDeltas int) (loadgen.StreamResult, error) {
	t0 := time.Now()
	resp, err := b.post(ctx, body)
	if err != nil {
		return loadgen.StreamResult{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return loadgen.StreamResult{}, fmt.Errorf("status %d: %s", resp.StatusCode, msg)
	}
	r := loadgen.ReadSSE(resp.Body, t0, nil)
	return r, r.Verify(loadgen.ExpectFinish, wantDeltas)
}

func (b *bench) streamLatency() error {
	ctx := context.Background()
	body := loadgen.ChatBody(model, streamText, true, "")
	var dT, dE, gT, gE []time.Duration
	for range 20 { // warm both paths
		if _, _, err := b.directStream(ctx, streamText); err != nil {
			return err
		}
		if _, err := b.gatewayStream(ctx, body, 64); err != nil {
			return err
		}
	}
	// Interleave direct and gateway calls so drifting machine load affects both alike.
	end := time.Now().Add(b.dur)
	for time.Now().Before(end) {
		t0 := time.Now()
		n, ttft, err := b.directStream(ctx, streamText)
		if err != nil {
			return fmt.Errorf("direct stream: %w", err)
		}
		if n != 64 {
			return fmt.Errorf("direct stream: %d deltas, want 64", n)
		}
		dT, dE = append(dT, ttft), append(dE, time.Since(t0))
		r, err := b.gatewayStream(ctx, body, 64)
		if err != nil {
			return fmt.Errorf("gateway stream: %w", err)
		}
		gT, gE = append(gT, r.FirstDelta), append(gE, r.Elapsed)
	}
	st, se, gt, ge := loadgen.Summarize(dT), loadgen.Summarize(dE), loadgen.Summarize(gT), loadgen.Summarize(gE)
	b.logf("stream serial: TTFT direct p50 %v gateway p50 %v; 64-delta e2e direct p50 %v gateway p50 %v (n=%d)", st.P50, gt.P50, se.P50, ge.P50, st.N)
	b.report.Raw["stream_serial"] = map[string]any{"direct_ttft": st, "gateway_ttft": gt, "direct_e2e": se, "gateway_e2e": ge}
	base := "SDK ConverseStream direct to the emulator"
	b.add(Row{Section: "stream (serial)", Metric: "time to first token, p50", Gateway: loadgen.Ms(gt.P50), Baseline: loadgen.Ms(st.P50),
		Unit: "ms", Compare: "delta", BaseName: base, Notes: []string{"delta = TTFT added by the gateway"}})
	b.add(Row{Section: "stream (serial)", Metric: "time to first token, p99", Gateway: loadgen.Ms(gt.P99), Baseline: loadgen.Ms(st.P99),
		Unit: "ms", Compare: "delta", BaseName: base})
	b.add(Row{Section: "stream (serial)", Metric: "64-delta stream end to end, p50", Gateway: loadgen.Ms(ge.P50),
		Baseline: loadgen.Ms(se.P50), Unit: "ms", Compare: "delta", BaseName: base})
	b.add(Row{Section: "stream (serial)", Metric: "64-delta stream end to end, p99", Gateway: loadgen.Ms(ge.P99),
		Baseline: loadgen.Ms(se.P99), Unit: "ms", Compare: "delta", BaseName: base})
	return nil
}

func (b *bench) streamCPU(conc int) error {
	body := loadgen.ChatBody(model, streamText, true, "")
	direct, dCPU, _ := b.measured(0, conc, func(ctx context.Context) (int, error) {
		n, _, err := b.directStream(ctx, streamText)
		return n, err
	})
	gw, gCPU, _ := b.measured(b.gw.Pid(), conc, func(ctx context.Context) (int, error) {
		r, err := b.gatewayStream(ctx, body, 64)
		return r.Deltas, err
	})
	if err := firstErr("direct streams", direct); err != nil {
		return err
	}
	if err := firstErr("gateway streams", gw); err != nil {
		return err
	}
	dd, gd := perCall(dCPU, direct.Units), perCall(gCPU, gw.Units)
	b.logf("stream c=%d: direct %.0f streams/s %.2fµs CPU/delta | gateway %.0f streams/s %.2fµs CPU/delta", conc,
		direct.PerSecond(), dd, gw.PerSecond(), gd)
	b.report.Raw["stream_cpu"] = map[string]any{"direct": direct, "gateway": gw, "direct_cpu_us_per_delta": dd, "gateway_cpu_us_per_delta": gd}
	sec := fmt.Sprintf("stream c=%d, 64 deltas", conc)
	base := "this process's CPU per delta, SDK ConverseStream direct"
	b.add(Row{Section: sec, Metric: "CPU per streamed delta (all-in)", Gateway: round2(gd), Baseline: round2(dd), Unit: "µs",
		Compare: "ratio", Target: "≤ 5 µs", Met: met(gd <= 5), BaseName: base,
		Notes: []string{"gateway CPU over the phase / deltas delivered; includes the per-stream request cost spread over 64 deltas"}})
	b.add(Row{Section: sec, Metric: "streams per second", Gateway: round(gw.PerSecond()), Baseline: round(direct.PerSecond()),
		Unit: "streams/s", Compare: "ratio", BaseName: "SDK ConverseStream direct"})
	b.add(Row{Section: sec, Metric: "stream p50 end to end", Gateway: loadgen.Ms(gw.Latency.P50), Baseline: loadgen.Ms(direct.Latency.P50),
		Unit: "ms", Compare: "delta", BaseName: "SDK ConverseStream direct"})
	return nil
}

// ---- concurrency ----

func (b *bench) concurrency(n, words int, gap time.Duration) error {
	// A fresh emulator and gateway, so "idle" is a process that has served one request, not the heap left by the
	// earlier phases.
	emu, err := b.bins.StartEmulator()
	if err != nil {
		return err
	}
	defer emu.Stop(5 * time.Second)
	gw, err := b.bins.StartGateway(emu.URL, nil, gatewayEnv...)
	if err != nil {
		return err
	}
	defer gw.Stop(10 * time.Second)
	b.gw = gw
	defer func() { b.gw = nil }()
	client := loadgen.NewClient(n + 64)
	b.client = client
	text := fmt.Sprintf("[[emulate:words=%d]] [[emulate:delay-ms=%d]] hold", words, gap.Milliseconds())
	body := loadgen.ChatBody(model, text, true, "")
	for range 3 {
		if _, err := b.gatewayStream(context.Background(), loadgen.ChatBody(model, "[[emulate:words=4]] warm", true, ""), 4); err != nil {
			return err
		}
	}
	time.Sleep(300 * time.Millisecond)
	gIdle, _ := loadgen.ProcRSS(gw.Pid())
	eIdle, _ := loadgen.ProcRSS(emu.Pid())
	fdIdle, _ := loadgen.ProcFDs(gw.Pid())

	var inflight, peakInflight, opened, failed atomic.Int64
	var firstErr atomic.Value
	var gPeak, ePeak, fdPeak, emuActivePeak atomic.Int64
	stopSampling := make(chan struct{})
	var sampler sync.WaitGroup
	statsClient := loadgen.NewClient(2)
	sampler.Go(func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		i := 0
		for {
			select {
			case <-stopSampling:
				return
			case <-t.C:
			}
			if v, err := loadgen.ProcRSS(gw.Pid()); err == nil && v > gPeak.Load() {
				gPeak.Store(v)
			}
			if v, err := loadgen.ProcRSS(emu.Pid()); err == nil && v > ePeak.Load() {
				ePeak.Store(v)
			}
			if i++; i%5 == 0 {
				if v, err := loadgen.ProcFDs(gw.Pid()); err == nil && int64(v) > fdPeak.Load() {
					fdPeak.Store(int64(v))
				}
				if s, err := loadgen.EmulatorStats(context.Background(), statsClient, emu.URL); err == nil && s.StreamsActive > emuActivePeak.Load() {
					emuActivePeak.Store(s.StreamsActive)
				}
			}
		}
	})

	ramp := time.Duration(n) * time.Millisecond // 1,000 streams a second
	ramp = min(max(ramp, time.Second), 10*time.Second)
	b.logf("concurrency: %d streams of %d deltas %v apart, started over %v (gateway idle RSS %.1f MiB)", n, words, gap, ramp, mib(gIdle))
	var wg sync.WaitGroup
	t0 := time.Now()
	g0 := mustCPU(gw.Pid())
	for i := range n {
		if d := time.Duration(int64(ramp) * int64(i) / int64(n)); time.Since(t0) < d {
			time.Sleep(d - time.Since(t0))
		}
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, gw.URL+"/api/v1/chat/completions", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+loadgen.APIKey)
			req.Header.Set("Content-Type", "application/json")
			start := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
				return
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, "status "+resp.Status)
				return
			}
			opened.Add(1)
			cur := inflight.Add(1)
			for {
				p := peakInflight.Load()
				if cur <= p || peakInflight.CompareAndSwap(p, cur) {
					break
				}
			}
			r := loadgen.ReadSSE(resp.Body, start, nil)
			inflight.Add(-1)
			if err := r.Verify(loadgen.ExpectFinish, words); err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(t0)
	gCPU := mustCPU(gw.Pid()) - g0
	close(stopSampling)
	sampler.Wait()
	gEnd, _ := loadgen.ProcRSS(gw.Pid())
	fe, _ := firstErr.Load().(string)
	held := max(peakInflight.Load(), 1) // memory is per stream actually open at the peak
	perG := float64(gPeak.Load()-gIdle) / float64(held)
	perE := float64(ePeak.Load()-eIdle) / float64(max(emuActivePeak.Load(), 1))
	b.logf("concurrency: %d opened, %d failed (%s), peak in flight %d (emulator active peak %d), gateway RSS idle %.1f peak %.1f end %.1f MiB, FDs idle %d peak %d, %v",
		opened.Load(), failed.Load(), fe, peakInflight.Load(), emuActivePeak.Load(), mib(gIdle), mib(gPeak.Load()), mib(gEnd), fdIdle, fdPeak.Load(), elapsed)
	b.report.Raw["concurrency"] = map[string]any{"streams": n, "opened": opened.Load(), "failed": failed.Load(), "first_error": fe,
		"peak_in_flight": peakInflight.Load(), "emulator_streams_active_peak": emuActivePeak.Load(),
		"gateway_rss_idle": gIdle, "gateway_rss_peak": gPeak.Load(), "gateway_rss_end": gEnd,
		"emulator_rss_idle": eIdle, "emulator_rss_peak": ePeak.Load(), "gateway_fds_idle": fdIdle, "gateway_fds_peak": fdPeak.Load(),
		"elapsed_ns": elapsed, "gateway_cpu_ns": gCPU}
	sec := fmt.Sprintf("%d concurrent slow streams", n)
	allHeld := failed.Load() == 0 && peakInflight.Load() == int64(n)
	b.add(Row{Section: sec, Metric: "held to completion (errors | peak in flight)", Gateway: float64(failed.Load()),
		Baseline: float64(peakInflight.Load()), Unit: "errors | streams", Compare: "none",
		Target: fmt.Sprintf("0 errors, all %d in flight at once", n), Met: met(allHeld), BaseName: "peak simultaneously open streams",
		Notes: []string{fmt.Sprintf("each stream: %d deltas %v apart via [[emulate:delay-ms]]; started over %v", words, gap, ramp)}})
	b.add(Row{Section: sec, Metric: "RSS per in-flight stream (peak − idle) / peak in flight", Gateway: round2(perG / 1024), Baseline: round2(perE / 1024),
		Unit: "KiB", Compare: "ratio", Target: "≤ 64 KiB", Met: met(perG/1024 <= 64),
		BaseName: "the emulator's RSS per stream (one bare Go HTTP/1.1 hop; the gateway holds two connections per stream)"})
	if n < 5000 { // the issue asks for at least 5,000: a smaller run is a smoke test, not a verdict
		for i := len(b.report.Rows) - 2; i < len(b.report.Rows); i++ {
			b.report.Rows[i].Met = nil
			b.report.Rows[i].Notes = append(b.report.Rows[i].Notes, "fewer than 5,000 streams: not judged")
		}
	}
	return nil
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func round(v float64) float64  { return float64(int64(v + 0.5)) }
func round2(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }

// ---- output ----

func (b *bench) print(w io.Writer) {
	m := b.report.Machine
	fmt.Fprintf(w, "\ngateway-bench: %s\nphases of %s; gateway and emulator are separate processes on loopback; the load generator shares the machine\n\n",
		m, b.report.Duration)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SECTION\tMETRIC\tGATEWAY\tBASELINE\tGATEWAY vs BASELINE\tTARGET\tMET")
	for _, r := range b.report.Rows {
		cmp := ""
		switch r.Compare {
		case "ratio":
			if r.Baseline != 0 {
				cmp = fmt.Sprintf("%.2f×", r.Gateway/r.Baseline)
			}
		case "delta":
			cmp = fmt.Sprintf("%+.3f %s", r.Gateway-r.Baseline, r.Unit)
		}
		status := ""
		if r.Met != nil {
			status = "not met"
			if *r.Met {
				status = "met"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Section, r.Metric, num(r.Gateway, r.Unit), num(r.Baseline, r.Unit), cmp, r.Target, status)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nbaselines:")
	seen := map[string]bool{}
	for _, r := range b.report.Rows {
		if !seen[r.BaseName] {
			seen[r.BaseName] = true
			fmt.Fprintf(w, "  - %s\n", r.BaseName)
		}
	}
}

func num(v float64, unit string) string {
	if unit == "errors | streams" {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'f', -1, 64) + " " + unit
}
