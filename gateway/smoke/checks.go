package smoke

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/openwebui-bedrock/gateway/ssecheck"
)

// maxBody bounds what a check reads from a non-streamed answer; a smoke prompt's answer is a few KiB at most.
const maxBody = 8 << 20

func (r *runner) endpoint(path string) string {
	u := *r.base
	u.Path = r.base.Path + path
	// EscapedPath keeps ':' and '/' as they are: model ids such as "…-v1:0" and inference-profile ARNs must reach
	// the gateway's /models/{id} route unescaped, the way the OpenAI SDKs send them.
	return u.String()
}

func (r *runner) request(ctx context.Context, method, target, key string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("User-Agent", "bedrock-gateway-smoke/1")
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, redact(target), unwrapURLError(err))
	}
	return resp, nil
}

// readJSON reads a whole non-streamed answer and decodes it; a non-2xx status becomes an error carrying the
// OpenAI error message, which is what an operator needs to see in the table.
func readJSON(resp *http.Response, want int) (map[string]any, error) {
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("reading body: %v", err)
	}
	if resp.StatusCode != want {
		return nil, statusError(resp.StatusCode, raw)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return nil, fmt.Errorf("Content-Type is %q, want application/json", ct)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("body is not a JSON object: %v", err)
	}
	return m, nil
}

func statusError(code int, raw []byte) error {
	msg := strings.TrimSpace(string(raw))
	var e struct {
		Error struct {
			Message string `json:"message"`
			Type    string `json:"type"`
		} `json:"error"`
	}
	if json.Unmarshal(raw, &e) == nil && e.Error.Message != "" {
		msg = e.Error.Message
		if e.Error.Type != "" {
			msg += " (" + e.Error.Type + ")"
		}
	}
	if msg == "" {
		msg = http.StatusText(code)
	}
	return fmt.Errorf("HTTP %d: %s", code, msg)
}

func (r *runner) checkHealth(ctx context.Context) (string, error) {
	u := url.URL{Scheme: r.base.Scheme, Host: r.base.Host, Path: "/health"}
	resp, err := r.request(ctx, http.MethodGet, u.String(), "", nil)
	if err != nil {
		return "", err
	}
	m, err := readJSON(resp, http.StatusOK)
	if err != nil {
		return "", err
	}
	if s, _ := m["status"].(string); s != "ok" {
		return "", fmt.Errorf(`/health answered %v, want {"status":"ok"}`, m)
	}
	return u.String() + " ok", nil
}

