package imagefetch

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Minimal bodies that carry each format's magic number (the fetcher sniffs, it does not decode).
var (
	pngBytes  = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), bytes.Repeat([]byte{1}, 64)...)
	jpegBytes = append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0}, bytes.Repeat([]byte{2}, 64)...)
	gifBytes  = append([]byte("GIF89a\x01\x00\x01\x00\x80\x00\x00"), bytes.Repeat([]byte{3}, 64)...)
	gif87     = append([]byte("GIF87a\x01\x00\x01\x00"), bytes.Repeat([]byte{3}, 8)...)
	webpBytes = append([]byte("RIFF\x24\x00\x00\x00WEBPVP8 "), bytes.Repeat([]byte{4}, 64)...)
)

// serve starts a loopback server and counts the requests it receives, so tests can prove a refused fetch never
// reached it.
func serve(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts, &hits
}

func body(ct string, b []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if ct != "" {
			w.Header().Set("Content-Type", ct)
		} else {
			w.Header()["Content-Type"] = nil // stop net/http sniffing one in
		}
		w.Write(b)
	}
}

// reason asserts err is an *Error whose client-facing reason contains want.
func reason(t *testing.T, err error, want string) {
	t.Helper()
	var fe *Error
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v (%T), want *Error containing %q", err, err, want)
	}
	if !strings.Contains(fe.Error(), want) {
		t.Fatalf("reason = %q, want it to contain %q (cause: %v)", fe.Error(), want, fe.Err)
	}
}

func TestFetchFormats(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, ct string
		body     []byte
		want     string
	}{
		{"png", "image/png", pngBytes, "png"},
		{"jpeg", "image/jpeg", jpegBytes, "jpeg"},
		{"gif89a", "image/gif", gifBytes, "gif"},
		{"gif87a", "image/gif", gif87, "gif"},
		{"webp", "image/webp", webpBytes, "webp"},
		{"declared type is wrong", "image/png", jpegBytes, "jpeg"},
		{"octet-stream", "application/octet-stream", webpBytes, "webp"},
		{"no content type", "", pngBytes, "png"},
		{"text/plain but png bytes", "text/plain", pngBytes, "png"},
		{"tiny jpeg", "image/jpeg", []byte{0xFF, 0xD8, 0xFF}, "jpeg"},
	}
	var gotUA, gotAE atomic.Value
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
				gotUA.Store(r.UserAgent())
				gotAE.Store(r.Header.Get("Accept-Encoding"))
				body(tc.ct, tc.body)(w, r)
			})
			f := New(Config{AllowPrivate: true, UserAgent: "test-agent"})
			data, format, err := f.Fetch(context.Background(), ts.URL+"/img")
			if err != nil {
				t.Fatal(err)
			}
			if format != tc.want || !bytes.Equal(data, tc.body) {
				t.Fatalf("format %q, %d bytes; want %q, %d bytes", format, len(data), tc.want, len(tc.body))
			}
			if gotUA.Load() != "test-agent" {
				t.Errorf("User-Agent %q", gotUA.Load())
			}
			if gotAE.Load() != "" {
				t.Errorf("Accept-Encoding %q: transparent decompression must be off", gotAE.Load())
			}
		})
	}
}

func TestFetchRejectsContent(t *testing.T) {
	t.Parallel()
	const max = 1000
	big := append(append([]byte{}, pngBytes...), bytes.Repeat([]byte{0}, max)...)
	cases := []struct {
		name string
		h    http.HandlerFunc
		want string // reason substring; "" means success
	}{
		{"html page", body("text/html; charset=utf-8", []byte("<!doctype html><p>not found</p>")),
			"image URL did not return an image (content type text/html)"},
		{"bad parameter", body("text/html; charset", []byte("<p>x</p>")), "(content type text/html)"},
		{"json", body("application/json", []byte(`{"error":"x"}`)), "(content type application/json)"},
		{"svg", body("image/svg+xml", []byte("<svg xmlns='http://www.w3.org/2000/svg'/>")),
			"unsupported image type (image/svg+xml)"},
		{"bmp bytes, no type", body("", []byte("BM\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")),
			"did not return a PNG, JPEG, GIF or WebP image"},
		{"garbage content type", body("@@@", []byte("hello world, not an image")),
			"did not return a PNG, JPEG, GIF or WebP image"},
		{"empty body", body("image/png", nil), "empty response"},
		{"404", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, "HTTP status 404"},
		{"500", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }, "HTTP status 500"},
		{"206 partial", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(206); w.Write(pngBytes) }, "HTTP status 206"},
		{"exactly the cap", body("image/png", big[:max]), ""},
		{"over the cap with Content-Length", body("image/png", big[:max+1]), "image is larger than 1000 bytes"},
		{"over the cap, chunked", func(w http.ResponseWriter, r *http.Request) {
			w.Write(pngBytes)
			w.(http.Flusher).Flush() // no Content-Length: the cap must hold while reading
			for range 20 {
				w.Write(bytes.Repeat([]byte{0}, 100))
			}
		}, "image is larger than 1000 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts, _ := serve(t, tc.h)
			f := New(Config{AllowPrivate: true, MaxBytes: max})
			data, _, err := f.Fetch(context.Background(), ts.URL)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(data) > max {
					t.Fatalf("%d bytes exceeds the cap", len(data))
				}
				return
			}
			reason(t, err, tc.want)
		})
	}
}

