// Package emulator is a wire-faithful Amazon Bedrock for offline
// development and tests: the real aws-sdk-go-v2 clients (bedrockruntime and
// bedrock) talk to it over HTTP exactly as they talk to AWS.
//
// # Operations
//
//	POST /model/{modelId}/converse          Converse (JSON)
//	POST /model/{modelId}/converse-stream   ConverseStream (application/vnd.amazon.eventstream)
//	POST /model/{modelId}/invoke            InvokeModel, embedding models only
//	GET  /foundation-models                 ListFoundationModels (byProvider, byOutputModality, byInferenceType, byCustomizationType)
//	GET  /foundation-models/{id}            GetFoundationModel
//	GET  /inference-profiles                ListInferenceProfiles (type, maxResults, nextToken; default page 5, type SYSTEM_DEFINED)
//	GET  /inference-profiles/{id}           GetInferenceProfile
//	GET  /_emulator/stats                   Stats as JSON (unsigned)
//
// Every request except the stats is SigV4-verified against the configured
// credentials (service "bedrock", the emulator's region, 15 minutes of clock
// skew); failures are 403 UnrecognizedClientException (unknown key),
// InvalidSignatureException (bad signature, wrong region) or
// MissingAuthenticationTokenException. Every response carries
// X-Amzn-Requestid; errors carry X-Amzn-Errortype and {"message":…}.
//
// The {modelId} segment accepts base model ids, foundation-model ARNs of
// the emulator's region, system-defined inference profile ids and ARNs of
// the region's geography (us., eu. or apac.) and global., and the ARN of
// the application inference profile "team-chat-haiku". Anything else is
// ValidationException "The provided model identifier is invalid.";
// a profile-only model by its base id is Bedrock's on-demand refusal.
//
// # Behaviour
//
// Replies are deterministic. Without tools the reply is "You said: " and
// the last user text, streamed one word per contentBlockDelta. With tools
// offered (and the last user turn not a tool result, or toolChoice any or
// tool), the model calls one tool, with arguments built from its JSON
// schema (required properties, types, enums, const, defaults, bounds) and
// streamed as several JSON fragments; Claude models write a short text
// block first. After a tool result the reply is "The tool returned: …".
// Claude 3.7 Sonnet and Sonnet 4.5 reason when additionalModelRequestFields
// has thinking {type: enabled, budget_tokens ≥ 1024}, emitting a signed
// reasoningContent block first; DeepSeek R1 always reasons, unsigned. A
// signed reasoning block sent back must carry the signature the emulator
// issued. outputConfig (Sonnet 4.5) makes the reply JSON matching the
// schema. With a guardrailConfig, the directive [[emulate:guardrail]] makes
// the guardrail intervene.
//
// Usage: input tokens are estimated as one per four bytes of text (images
// 100), in prompt order; output tokens are one per word delta (one per
// four bytes of tool-argument JSON). With cachePoint blocks the emulator
// remembers each prefix it has seen: a repeated prefix is reported as
// cacheReadInputTokens, a new one as cacheWriteInputTokens. maxTokens cuts
// the reply (stopReason max_tokens); stopSequences cut it before the
// sequence (stop_sequence).
//
// # Directives
//
// Written anywhere in the last user message, removed from the echoed text:
//
//	[[emulate:throttle]]        ThrottlingException (429) before any output
//	[[emulate:error=NAME]]      that typed error before any output: ValidationException,
//	                            AccessDeniedException, ResourceNotFoundException,
//	                            ModelTimeoutException, ModelErrorException,
//	                            ModelNotReadyException, ServiceQuotaExceededException,
//	                            InternalServerException, ServiceUnavailableException, …
//	[[emulate:error-after=N]]   ConverseStream: a modelStreamErrorException frame after N deltas
//	[[emulate:cut-after=N]]     ConverseStream: the connection drops after N deltas (no
//	                            messageStop); Converse: dropped before the response
//	[[emulate:delay-ms=N]]      ConverseStream: N ms between deltas; Converse: N ms before
//	                            replying; both end early when the client goes away
//	[[emulate:words=N]]         a reply of exactly N words
//	[[emulate:tool=NAME]]       call that tool (it must be offered)
//	[[emulate:tools=N]]         N parallel tool calls in one turn
//	[[emulate:stop=max_tokens]] cut the reply in half, stopReason max_tokens
//	[[emulate:guardrail]]       with guardrailConfig: stopReason guardrail_intervened
//
// Embedding inputs honour throttle, error=NAME and delay-ms too.
//
// # Stats
//
// Stats counts requests per operation, streams active, completed and
// cancelled (client went away mid-stream), and rejections by error type;
// tests use StreamsCancelled to prove a disconnect reached the upstream.
package emulator