// checkAuth proves that the deployment rejects a wrong key with an OpenAI-shaped 401: a gateway that answers
// anything else is either open to anyone who reaches it or will confuse the SDKs' error mapping.
func (r *runner) checkAuth(ctx context.Context) (string, error) {
	resp, err := r.request(ctx, http.MethodGet, r.endpoint("/models"), "smoke-test-wrong-key", nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if resp.StatusCode != http.StatusUnauthorized {
		return "", fmt.Errorf("a wrong key got HTTP %d, want 401", resp.StatusCode)
	}
	var e struct {
		Error *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(raw, &e); err != nil || e.Error == nil || e.Error.Message == "" {
		return "", errors.New(`401 body is not an OpenAI error {"error":{"message":…}}`)
	}
	return "401 " + e.Error.Message, nil
}

func (r *runner) checkModels(ctx context.Context) (string, error) {
	// Honour an explicit model even when /models fails, so the chat checks still run and show their own errors.
	r.model = r.opts.Model
	resp, err := r.request(ctx, http.MethodGet, r.endpoint("/models"), r.opts.Key, nil)
	if err != nil {
		return "", err
	}
	_, data, err := readList(resp)
	if err != nil {
		return "", err
	}
	if len(data) == 0 {
		return "", errors.New("the model list is empty (no model access granted in Bedrock, or a filter removes everything)")
	}
	var ids []string
	for i, item := range data {
		mm, ok := item.(map[string]any)
		if !ok {
			return "", fmt.Errorf("data[%d] is not an object", i)
		}
		if err := modelShape(mm); err != nil {
			return "", fmt.Errorf("data[%d]: %v", i, err)
		}
		ids = append(ids, mm["id"].(string))
	}
	detail := fmt.Sprintf("%d models", len(ids))
	if r.model != "" {
		if !contains(ids, r.model) {
			// Aliases (gpt-* → DEFAULT_MODEL) and profile ARNs may be accepted without being listed.
			detail += fmt.Sprintf("; %s is not listed, prompting it anyway", r.model)
		} else {
			detail += "; prompting " + r.model
		}
		return detail, nil
	}
	for _, id := range ids {
		if !strings.Contains(strings.ToLower(id), "embed") {
			r.model = id
			break
		}
	}
	if r.model == "" {
		return "", errors.New("no chat model listed (only embedding models)")
	}
	return detail + "; prompting the first chat model " + r.model, nil
}

func modelShape(m map[string]any) error {
	if id, _ := m["id"].(string); id == "" {
		return errors.New("no id")
	}
	if obj, _ := m["object"].(string); obj != "model" {
		return fmt.Errorf(`object is %q, want "model"`, obj)
	}
	if _, ok := m["created"].(float64); !ok {
		return errors.New("created is not a number")
	}
	if _, ok := m["owned_by"].(string); !ok {
		return errors.New("owned_by is not a string")
	}
	return nil
}

func (r *runner) checkModel(ctx context.Context) (string, error) {
	resp, err := r.request(ctx, http.MethodGet, r.endpoint("/models/"+r.model), r.opts.Key, nil)
	if err != nil {
		return "", err
	}
	m, err := readJSON(resp, http.StatusOK)
	if err != nil {
		return "", err
	}
	if err := modelShape(m); err != nil {
		return "", err
	}
	if id := m["id"].(string); id != r.model {
		return "", fmt.Errorf("asked for %q, got %q", r.model, id)
	}
	return "GET /models/" + r.model, nil
}

func (r *runner) chatBody(stream bool) map[string]any {
	body := map[string]any{
		"model":      r.model,
		"messages":   []any{map[string]any{"role": "user", "content": r.opts.Prompt}},
		"max_tokens": r.opts.MaxTokens,
		"stream":     stream,
	}
	if stream {
		// What Open WebUI sends for every user chat.
		body["stream_options"] = map[string]any{"include_usage": true}
	}
	return body
}

func (r *runner) checkChat(ctx context.Context) (string, error) {
	resp, err := r.request(ctx, http.MethodPost, r.endpoint("/chat/completions"), r.opts.Key, r.chatBody(false))
	if err != nil {
		return "", err
	}
	m, err := readJSON(resp, http.StatusOK)
	if err != nil {
		return "", err
	}
	c, err := completionShape(m)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("finish=%s, tokens %d+%d, %q", c.finish, c.usage.Prompt, c.usage.Completion, snippet(c.content)), nil
}

type completion struct {
	content string
	finish  string
	usage   Usage
}

func completionShape(m map[string]any) (completion, error) {
	var c completion
	if id, _ := m["id"].(string); id == "" {
		return c, errors.New("no id")
	}
	if obj, _ := m["object"].(string); obj != "chat.completion" {
		return c, fmt.Errorf(`object is %q, want "chat.completion"`, obj)
	}
	if created, _ := m["created"].(float64); created <= 0 {
		return c, errors.New("created is not a positive number")
	}
	if model, _ := m["model"].(string); model == "" {
		return c, errors.New("no model")
	}
	choices, _ := m["choices"].([]any)
	if len(choices) == 0 {
		return c, errors.New("no choices")
	}
	ch, _ := choices[0].(map[string]any)
	if ch == nil {
		return c, errors.New("choices[0] is not an object")
	}
	msg, _ := ch["message"].(map[string]any)
	if msg == nil {
		return c, errors.New("choices[0].message is missing")
	}
	if role, _ := msg["role"].(string); role != "assistant" {
		return c, fmt.Errorf(`message.role is %q, want "assistant"`, role)
	}
	c.content, _ = msg["content"].(string)
	if c.content == "" {
		return c, errors.New("choices[0].message.content is empty")
	}
	c.finish, _ = ch["finish_reason"].(string)
	if !ssecheck.ValidFinishReason(c.finish) {
		return c, fmt.Errorf("finish_reason %q is not one of stop, length, tool_calls, content_filter", c.finish)
	}
	u, err := usageShape(m["usage"])
	if err != nil {
		return c, err
	}
	c.usage = u
	return c, nil
}

func (r *runner) checkChatStream(ctx context.Context) (string, error) {
	start := time.Now()
	resp, err := r.request(ctx, http.MethodPost, r.endpoint("/chat/completions"), r.opts.Key, r.chatBody(true))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		return "", statusError(resp.StatusCode, raw)
	}
	// Open WebUI detects a stream by this header alone.
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		return "", fmt.Errorf("Content-Type is %q, want text/event-stream", ct)
	}
	sum, err := ValidateStream(resp.Body, true)
	if err != nil {
		return "", err
	}
	detail := fmt.Sprintf("%d chunks, finish=%s, tokens %d+%d", sum.Chunks, sum.FinishReason, sum.Usage.Prompt, sum.Usage.Completion)
	if !sum.FirstContentAt.IsZero() {
		detail += ", first text after " + sum.FirstContentAt.Sub(start).Round(time.Millisecond).String()
	}
	if sum.Comments > 0 {
		detail += fmt.Sprintf(", %d keep-alives", sum.Comments)
	}
	return detail + fmt.Sprintf(", %q", snippet(sum.Content)), nil
}

