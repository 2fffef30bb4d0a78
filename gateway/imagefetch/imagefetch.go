// Package imagefetch downloads images named by http(s) URLs in chat requests, safely.
//
// The gateway runs inside a VPC next to the EC2/ECS metadata endpoints (169.254.169.254, 169.254.170.2,
// fd00:ec2::254), which hand out the task's AWS credentials to anyone who can send them a GET. A user-supplied image
// URL is therefore a server-side request forgery (SSRF) vector. The defences, in order:
//
//   - URL rules: http and https only, no userinfo, ports 80 and 443 only, literal IP hosts classified up front.
//   - The address check runs at connect time, in the net.Dialer's ControlContext hook, on the IP actually being
//     dialled after DNS resolution. Checking a name's resolution and then dialling separately can be beaten by DNS
//     rebinding (the second lookup returns 127.0.0.1); checking in the dialler cannot, and it covers every redirect
//     hop and every Happy Eyeballs attempt without extra code.
//   - No proxy: the transport ignores HTTP_PROXY/HTTPS_PROXY. Through a proxy the dial hook would only ever see the
//     proxy's address and the proxy would reach the metadata endpoint on our behalf. If the deployment needs an
//     egress proxy, the proxy itself must enforce the same rules.
//   - Redirects are limited, re-validated (scheme, userinfo, port, literal IP) and may not downgrade https to http.
//   - Size cap (Content-Length precheck and a hard cap while reading), a total timeout, a response-header timeout,
//     no transparent gzip (a compression bomb would otherwise be inflated before the cap), no cookies.
//   - The format comes from the bytes (PNG/JPEG/GIF/WebP magic); the declared Content-Type is only used to word the
//     error when the bytes are not an image.
//
// Errors are *Error values whose Error() string is safe to return to the API client: it never contains resolved
// addresses or internal host names. The underlying cause (for logs) is available through errors.Unwrap.
package imagefetch

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Defaults. DefaultMaxBytes is Bedrock's per-image limit (3.75 MiB); fetching more would only fail later.
const (
	DefaultMaxBytes     int64 = 3840 << 10 // 3.75 MiB
	DefaultTimeout            = 10 * time.Second
	DefaultMaxRedirects       = 3
	DefaultUserAgent          = "bedrock-gateway-imagefetch/1"
	maxURLLength              = 8 << 10
)

// Config configures a Fetcher. The zero value is the safe production configuration.
type Config struct {
	// MaxBytes caps the image size; 0 means DefaultMaxBytes.
	MaxBytes int64
	// Timeout bounds the whole fetch (DNS, connect, TLS, redirects, headers and body); 0 means DefaultTimeout.
	Timeout time.Duration
	// MaxRedirects is the number of redirects followed; 0 means DefaultMaxRedirects, negative means none.
	MaxRedirects int
	// AllowHosts lists hosts exempt from the address and port checks, e.g. an internal image server: an exact host
	// name or IP ("images.internal", "10.0.3.7") or "*.suffix", which matches any subdomain of suffix (not suffix
	// itself). Matching is case-insensitive and ignores a trailing dot; write internationalised names in their ASCII
	// (punycode) form, as the dialler sees them (a Unicode entry fails closed: the address check stays on). Scheme, userinfo, redirect, size, timeout and
	// content rules still apply. A redirect from an allowed host to another host is checked as usual.
	AllowHosts []string
	// AllowPrivate turns the address and port checks off entirely. For tests and local development only.
	AllowPrivate bool
	// UserAgent is sent with every request; empty means DefaultUserAgent.
	UserAgent string
}

// Fetcher fetches images. It is safe for concurrent use and reuses connections, so make one and share it.
type Fetcher struct {
	maxBytes     int64
	timeout      time.Duration
	maxRedirects int
	allowPrivate bool
	userAgent    string
	allowExact   map[string]bool
	allowSuffix  []string // each starts with "."

	client    *http.Client
	transport *http.Transport

	// Test hooks, set only by this package's tests before the first Fetch.
	anyPort  bool          // lift the 80/443 port rule so loopback test servers on random ports can be addressed
	resolver *net.Resolver // a fake DNS resolver; nil means the system resolver
}

