package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SigV4 verification. The emulator rebuilds the canonical request from the
// headers the client says it signed, signs it with the secret it knows for
// the access key, and compares. A signing regression in a client (a header
// mutated after signing, a path escaped differently, a body changed by a
// middleware) therefore fails here exactly as it would against AWS.

const sigAlgorithm = "AWS4-HMAC-SHA256"

// maxClockSkew is AWS's tolerance for X-Amz-Date.
const maxClockSkew = 15 * time.Minute

type sigV4Auth struct {
	accessKey     string
	date          string // yyyymmdd from the credential scope
	region        string
	service       string
	signedHeaders []string
	signature     string
}

// parseAuthorization splits
// "AWS4-HMAC-SHA256 Credential=AK/20250101/us-east-1/bedrock/aws4_request, SignedHeaders=a;b, Signature=hex".
func parseAuthorization(h string) (sigV4Auth, bool) {
	var a sigV4Auth
	rest, ok := strings.CutPrefix(h, sigAlgorithm+" ")
	if !ok {
		return a, false
	}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return a, false
		}
		switch k {
		case "Credential":
			f := strings.Split(v, "/")
			if len(f) != 5 || f[4] != "aws4_request" {
				return a, false
			}
			a.accessKey, a.date, a.region, a.service = f[0], f[1], f[2], f[3]
		case "SignedHeaders":
			a.signedHeaders = strings.Split(v, ";")
		case "Signature":
			a.signature = v
		}
	}
	return a, a.accessKey != "" && len(a.signedHeaders) > 0 && a.signature != ""
}

// verifySigV4 checks r (whose body has already been read into body).
func (e *Emulator) verifySigV4(r *http.Request, body []byte) *apiError {
	authz := r.Header.Get("Authorization")
	if authz == "" {
		return newError("MissingAuthenticationTokenException", "Missing Authentication Token")
	}
	a, ok := parseAuthorization(authz)
	if !ok {
		return newError("IncompleteSignatureException",
			"Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters.")
	}
	secret, known := e.creds[a.accessKey]
	if !known {
		return newError("UnrecognizedClientException", "The security token included in the request is invalid.")
	}
	amzDate := r.Header.Get("X-Amz-Date")
	t, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil || !strings.HasPrefix(amzDate, a.date) {
		return newError("IncompleteSignatureException", "Date must be in ISO-8601 'basic format'.")
	}
	if d := time.Since(t); d > maxClockSkew || d < -maxClockSkew {
		now := time.Now().UTC().Format("20060102T150405Z")
		return newError("InvalidSignatureException", "Signature expired: "+amzDate+" is now earlier than "+
			now+" ("+time.Now().UTC().Add(-maxClockSkew).Format("20060102T150405Z")+" - 5 min.)")
	}
	if a.region != e.region {
		return newError("InvalidSignatureException", "Credential should be scoped to a valid region. ")
	}
	if a.service != "bedrock" {
		return newError("InvalidSignatureException", "Credential should be scoped to correct service: 'bedrock'. ")
	}
	canonical := canonicalRequest(r, a.signedHeaders, body)
	sum := sha256.Sum256([]byte(canonical))
	scope := a.date + "/" + a.region + "/" + a.service + "/aws4_request"
	stringToSign := sigAlgorithm + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	want := hex.EncodeToString(hmacSHA256(e.signingKey(secret, a.date, a.region, a.service), stringToSign))
	if subtle.ConstantTimeCompare([]byte(want), []byte(a.signature)) != 1 {
		return newError("InvalidSignatureException", "The request signature we calculated does not match the "+
			"signature you provided. Check your AWS Secret Access Key and signing method. "+
			"Consult the service documentation for details.")
	}
	return nil
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

// signingKey derives (and caches per day) the SigV4 key: four HMACs that
// would otherwise dominate the cost of a small request.
func (e *Emulator) signingKey(secret, date, region, service string) []byte {
	ck := secret + "\x00" + date + "\x00" + region + "\x00" + service
	e.keyMu.Lock()
	k, ok := e.keyCache[ck]
	e.keyMu.Unlock()
	if ok {
		return k
	}
	k = hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	k = hmacSHA256(k, "aws4_request")
	e.keyMu.Lock()
	if len(e.keyCache) > 64 {
		clear(e.keyCache)
	}
	e.keyCache[ck] = k
	e.keyMu.Unlock()
	return k
}

// canonicalRequest follows the SigV4 spec for non-S3 services.
func canonicalRequest(r *http.Request, signedHeaders []string, body []byte) string {
	var b strings.Builder
	b.Grow(512)
	b.WriteString(r.Method)
	b.WriteByte('\n')
	// The path exactly as it came over the wire (a model ARN arrives
	// percent-encoded), escaped once more: non-S3 services double-encode.
	rawPath := r.URL.EscapedPath()
	if r.RequestURI != "" && strings.HasPrefix(r.RequestURI, "/") {
		rawPath, _, _ = strings.Cut(r.RequestURI, "?")
	}
	if rawPath == "" {
		rawPath = "/"
	}
	b.WriteString(awsEscape(rawPath, false))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.RawQuery))
	b.WriteByte('\n')
	for _, name := range signedHeaders {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(canonicalHeaderValue(r, name))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signedHeaders, ";"))
	b.WriteByte('\n')
	sum := sha256.Sum256(body)
	b.WriteString(hex.EncodeToString(sum[:]))
	return b.String()
}

func canonicalHeaderValue(r *http.Request, name string) string {
	switch name {
	case "host":
		return r.Host
	case "content-length":
		// HTTP/2 carries no Content-Length header when the client sends a
		// length-known body as a single DATA frame; the field still holds it.
		if v := r.Header.Get("Content-Length"); v != "" {
			return strings.TrimSpace(v)
		}
		return strconv.FormatInt(r.ContentLength, 10)
	}
	vals := r.Header.Values(name)
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(out, ",")
}

// canonicalQuery sorts parameters by name then value, both escaped with
// the SigV4 rules (space as %20, never '+').
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return raw // cannot be what the client signed; the comparison fails
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vs := append([]string(nil), q[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			parts = append(parts, awsEscape(k, true)+"="+awsEscape(v, true))
		}
	}
	return strings.Join(parts, "&")
}

// awsEscape percent-encodes everything but A-Za-z0-9-_.~ (and '/' in a
// path), upper-case hex, as SigV4 requires.
func awsEscape(s string, encodeSlash bool) string {
	const hexUpper = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encodeSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexUpper[c>>4])
		b.WriteByte(hexUpper[c&0xF])
	}
	return b.String()
}