func TestDefaultSizeMessage(t *testing.T) {
	f := New(Config{})
	if got := f.tooLarge(nil).Error(); got != "image is larger than 3.75 MiB" {
		t.Fatalf("%q", got)
	}
	if DefaultMaxBytes != 3932160 {
		t.Fatal("Bedrock's per-image limit is 3.75 MiB")
	}
}

// TestURLRules covers everything refused before a connection is attempted, under the default (production) config.
func TestURLRules(t *testing.T) {
	t.Parallel()
	f := New(Config{})
	cases := []struct{ url, want string }{
		{"ftp://example.com/a.png", "must use http or https"},
		{"file:///etc/passwd", "must use http or https"},
		{"gopher://example.com/", "must use http or https"},
		{"data:image/png;base64,AAAA", "must use http or https"},
		{"//example.com/a.png", "must use http or https"},
		{"example.com/a.png", "must use http or https"},
		{"http://user:pass@example.com/a.png", "must not contain a user name or password"},
		{"https://user@example.com/a.png", "must not contain a user name or password"},
		{"http:///a.png", "has no host"},
		{"http://example.com:8080/a.png", "port must be 80 or 443"},
		{"http://example.com:22/", "port must be 80 or 443"},
		{"http://127.0.0.1/", "points to a private or reserved address"},
		{"http://127.0.0.1:80/", "points to a private or reserved address"},
		{"http://169.254.169.254/latest/meta-data/iam/security-credentials/", "points to a private or reserved address"},
		{"http://169.254.170.2/v2/credentials/x", "points to a private or reserved address"},
		{"http://[fd00:ec2::254]/latest/meta-data/", "points to a private or reserved address"},
		{"http://[::ffff:127.0.0.1]/", "points to a private or reserved address"},
		{"http://[::ffff:a9fe:a9fe]/", "points to a private or reserved address"},
		{"http://[64:ff9b::a9fe:a9fe]/", "points to a private or reserved address"},
		{"http://[::1]/", "points to a private or reserved address"},
		{"http://[fe80::1%25eth0]/", "points to a private or reserved address"},
		{"http://0.0.0.0/", "points to a private or reserved address"},
		{"http://10.0.0.1/", "points to a private or reserved address"},
		{"http://100.64.0.1/", "points to a private or reserved address"},
		{"https://192.168.1.1/", "points to a private or reserved address"},
		{"http://255.255.255.255/", "points to a private or reserved address"},
		{"http://%zz/", "not a valid URL"},
		{"https://example.com/" + strings.Repeat("a", maxURLLength), "too long"},
	}
	for _, tc := range cases {
		_, _, err := f.Fetch(context.Background(), tc.url)
		reason(t, err, tc.want)
	}
}

