// Package smoke checks a running OpenAI-compatible gateway from the outside, the way Open WebUI and the OpenAI SDKs
// use it: it lists the models, sends one prompt non-streamed and the same prompt streamed, optionally embeds a text,
// and verifies the wire shapes of every answer. Operators run it against a deployment and CI runs it against the
// gateway on its built-in emulator, through `bedrock-gateway smoke --url URL --key KEY`.
//
// It deliberately uses only the standard library and decodes the wire JSON into its own loose maps instead of the
// gateway's types: a smoke test that shared the server's structs would share its bugs.
package smoke

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// DefaultPrefix is the gateway's API_ROUTE_PREFIX default, appended when Options.URL has no path.
const DefaultPrefix = "/api/v1"

// DefaultTimeout bounds each check (one HTTP exchange, including a whole stream). Cold Bedrock models can take tens
// of seconds for a first token, so it is generous.
const DefaultTimeout = 60 * time.Second

// DefaultPrompt asks for a short, deterministic-ish answer so the check is cheap on a real model.
const DefaultPrompt = "This is a connectivity test. Reply with one short sentence that contains the word pong."

// Options configures Run.
type Options struct {
	// URL is the API base including the route prefix, e.g. http://localhost:8080/api/v1. A bare origin such as
	// http://localhost:8080 (empty path or "/") gets DefaultPrefix appended. /health is probed at the URL's origin.
	URL string
	// Key is the gateway API key, sent as "Authorization: Bearer <Key>". Empty means the API_KEY environment
	// variable: a one-off ECS task of the gateway's own task definition has it injected from Secrets Manager, so
	// it can smoke-test the private service without the key ever appearing on a command line.
	Key string
	// Model is the chat model to prompt. Empty means the first chat model that /models lists (ids containing
	// "embed" are skipped).
	Model string
	// EmbeddingModel enables the embeddings check. Empty skips it (the check is reported as skipped, not failed):
	// /models lists text models only, so there is nothing to pick a default from.
	EmbeddingModel string
	// Prompt overrides DefaultPrompt.
	Prompt string
	// MaxTokens caps each answer; 0 means 256. Reasoning models spend part of it before any text, so keep it well
	// above a handful of tokens.
	MaxTokens int
	// Timeout bounds each check; 0 means DefaultTimeout.
	Timeout time.Duration
	// HTTPClient is used for every request; nil means a client with no overall timeout (Timeout applies per check).
	HTTPClient *http.Client
}

// Result is one row of the report.
type Result struct {
	Check    string
	Status   Status
	Duration time.Duration
	Detail   string
}

// Status of one check.
type Status string

const (
	Pass Status = "PASS"
	Fail Status = "FAIL"
	Skip Status = "SKIP"
)

// Run performs every check in order, prints the table to out and returns a non-nil error when any check failed.
// Later checks still run after a failure where they can, so one run shows everything that is wrong.
func Run(ctx context.Context, opts Options, out io.Writer) error {
	results, err := Check(ctx, opts)
	base, _ := apiBase(opts.URL)
	printTable(out, base, results)
	return err
}