// Error is a fetch failure. Error() returns Reason, which is written for the API client (an OpenAI 400 message)
// and carries no internal detail; Unwrap returns the cause for logs, which may contain addresses.
type Error struct {
	Reason string
	Err    error
}

func (e *Error) Error() string { return e.Reason }
func (e *Error) Unwrap() error { return e.Err }

// Reasons shared by several code paths.
const (
	reasonPrivate = "image URL host resolves to a private or reserved address"
	reasonTimeout = "timed out fetching image URL"
)

// New returns a Fetcher for cfg.
func New(cfg Config) *Fetcher {
	f := &Fetcher{
		maxBytes:     cfg.MaxBytes,
		timeout:      cfg.Timeout,
		maxRedirects: cfg.MaxRedirects,
		allowPrivate: cfg.AllowPrivate,
		userAgent:    cfg.UserAgent,
		allowExact:   map[string]bool{},
	}
	if f.maxBytes <= 0 {
		f.maxBytes = DefaultMaxBytes
	}
	if f.timeout <= 0 {
		f.timeout = DefaultTimeout
	}
	if f.maxRedirects == 0 {
		f.maxRedirects = DefaultMaxRedirects
	} else if f.maxRedirects < 0 {
		f.maxRedirects = 0
	}
	if f.userAgent == "" {
		f.userAgent = DefaultUserAgent
	}
	for _, h := range cfg.AllowHosts {
		h = normHost(h)
		if suffix, ok := strings.CutPrefix(h, "*."); ok && suffix != "" {
			f.allowSuffix = append(f.allowSuffix, "."+suffix)
		} else if h != "" && h != "*" {
			f.allowExact[h] = true
		}
	}
	f.transport = &http.Transport{
		Proxy:                  nil, // never from the environment: see the package comment
		DialContext:            f.dialContext,
		ForceAttemptHTTP2:      true, // a custom DialContext otherwise turns HTTP/2 off
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    f.timeout,
		ResponseHeaderTimeout:  f.timeout,
		MaxResponseHeaderBytes: 64 << 10,
		DisableCompression:     true, // images are compressed already; gzip would only let a bomb past the size cap
		MaxIdleConns:           32,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        30 * time.Second,
	}
	f.client = &http.Client{
		Transport:     f.transport,
		CheckRedirect: f.checkRedirect,
		// No Jar: cookies set by one user's image host must not follow another user's request.
		// No Timeout: the per-call context deadline covers the body read too.
	}
	return f
}