// TestDefaultRefusesLoopback proves the dial hook: a server really is listening on 127.0.0.1, the port rule is
// lifted (test hook) so only the address check stands between the fetch and the server, and it is never reached —
// by literal address, by a name that resolves to it, or by the numeric forms some resolvers accept.
func TestDefaultRefusesLoopback(t *testing.T) {
	t.Parallel()
	ts, hits := serve(t, body("image/png", pngBytes))
	port := ts.Listener.Addr().(*net.TCPAddr).Port
	f := New(Config{})
	f.anyPort = true
	f.resolver = noDNS // hermetic: localhost comes from /etc/hosts, numeric forms must not reach a real DNS server
	for _, u := range []string{
		fmt.Sprintf("http://127.0.0.1:%d/", port),
		fmt.Sprintf("http://localhost:%d/", port), // resolves via /etc/hosts; only the dial hook can catch it
		fmt.Sprintf("http://LOCALHOST.:%d/", port),
		fmt.Sprintf("http://2130706433:%d/", port), // 127.0.0.1 in decimal
		fmt.Sprintf("http://0x7f.1:%d/", port),
		fmt.Sprintf("http://[::ffff:127.0.0.1]:%d/", port),
		fmt.Sprintf("http://0.0.0.0:%d/", port), // 0.0.0.0 reaches local listeners on Linux
	} {
		_, _, err := f.Fetch(context.Background(), u)
		var fe *Error
		if !errors.As(err, &fe) {
			t.Errorf("%s: err = %v, want *Error", u, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the loopback server was reached %d times", n)
	}
	_, _, err := f.Fetch(context.Background(), fmt.Sprintf("http://localhost:%d/", port))
	reason(t, err, reasonPrivate)

	// Control: the same server is reachable when the checks are relaxed, so the refusals above were the guard's.
	for _, cfg := range []Config{{AllowPrivate: true}, {AllowHosts: []string{"localhost"}}} {
		g := New(cfg)
		if _, _, err := g.Fetch(context.Background(), fmt.Sprintf("http://localhost:%d/", port)); err != nil {
			t.Fatalf("%+v: %v", cfg, err)
		}
	}
	// AllowHosts is per host: localhost is allowed, 127.0.0.1 is not.
	g := New(Config{AllowHosts: []string{"localhost"}})
	g.anyPort = true
	_, _, err = g.Fetch(context.Background(), fmt.Sprintf("http://127.0.0.1:%d/", port))
	reason(t, err, "private or reserved address")
}

// fakeDNS answers every A query with ip4 and every AAAA query with no records, like an attacker's authoritative
// server would for a rebinding or internal-pointing name.
func fakeDNS(t *testing.T, ip4 string) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	a := netip.MustParseAddr(ip4).As4()
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			q := buf[:n]
			if len(q) < 12 {
				continue
			}
			end := 12
			for end < len(q) && q[end] != 0 {
				end += int(q[end]) + 1
			}
			end += 5 // root label + qtype + qclass
			if end > len(q) {
				continue
			}
			qtype := binary.BigEndian.Uint16(q[end-4:])
			resp := append([]byte{}, q[:2]...)
			resp = append(resp, 0x81, 0x80, 0, 1) // response, RD, RA, NOERROR; one question
			if qtype == 1 {
				resp = append(resp, 0, 1, 0, 0, 0, 0) // one answer
			} else {
				resp = append(resp, 0, 0, 0, 0, 0, 0)
			}
			resp = append(resp, q[12:end]...)
			if qtype == 1 {
				resp = append(resp, 0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4)
				resp = append(resp, a[:]...)
			}
			pc.WriteTo(resp, from)
		}
	}()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp4", pc.LocalAddr().String())
	}}
}

// TestResolvedNameRefused: an attacker-controlled name that resolves to loopback or to the metadata address is
// refused at connect time; the allow-list lets an operator's internal name through.
func TestResolvedNameRefused(t *testing.T) {
	t.Parallel()
	ts, hits := serve(t, body("image/png", pngBytes))
	port := ts.Listener.Addr().(*net.TCPAddr).Port

	f := New(Config{})
	f.anyPort = true
	f.resolver = fakeDNS(t, "127.0.0.1")
	_, _, err := f.Fetch(context.Background(), fmt.Sprintf("http://rebind.attacker.example:%d/x.png", port))
	reason(t, err, reasonPrivate)
	if hits.Load() != 0 {
		t.Fatal("server reached")
	}
	var fe *Error
	errors.As(err, &fe)
	if !strings.Contains(fmt.Sprint(fe.Err), "loopback") || strings.Contains(fe.Error(), "127.0.0.1") {
		t.Errorf("cause %v / reason %q: the address belongs in the cause, not the reason", fe.Err, fe.Error())
	}

	m := New(Config{})
	m.resolver = fakeDNS(t, "169.254.169.254")
	_, _, err = m.Fetch(context.Background(), "http://metadata.attacker.example/latest/meta-data/")
	reason(t, err, reasonPrivate)
	errors.As(err, &fe)
	if !strings.Contains(fmt.Sprint(fe.Err), "metadata") {
		t.Errorf("cause %v", fe.Err)
	}

	// Allow-list by suffix: an internal image server's name is let through...
	g := New(Config{AllowHosts: []string{"*.images.internal"}})
	g.resolver = fakeDNS(t, "127.0.0.1")
	if _, _, err := g.Fetch(context.Background(), fmt.Sprintf("http://cdn.IMAGES.internal.:%d/x.png", port)); err != nil {
		t.Fatal(err)
	}
	// ...but not the bare suffix, nor a look-alike.
	g.anyPort = true
	for _, h := range []string{"images.internal", "evilimages.internal", "images.internal.attacker.example"} {
		_, _, err := g.Fetch(context.Background(), fmt.Sprintf("http://%s:%d/x.png", h, port))
		reason(t, err, reasonPrivate)
	}
}

