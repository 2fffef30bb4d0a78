package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRunServesAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	env := map[string]string{"EMULATOR_ACCESS_KEY_ID": "AKIDCMD", "EMULATOR_SECRET_ACCESS_KEY": "cmd-secret"}
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-region", "eu-west-1"}, func(k string) string { return env[k] }, pw)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	var rec map[string]any
	if err := json.Unmarshal([]byte(line), &rec); err != nil {
		t.Fatalf("not JSON: %q", line)
	}
	hint, _ := rec["hint"].(string)
	for _, want := range []string{"AWS_ENDPOINT_URL_BEDROCK_RUNTIME=http://127.0.0.1:", "AWS_ACCESS_KEY_ID=AKIDCMD", "AWS_REGION=eu-west-1"} {
		if !strings.Contains(hint, want) {
			t.Fatalf("hint %q lacks %q", hint, want)
		}
	}
	resp, err := http.Get(rec["url"].(string) + "/_emulator/stats")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("did not stop")
	}
}