// Fetch downloads an image over http(s) and returns its bytes and sniffed format: "png", "jpeg", "gif" or "webp"
// (the same strings as Bedrock's ImageFormat). Failures are *Error, except that if ctx itself is cancelled or
// expires, ctx's error is returned so the caller handles it like any other abandoned request.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string) (data []byte, format string, err error) {
	if len(rawURL) > maxURLLength {
		return nil, "", &Error{Reason: "image URL is too long"}
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, "", &Error{Reason: "image URL is not a valid URL", Err: err}
	}
	if err := f.checkURL(u, "image URL"); err != nil {
		return nil, "", err
	}

	fctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(fctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "", &Error{Reason: "image URL is not a valid URL", Err: err}
	}
	req.Header.Set("User-Agent", f.userAgent)
	req.Header.Set("Accept", "image/png, image/jpeg, image/gif, image/webp;q=0.9, */*;q=0.1")

	resp, err := f.client.Do(req)
	if err != nil {
		return nil, "", f.mapError(ctx, fctx, err)
	}
	defer resp.Body.Close()

	if resp.StatusCode != http.StatusOK {
		return nil, "", &Error{Reason: fmt.Sprintf("image URL returned HTTP status %d", resp.StatusCode)}
	}
	if resp.ContentLength > f.maxBytes {
		return nil, "", f.tooLarge(fmt.Errorf("Content-Length %d", resp.ContentLength))
	}

	// Read one byte past the cap so "exactly the cap" and "over the cap" can be told apart.
	br := bufio.NewReaderSize(io.LimitReader(resp.Body, f.maxBytes+1), 4096)
	head, err := br.Peek(16) // enough for every signature Sniff knows
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, "", f.mapError(ctx, fctx, err)
	}
	if len(head) == 0 {
		return nil, "", &Error{Reason: "image URL returned an empty response"}
	}
	format, ok := Sniff(head)
	if !ok {
		// Stop before downloading megabytes of an HTML error page.
		return nil, "", notImage(resp.Header.Get("Content-Type"))
	}

	var buf bytes.Buffer
	if resp.ContentLength > 0 {
		buf.Grow(int(resp.ContentLength)) // bounded by maxBytes above
	}
	if _, err := buf.ReadFrom(br); err != nil {
		return nil, "", f.mapError(ctx, fctx, err)
	}
	if int64(buf.Len()) > f.maxBytes {
		return nil, "", f.tooLarge(errors.New("body exceeded the cap while reading"))
	}
	return buf.Bytes(), format, nil
}

// checkURL applies the rules that can be decided from the URL alone, for the first request and every redirect;
// what names the URL in the reason.
func (f *Fetcher) checkURL(u *url.URL, what string) error {
	switch u.Scheme {
	case "http", "https":
	default:
		return &Error{Reason: what + " must use http or https"}
	}
	if u.User != nil {
		// Credentials in URLs would be forwarded to whoever the URL points at, and end up in logs.
		return &Error{Reason: what + " must not contain a user name or password"}
	}
	host := normHost(u.Hostname())
	if host == "" {
		return &Error{Reason: what + " has no host"}
	}
	if f.allowPrivate || f.hostAllowed(host) {
		return nil
	}
	// Ports: only the web's own. Any port would let a client use the gateway to probe, or speak HTTP at, non-HTTP
	// services on public hosts (SMTP, Redis, ...), for almost no gain: image CDNs serve on 80 and 443. An operator
	// with an image server on another port lists it in AllowHosts.
	if p := u.Port(); p != "" && p != "80" && p != "443" && !f.anyPort {
		return &Error{Reason: what + " port must be 80 or 443"}
	}
	// A literal IP can be refused before any connection is attempted; the dial hook would refuse it anyway.
	if a, err := netip.ParseAddr(host); err == nil {
		if c := classify(a); c != "" {
			return &Error{Reason: what + " points to a private or reserved address", Err: fmt.Errorf("literal address %s: %s", a, c)}
		}
	}
	return nil
}

// checkRedirect is the client's CheckRedirect: it bounds the chain and re-applies the URL rules to each hop. The
// destination address of each hop is checked by the dial hook like any other connection.
func (f *Fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > f.maxRedirects {
		return &Error{Reason: fmt.Sprintf("image URL redirected more than %d times", f.maxRedirects)}
	}
	// No downgrade: the client asked for an authenticated channel, and a plain-http hop lets anyone on the path
	// substitute the image (or observe the URL). Legitimate image hosts do not redirect https to http.
	for _, v := range via {
		if v.URL.Scheme == "https" && req.URL.Scheme != "https" {
			return &Error{Reason: "image URL redirected from https to an insecure URL"}
		}
	}
	return f.checkURL(req.URL, "image URL redirect target")
}

// dialContext dials addr (the request's host:port, not yet resolved). Hosts in AllowHosts are dialled without the
// address check; all others get a Dialer whose ControlContext inspects each resolved IP just before connect(2).
func (f *Fetcher) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: f.timeout, KeepAlive: 30 * time.Second, Resolver: f.resolver}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if !f.allowPrivate && !f.hostAllowed(normHost(host)) {
		d.ControlContext = controlDial
	}
	return d.DialContext(ctx, network, addr)
}