// noDNS resolves only from /etc/hosts.
var noDNS = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
	return nil, errors.New("no DNS in this test")
}}

func redirectTo(target string, code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, target, code) }
}

func TestRedirects(t *testing.T) {
	t.Parallel()
	img, imgHits := serve(t, body("image/png", pngBytes))
	imgPort := img.Listener.Addr().(*net.TCPAddr).Port

	t.Run("allowed host to forbidden literal address", func(t *testing.T) {
		t.Parallel()
		hop, _ := serve(t, redirectTo(img.URL+"/x.png", http.StatusFound)) // http://127.0.0.1:port
		hopPort := hop.Listener.Addr().(*net.TCPAddr).Port
		f := New(Config{AllowHosts: []string{"localhost"}})
		f.anyPort = true
		before := imgHits.Load()
		_, _, err := f.Fetch(context.Background(), fmt.Sprintf("http://localhost:%d/", hopPort))
		reason(t, err, "redirect target points to a private or reserved address")
		if imgHits.Load() != before {
			t.Fatal("forbidden target reached")
		}
	})
	t.Run("allowed host to forbidden name (dial hook)", func(t *testing.T) {
		t.Parallel()
		hop, _ := serve(t, redirectTo(fmt.Sprintf("http://localhost:%d/x.png", imgPort), http.StatusMovedPermanently))
		f := New(Config{AllowHosts: []string{"127.0.0.1"}})
		f.anyPort = true
		before := imgHits.Load()
		_, _, err := f.Fetch(context.Background(), hop.URL)
		reason(t, err, reasonPrivate)
		if imgHits.Load() != before {
			t.Fatal("forbidden target reached")
		}
	})
	t.Run("to metadata", func(t *testing.T) {
		t.Parallel()
		hop, _ := serve(t, redirectTo("http://169.254.169.254/latest/meta-data/", http.StatusFound))
		f := New(Config{AllowHosts: []string{"127.0.0.1"}})
		_, _, err := f.Fetch(context.Background(), hop.URL)
		reason(t, err, "redirect target points to a private or reserved address")
	})
	t.Run("to another scheme", func(t *testing.T) {
		t.Parallel()
		hop, _ := serve(t, redirectTo("file:///etc/passwd", http.StatusFound))
		_, _, err := New(Config{AllowPrivate: true}).Fetch(context.Background(), hop.URL)
		reason(t, err, "redirect target must use http or https")
	})
	t.Run("to userinfo", func(t *testing.T) {
		t.Parallel()
		u, _ := url.Parse(img.URL)
		u.User = url.UserPassword("a", "b")
		hop, _ := serve(t, redirectTo(u.String(), http.StatusFound))
		_, _, err := New(Config{AllowPrivate: true}).Fetch(context.Background(), hop.URL)
		reason(t, err, "redirect target must not contain a user name or password")
	})
	t.Run("chain limit", func(t *testing.T) {
		t.Parallel()
		// n hops: /n → /n-1 → … → /0 → image.
		chain, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
			n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
			if n == 0 {
				body("image/gif", gifBytes)(w, r)
				return
			}
			http.Redirect(w, r, "/"+strconv.Itoa(n-1), http.StatusFound)
		})
		f := New(Config{AllowPrivate: true, MaxRedirects: 2})
		if _, format, err := f.Fetch(context.Background(), chain.URL+"/2"); err != nil || format != "gif" {
			t.Fatalf("2 redirects: %q %v", format, err)
		}
		_, _, err := f.Fetch(context.Background(), chain.URL+"/3")
		reason(t, err, "redirected more than 2 times")
		if _, _, err := New(Config{AllowPrivate: true}).Fetch(context.Background(), chain.URL+"/3"); err != nil {
			t.Fatalf("default allows 3: %v", err)
		}
		_, _, err = New(Config{AllowPrivate: true}).Fetch(context.Background(), chain.URL+"/4")
		reason(t, err, "redirected more than 3 times")
		_, _, err = New(Config{AllowPrivate: true, MaxRedirects: -1}).Fetch(context.Background(), chain.URL+"/1")
		reason(t, err, "redirected more than 0 times")
	})
	t.Run("https to http refused, http to https allowed", func(t *testing.T) {
		t.Parallel()
		tlsImg := httptest.NewUnstartedServer(body("image/webp", webpBytes))
		tlsImg.Config.ErrorLog = log.New(io.Discard, "", 0) // the bad-certificate case below is expected
		tlsImg.StartTLS()
		t.Cleanup(tlsImg.Close)
		down := httptest.NewTLSServer(redirectTo(img.URL+"/x.png", http.StatusFound))
		t.Cleanup(down.Close)
		up, _ := serve(t, redirectTo(tlsImg.URL+"/x.webp", http.StatusFound))

		f := New(Config{AllowPrivate: true})
		f.transport.TLSClientConfig = tlsImg.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
		before := imgHits.Load()
		_, _, err := f.Fetch(context.Background(), down.URL)
		reason(t, err, "redirected from https to an insecure URL")
		if imgHits.Load() != before {
			t.Fatal("insecure target reached")
		}
		if _, format, err := f.Fetch(context.Background(), up.URL); err != nil || format != "webp" {
			t.Fatalf("upgrade: %q %v", format, err)
		}
		// Without the test CA the certificate is refused with a clear reason.
		_, _, err = New(Config{AllowPrivate: true}).Fetch(context.Background(), tlsImg.URL)
		reason(t, err, "TLS certificate is not valid")
	})
}