func (r *runner) checkEmbeddings(ctx context.Context) (string, error) {
	inputs := []string{"Open WebUI on Amazon Bedrock: smoke test.", "A second text, to check the order of the vectors."}
	body := map[string]any{"model": r.opts.EmbeddingModel, "input": inputs, "encoding_format": "float"}
	resp, err := r.request(ctx, http.MethodPost, r.endpoint("/embeddings"), r.opts.Key, body)
	if err != nil {
		return "", err
	}
	m, data, err := readList(resp)
	if err != nil {
		return "", err
	}
	if len(data) != len(inputs) {
		return "", fmt.Errorf("%d embeddings for %d inputs", len(data), len(inputs))
	}
	dims := 0
	for i, item := range data {
		e, _ := item.(map[string]any)
		if e == nil {
			return "", fmt.Errorf("data[%d] is not an object", i)
		}
		if obj, _ := e["object"].(string); obj != "embedding" {
			return "", fmt.Errorf(`data[%d].object is %q, want "embedding"`, i, obj)
		}
		// Open WebUI reads data[] in order without sorting, so index must match the position.
		if idx, ok := e["index"].(float64); !ok || int(idx) != i {
			return "", fmt.Errorf("data[%d].index is %v, want %d", i, e["index"], i)
		}
		vec, ok := e["embedding"].([]any)
		if !ok || len(vec) == 0 {
			return "", fmt.Errorf("data[%d].embedding is not a non-empty float array", i)
		}
		for j, v := range vec {
			f, ok := v.(float64)
			if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
				return "", fmt.Errorf("data[%d].embedding[%d] is not a finite number", i, j)
			}
		}
		if dims != 0 && len(vec) != dims {
			return "", fmt.Errorf("vectors differ in length: %d and %d", dims, len(vec))
		}
		dims = len(vec)
	}
	usage, _ := m["usage"].(map[string]any)
	if _, ok := usage["prompt_tokens"].(float64); !ok {
		return "", errors.New("usage.prompt_tokens is missing")
	}
	return fmt.Sprintf("%d vectors of %d dimensions from %s", len(data), dims, r.opts.EmbeddingModel), nil
}

func usageShape(v any) (Usage, error) {
	var u Usage
	m, _ := v.(map[string]any)
	if m == nil {
		return u, errors.New("usage is missing")
	}
	p, ok1 := m["prompt_tokens"].(float64)
	c, ok2 := m["completion_tokens"].(float64)
	t, ok3 := m["total_tokens"].(float64)
	if !ok1 || !ok2 || !ok3 {
		return u, errors.New("usage lacks prompt_tokens, completion_tokens or total_tokens")
	}
	u = Usage{Prompt: int(p), Completion: int(c), Total: int(t)}
	return u, u.Check()
}

func snippet(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 40 {
		return string(r[:39]) + "…"
	}
	return s
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// unwrapURLError drops url.Error's repetition of method and URL, which the caller already reports.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// redact drops user info from a URL before it reaches the table.
func redact(target string) string {
	u, err := url.Parse(target)
	if err != nil {
		return target
	}
	u.User = nil
	return u.String()
}

// readList reads a 200 {"object":"list","data":[…]} body (GET /models, POST /embeddings).
func readList(resp *http.Response) (map[string]any, []any, error) {
	m, err := readJSON(resp, http.StatusOK)
	if err != nil {
		return nil, nil, err
	}
	if obj, _ := m["object"].(string); obj != "list" {
		return nil, nil, fmt.Errorf(`object is %q, want "list"`, obj)
	}
	data, ok := m["data"].([]any)
	if !ok {
		return nil, nil, errors.New("data is not an array")
	}
	return m, data, nil
}