// controlDial runs after resolution with the literal "ip:port" about to be connected. Failing closed: anything it
// cannot parse is refused.
func controlDial(_ context.Context, network, address string, _ syscall.RawConn) error {
	if network != "tcp4" && network != "tcp6" {
		return &Error{Reason: reasonPrivate, Err: fmt.Errorf("refused to dial network %q", network)}
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &Error{Reason: reasonPrivate, Err: fmt.Errorf("refused to dial unparseable address %q", address)}
	}
	if c := classify(ap.Addr()); c != "" {
		return &Error{Reason: reasonPrivate, Err: fmt.Errorf("refused to dial %s: %s", address, c)}
	}
	return nil
}

func (f *Fetcher) hostAllowed(host string) bool {
	if f.allowExact[host] {
		return true
	}
	for _, s := range f.allowSuffix {
		if strings.HasSuffix(host, s) {
			return true
		}
	}
	return false
}

func normHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
}

// mapError turns a transport error into an *Error with a client-safe reason. parent is the caller's context, fctx
// the fetch's own (with the timeout).
func (f *Fetcher) mapError(parent, fctx context.Context, err error) error {
	var fe *Error
	if errors.As(err, &fe) {
		return fe // from the dial hook or CheckRedirect, wrapped in *url.Error / *net.OpError
	}
	if perr := parent.Err(); perr != nil {
		return perr
	}
	var ne net.Error
	if errors.Is(fctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout()) {
		return &Error{Reason: reasonTimeout, Err: err}
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return &Error{Reason: "image URL host could not be resolved", Err: err}
	}
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) {
		return &Error{Reason: "image URL host's TLS certificate is not valid", Err: err}
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return &Error{Reason: "could not connect to image URL host", Err: err}
	}
	return &Error{Reason: "could not fetch image URL", Err: err}
}

func (f *Fetcher) tooLarge(cause error) *Error {
	return &Error{Reason: "image is larger than " + formatSize(f.maxBytes), Err: cause}
}

// notImage words the error for a body that is not PNG/JPEG/GIF/WebP, using the declared type only as a hint. The
// type is echoed only after mime.ParseMediaType has reduced it to token characters.
func notImage(contentType string) *Error {
	mt, _, err := mime.ParseMediaType(contentType)
	if errors.Is(err, mime.ErrInvalidMediaParameter) {
		err = nil // the media type itself parsed; only a parameter is malformed
	}
	switch {
	case err != nil || mt == "" || len(mt) > 100:
		return &Error{Reason: "image URL did not return a PNG, JPEG, GIF or WebP image"}
	case strings.HasPrefix(mt, "image/"):
		return &Error{Reason: fmt.Sprintf("image URL returned an unsupported image type (%s); use PNG, JPEG, GIF or WebP", mt)}
	default:
		return &Error{Reason: fmt.Sprintf("image URL did not return an image (content type %s)", mt)}
	}
}

func formatSize(n int64) string {
	const kib, mib = 1 << 10, 1 << 20
	round := func(x float64) string { return strconv.FormatFloat(math.Round(x*100)/100, 'f', -1, 64) }
	switch {
	case n >= mib:
		return round(float64(n)/mib) + " MiB"
	case n >= kib:
		return round(float64(n)/kib) + " KiB"
	default:
		return strconv.FormatInt(n, 10) + " bytes"
	}
}

// Sniff identifies the four image formats Bedrock accepts (png, jpeg, gif, webp) from their magic numbers. The
// translator uses it for data: URLs too, so both paths agree.
func Sniff(b []byte) (string, bool) {
	switch {
	case len(b) >= 8 && string(b[:8]) == "\x89PNG\r\n\x1a\n":
		return "png", true
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return "jpeg", true
	case len(b) >= 6 && (string(b[:6]) == "GIF87a" || string(b[:6]) == "GIF89a"):
		return "gif", true
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "webp", true
	}
	return "", false
}
