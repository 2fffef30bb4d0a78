package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMDrainsInFlightStreams runs the real binary: on SIGTERM, /health turns 503 and new requests are refused
// while an in-flight stream finishes; then the process exits 0.
func TestSIGTERMDrainsInFlightStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "bedrock-gateway")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-emulator", "-addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "API_KEY=k", "SHUTDOWN_TIMEOUT=30s")
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(stdout)
	var base string
	for lines.Scan() {
		var v struct{ Msg, Addr string }
		if json.Unmarshal(lines.Bytes(), &v) == nil && v.Msg == "gateway started" {
			base = "http://" + v.Addr
			break
		}
	}
	if base == "" {
		t.Fatal("no start-up line")
	}
	go io.Copy(io.Discard, stdout)

	// A slow stream: 10 words, 100 ms apart.
	req, _ := http.NewRequest("POST", base+"/api/v1/chat/completions", strings.NewReader(
		`{"model":"anthropic.claude-3-haiku-20240307-v1:0","stream":true,"messages":[{"role":"user","content":"[[emulate:words=10]] [[emulate:delay-ms=100]]"}]}`))
	req.Header.Set("Authorization", "Bearer k")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("stream: %v %v", err, resp)
	}
	first := make([]byte, 64)
	if _, err := resp.Body.Read(first); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)

	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	h, err := fresh.Get(base + "/health")
	if err != nil || h.StatusCode != 503 {
		t.Fatalf("health while draining: %v %v", err, h)
	}
	r2, _ := http.NewRequest("POST", base+"/api/v1/chat/completions", strings.NewReader(`{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`))
	r2.Header.Set("Authorization", "Bearer k")
	if resp2, err := fresh.Do(r2); err == nil && resp2.StatusCode != 503 {
		t.Fatalf("new request while draining: %d", resp2.StatusCode)
	}

	rest, err := io.ReadAll(resp.Body)
	if err != nil || !strings.HasSuffix(string(rest), "data: [DONE]\n\n") || !strings.Contains(string(rest), `"finish_reason":"stop"`) {
		t.Fatalf("in-flight stream did not finish cleanly: %v %q", err, rest)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the process did not exit after draining")
	}
}
