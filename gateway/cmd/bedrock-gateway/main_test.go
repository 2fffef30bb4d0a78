package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openwebui-bedrock/gateway/emulator"
)

// syncBuffer collects a writer's output for a test while run() writes to it from other goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type running struct {
	base   string // http://addr
	stdout *syncBuffer
	stderr *syncBuffer
	stop   func() error
}

// start runs the program in-process and waits for its start-up log line.
func start(t *testing.T, env map[string]string, args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	out, errOut := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), func(k string) string { return env[k] }, pw, errOut)
		pw.Close()
	}()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			out.Write([]byte(line + "\n"))
			var v struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &v) == nil && v.Msg == "gateway started" {
				addr <- v.Addr
			}
		}
	}()
	r := &running{stdout: out, stderr: errOut}
	var once sync.Once
	var stopErr error
	r.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(10 * time.Second):
				t.Error("run did not return after cancel")
			}
		})
		return stopErr
	}
	select {
	case a := <-addr:
		r.base = "http://" + a
	case err := <-done:
		t.Fatalf("run exited early: %v\n%s%s", err, out.String(), errOut.String())
	case <-time.After(30 * time.Second):
		t.Fatal("no start-up line")
	}
	t.Cleanup(func() { r.stop() })
	return r
}

func get(t *testing.T, url, key string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestEmulatorModeGeneratesAKeyAndStopsCleanly(t *testing.T) {
	r := start(t, map[string]string{}, "-emulator")
	if code, body := get(t, r.base+"/health", ""); code != 200 || body != `{"status":"ok"}` {
		t.Fatalf("health %d %s", code, body)
	}
	m := regexp.MustCompile(`API key \(generated for this run\): (\S+)`).FindStringSubmatch(r.stderr.String())
	if m == nil || !strings.Contains(r.stderr.String(), "curl -s http://localhost:") {
		t.Fatalf("no key/curl banner:\n%s", r.stderr.String())
	}
	if code, body := get(t, r.base+"/api/v1/models", m[1]); code != 200 || !strings.Contains(body, "anthropic.claude-3-haiku") {
		t.Fatalf("models with the printed key: %d %s", code, body)
	}
	if code, _ := get(t, r.base+"/api/v1/models", "wrong"); code != 401 {
		t.Fatalf("wrong key: %d", code)
	}
	var started struct {
		Version, Addr, Region string
		Models                int
	}
	line := strings.SplitN(r.stdout.String(), "\n", 2)[0]
	if err := json.Unmarshal([]byte(line), &started); err != nil || started.Version == "" || started.Region == "" || started.Models == 0 {
		t.Fatalf("start-up line lacks version/region/models: %s", line)
	}
	if strings.Contains(r.stdout.String(), m[1]) {
		t.Fatalf("the key reached the JSON logs")
	}
	if err := r.stop(); err != nil {
		t.Fatalf("run returned %v after cancel", err)
	}
}

func TestEmulatorModeUsesAPIKeyWhenSet(t *testing.T) {
	r := start(t, map[string]string{"API_KEY": "my-key", "API_ROUTE_PREFIX": "/v1"}, "-emulator")
	if code, _ := get(t, r.base+"/v1/models", "my-key"); code != 200 {
		t.Fatalf("API_KEY not used: %d", code)
	}
	if strings.Contains(r.stderr.String(), "generated for this run") {
		t.Fatalf("printed a generated key although API_KEY is set")
	}
}

func TestStartupErrors(t *testing.T) {
	isolateAWS(t)
	err := run(context.Background(), []string{"-addr", "127.0.0.1:0"}, func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "API_KEY") {
		t.Fatalf("no key outside emulator mode: %v", err)
	}
	err = run(context.Background(), []string{"-emulator"}, func(k string) string { return map[string]string{"PORT": "eighty"}[k] }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "PORT") {
		t.Fatalf("invalid PORT: %v", err)
	}
	err = run(context.Background(), []string{"-bogus"}, func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil {
		t.Fatalf("unknown flag accepted")
	}
}

// isolateAWS keeps the SDK's default chain away from the developer's ~/.aws and instance metadata.
func isolateAWS(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_PROFILE", "")
}

// Outside emulator mode the gateway uses the default credential chain and the SDK's standard endpoint overrides, so
// it can point at a standalone emulator like any AWS endpoint.
func TestStandaloneEmulatorThroughStandardEndpointOverrides(t *testing.T) {
	emu, err := emulator.Start(emulator.Config{Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	isolateAWS(t)
	t.Setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emu.URL)
	t.Setenv("AWS_ENDPOINT_URL_BEDROCK", emu.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", emulator.DefaultAccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", emulator.DefaultSecretAccessKey)
	r := start(t, map[string]string{"API_KEY": "k", "AWS_REGION": "eu-west-1"})
	code, body := get(t, r.base+"/api/v1/models", "k")
	if code != 200 || !strings.Contains(body, "eu.anthropic.claude-3-haiku") {
		t.Fatalf("models from the standalone emulator: %d %s", code, body)
	}
	req, _ := http.NewRequest("POST", r.base+"/api/v1/chat/completions", strings.NewReader(
		`{"model":"eu.anthropic.claude-3-haiku-20240307-v1:0","messages":[{"role":"user","content":"hello"}]}`))
	req.Header.Set("Authorization", "Bearer k")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), "You said: hello") {
		t.Fatalf("chat: %d %s", resp.StatusCode, b)
	}
}

func TestHealthcheckSubcommand(t *testing.T) {
	r := start(t, map[string]string{"API_KEY": "k"}, "-emulator")
	port := r.base[strings.LastIndex(r.base, ":")+1:]
	env := func(k string) string { return map[string]string{"PORT": port}[k] }
	if err := run(context.Background(), []string{"healthcheck"}, env, io.Discard, io.Discard); err != nil {
		t.Fatalf("healthy gateway: %v", err)
	}
	r.stop()
	if err := run(context.Background(), []string{"healthcheck"}, env, io.Discard, io.Discard); err == nil {
		t.Fatal("healthcheck passed with the gateway down")
	}
}

func TestSmokeSubcommand(t *testing.T) {
	r := start(t, map[string]string{"API_KEY": "k"}, "-emulator")
	var out strings.Builder
	err := run(context.Background(), []string{"smoke", "--url", r.base + "/api/v1", "--key", "k", "--embedding-model", "cohere.embed-multilingual-v3"},
		func(string) string { return "" }, &out, io.Discard)
	if err != nil || !strings.Contains(out.String(), "PASS") || strings.Contains(out.String(), "FAIL") {
		t.Fatalf("smoke against a healthy gateway: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"smoke", "--url", r.base, "--key", "wrong"}, func(string) string { return "" }, &out, io.Discard); err == nil {
		t.Fatalf("smoke passed with a wrong key:\n%s", out.String())
	}
}
