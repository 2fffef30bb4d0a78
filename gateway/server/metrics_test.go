package server

import (
	"io"
	"regexp"
	"strings"
	"testing"
)

func TestMetricsAndServerTiming(t *testing.T) {
	g := startGateway(t)
	resp := g.chat(haiku, "hello", false, "")
	st := resp.Header.Get("Server-Timing")
	if !regexp.MustCompile(`^gateway;dur=\d+\.\d{3}, bedrock;dur=\d+\.\d{3}$`).MatchString(st) {
		t.Fatalf("Server-Timing %q", st)
	}
	resp.Body.Close()
	readSSE(t, g.chat(haiku, "stream [[emulate:words=5]]", true, ""))
	wantError(t, g.chat("evil-model-name-xyz", "x", false, ""), 404, "model_not_found")
	wantError(t, g.chat(haiku, "[[emulate:throttle]]", false, ""), 429, "")
	readSSE(t, g.chat(haiku, "[[emulate:words=5]] [[emulate:error-after=2]]", true, "")) // fails after its 200

	wantError(t, g.do("GET", strings.TrimSuffix(g.URL, "/api/v1")+"/metrics", "", "Authorization", ""), 401, "invalid_api_key")
	resp = g.do("GET", strings.TrimSuffix(g.URL, "/api/v1")+"/metrics", "")
	b, _ := io.ReadAll(resp.Body)
	body := string(b)
	for _, want := range []string{
		`gateway_requests_total{method="POST",route="/api/v1/chat/completions",status="200"} 3`,
		`gateway_time_to_first_token_seconds_count{model="` + haiku + `"} 2`,
		`gateway_inter_token_latency_seconds_count{model="` + haiku + `"}`,
		`gateway_tokens_total{model="` + haiku + `",type="output"}`,
		`gateway_upstream_duration_seconds_count{model="` + haiku + `",operation="Converse"}`,
		`gateway_upstream_duration_seconds_count{model="` + haiku + `",operation="ConverseStream"} 2`,
		`gateway_overhead_seconds_count{route="/api/v1/chat/completions"} 1`,
		`gateway_active_streams 0`,
		`gateway_errors_total{class="client",type="invalid_request_error"} 2`, // the unknown model and the keyless scrape
		`gateway_errors_total{class="upstream",type="rate_limit_error"} 1`,
		`gateway_errors_total{class="upstream",type="server_error"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, "evil-model-name-xyz") {
		t.Errorf("an unknown model name became a label value")
	}
}
