package bedrock

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// NewRetryer is the SDK retry policy: at most maxAttempts attempts, jittered exponential backoff capped at 2 s (a
// chat user is waiting), and no client-side retry quota, which would turn a burst of throttles into immediate
// failures for every caller. The SDK retries only before a response arrives, so a stream is never retried after its
// first byte.
func NewRetryer(maxAttempts int) func() aws.Retryer {
	return func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = maxAttempts
			o.MaxBackoff = 2 * time.Second
			o.RateLimiter = ratelimit.None
		})
	}
}

// StaticConfig is an SDK configuration for a fixed endpoint and static credentials (the emulator), built by hand so
// nothing is read from the environment, ~/.aws or instance metadata.
func StaticConfig(region, endpoint, accessKeyID, secretAccessKey string, maxAttempts int) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(accessKeyID, secretAccessKey, ""),
		BaseEndpoint: aws.String(endpoint),
		HTTPClient:   NewHTTPClient(),
		Retryer:      NewRetryer(maxAttempts),
	}
}