func TestTimeouts(t *testing.T) {
	t.Parallel()
	stall := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}
	slowHeaders, _ := serve(t, stall)
	slowBody, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write(pngBytes)
		w.(http.Flusher).Flush()
		stall(w, r)
	})
	f := New(Config{AllowPrivate: true, Timeout: 150 * time.Millisecond})
	for _, u := range []string{slowHeaders.URL, slowBody.URL} {
		_, _, err := f.Fetch(context.Background(), u)
		reason(t, err, reasonTimeout)
	}

	// The caller's own cancellation is reported as such, not as a bad image URL.
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	_, _, err := New(Config{AllowPrivate: true}).Fetch(ctx, slowHeaders.URL)
	var fe *Error
	if !errors.Is(err, context.Canceled) || errors.As(err, &fe) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestConnectionErrors(t *testing.T) {
	t.Parallel()
	// A port nobody listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, _, err = New(Config{AllowPrivate: true}).Fetch(context.Background(), "http://"+addr+"/")
	reason(t, err, "could not connect to image URL host")

	// A name that does not resolve.
	f := New(Config{})
	f.resolver = noDNS
	_, _, err = f.Fetch(context.Background(), "http://no-such-host.invalid/x.png")
	reason(t, err, "could not be resolved")
}

// TestIgnoresProxyEnvironment: with HTTP_PROXY set, the fetch still goes direct, so the dial hook sees the real
// destination. (A transport using the proxy would send this request to the proxy, which records it.)
func TestIgnoresProxyEnvironment(t *testing.T) {
	proxy, proxyHits := serve(t, body("image/png", pngBytes))
	t.Setenv("HTTP_PROXY", proxy.URL)
	t.Setenv("http_proxy", proxy.URL)
	img, imgHits := serve(t, body("image/jpeg", jpegBytes))
	f := New(Config{AllowHosts: []string{"img.example"}})
	f.resolver = fakeDNS(t, "127.0.0.1")
	port := img.Listener.Addr().(*net.TCPAddr).Port
	_, format, err := f.Fetch(context.Background(), fmt.Sprintf("http://img.example:%d/a.jpg", port))
	if err != nil || format != "jpeg" {
		t.Fatalf("%q %v", format, err)
	}
	if proxyHits.Load() != 0 || imgHits.Load() != 1 {
		t.Fatalf("proxy hits %d, direct hits %d", proxyHits.Load(), imgHits.Load())
	}
	if f.transport.Proxy != nil {
		t.Fatal("transport has a proxy function")
	}
}

// TestConcurrent shares one Fetcher across goroutines (run under -race).
func TestConcurrent(t *testing.T) {
	t.Parallel()
	ts, _ := serve(t, body("image/png", pngBytes))
	f := New(Config{AllowPrivate: true})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			if _, _, err := f.Fetch(context.Background(), ts.URL); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestErrorHidesCause(t *testing.T) {
	cause := errors.New("dial 10.0.3.7:443: internal detail")
	e := &Error{Reason: "could not fetch image URL", Err: cause}
	if e.Error() != "could not fetch image URL" || !errors.Is(e, cause) {
		t.Fatalf("%q", e.Error())
	}
}