// Check is Run without the printing, for callers that render results themselves.
func Check(ctx context.Context, opts Options) ([]Result, error) {
	base, err := apiBase(opts.URL)
	if err != nil {
		return []Result{{Check: "url", Status: Fail, Detail: err.Error()}}, err
	}
	if opts.Key == "" {
		opts.Key = os.Getenv("API_KEY")
	}
	if opts.Key == "" {
		err := errors.New("no API key given (--key, or API_KEY in the environment)")
		return []Result{{Check: "key", Status: Fail, Detail: err.Error()}}, err
	}
	r := &runner{
		base:    base,
		opts:    opts,
		client:  opts.HTTPClient,
		timeout: opts.Timeout,
	}
	if r.client == nil {
		r.client = &http.Client{}
	}
	if r.timeout <= 0 {
		r.timeout = DefaultTimeout
	}
	if r.opts.Prompt == "" {
		r.opts.Prompt = DefaultPrompt
	}
	if r.opts.MaxTokens <= 0 {
		r.opts.MaxTokens = 256
	}

	r.run(ctx, "health", r.checkHealth)
	r.run(ctx, "auth (wrong key → 401)", r.checkAuth)
	r.run(ctx, "models", r.checkModels)
	if r.model == "" {
		// Nothing to prompt: report the model-dependent checks as failed rather than silently dropping them.
		for _, name := range []string{"model lookup", "chat", "chat stream"} {
			r.add(Result{Check: name, Status: Fail, Detail: "no model to test: pass --model or fix /models"})
		}
	} else {
		r.run(ctx, "model lookup", r.checkModel)
		r.run(ctx, "chat", r.checkChat)
		r.run(ctx, "chat stream", r.checkChatStream)
	}
	if opts.EmbeddingModel == "" {
		r.add(Result{Check: "embeddings", Status: Skip, Detail: "no --embedding-model given"})
	} else {
		r.run(ctx, "embeddings", r.checkEmbeddings)
	}

	var failed []string
	for _, res := range r.results {
		if res.Status == Fail {
			failed = append(failed, res.Check)
		}
	}
	if len(failed) > 0 {
		return r.results, fmt.Errorf("smoke test failed: %d of %d checks failed (%s)",
			len(failed), len(r.results), strings.Join(failed, ", "))
	}
	return r.results, nil
}

// apiBase normalises the URL: an origin alone gets the default prefix, a trailing slash is dropped.
func apiBase(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("no URL given (--url), e.g. http://localhost:8080/api/v1")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("bad URL %q: %v", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("bad URL %q: scheme must be http or https", raw)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("bad URL %q: no host", raw)
	}
	u.RawQuery, u.Fragment = "", ""
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	if u.Path == "" {
		u.Path = DefaultPrefix
	}
	return u, nil
}

type runner struct {
	base    *url.URL
	opts    Options
	client  *http.Client
	timeout time.Duration
	model   string // chosen chat model, set by checkModels (or opts.Model)
	results []Result
}

func (r *runner) add(res Result) { r.results = append(r.results, res) }

// run times one check under its own deadline. A check returns its detail text; an error marks it failed.
func (r *runner) run(ctx context.Context, name string, check func(context.Context) (string, error)) {
	cctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	start := time.Now()
	detail, err := check(cctx)
	res := Result{Check: name, Status: Pass, Duration: time.Since(start), Detail: detail}
	if err != nil {
		res.Status = Fail
		res.Detail = err.Error()
		if errors.Is(cctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
			res.Detail = fmt.Sprintf("timed out after %s: %v", r.timeout, err)
		}
	}
	r.add(res)
}

func printTable(out io.Writer, base *url.URL, results []Result) {
	target := "(no valid URL)"
	if base != nil {
		target = base.String()
	}
	fmt.Fprintf(out, "smoke test against %s\n\n", target)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tRESULT\tDURATION\tDETAIL")
	failed := 0
	for _, res := range results {
		dur := "-"
		if res.Duration > 0 {
			dur = res.Duration.Round(time.Millisecond).String()
		}
		if res.Status == Fail {
			failed++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", res.Check, res.Status, dur, oneLine(res.Detail))
	}
	tw.Flush()
	// Worded so that CI log readers never mistake it for a test runner's "N passed, N failed" summary line.
	if failed == 0 {
		fmt.Fprintf(out, "\nsmoke result: PASS (every check of %d succeeded or was skipped)\n", len(results))
	} else {
		fmt.Fprintf(out, "\nsmoke result: FAIL (%d of %d checks failed)\n", failed, len(results))
	}
}

// oneLine keeps the table readable when a detail carries a multi-line server message.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	const max = 160
	if r := []rune(s); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return s
}
