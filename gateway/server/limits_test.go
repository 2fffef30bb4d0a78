package server

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestKeyLimiterTokenBucket(t *testing.T) {
	l := newKeyLimiter(0, 60) // one per second, bursts of 60
	now := time.Unix(1000, 0)
	for i := range 60 {
		if ok, _, release := l.take(now); !ok {
			t.Fatalf("request %d of the burst refused", i)
		} else {
			release()
		}
	}
	ok, retry, _ := l.take(now)
	if ok || retry != 1 {
		t.Fatalf("61st request: ok=%v retry=%d", ok, retry)
	}
	if ok, _, _ := l.take(now.Add(1500 * time.Millisecond)); !ok {
		t.Fatal("a token should have refilled after 1.5 s")
	}
}

func TestPerKeyConcurrencyLimit(t *testing.T) {
	g := startGateway(t)
	g.srv.limits[0] = newKeyLimiter(2, 0)
	var wg sync.WaitGroup
	statuses := make(chan int, 5)
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", g.URL+"/chat/completions", strings.NewReader(
				`{"model":"`+haiku+`","messages":[{"role":"user","content":"[[emulate:delay-ms=300]]"}]}`))
			req.Header.Set("Authorization", "Bearer "+testKey)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode == 429 && resp.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
			statuses <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[200] != 2 || count[429] != 3 {
		t.Fatalf("want 2 served and 3 refused, got %v", count)
	}
}

func TestTooManyMessages(t *testing.T) {
	g := startGateway(t)
	g.srv.opts.MaxMessages = 3
	msgs := strings.Repeat(`{"role":"user","content":"x"},`, 4)
	wantError(t, g.do("POST", "/chat/completions", `{"model":"`+haiku+`","messages":[`+strings.TrimSuffix(msgs, ",")+`]}`), 400, "")
}

// A client that sends headers and then trickles (or stops sending) its body gets a 408, not a goroutine held forever.
func TestSlowBodyGets408(t *testing.T) {
	g := startGateway(t)
	g.srv.opts.BodyReadTimeout = 200 * time.Millisecond
	u := strings.TrimPrefix(strings.TrimSuffix(g.URL, "/api/v1"), "http://")
	conn, err := net.Dial("tcp", u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("POST /api/v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + testKey +
		"\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"model\":"))
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("status %d", resp.StatusCode)
	}
}
