// Package bedrock adapts Amazon Bedrock to the OpenAI API: it translates chat requests to Converse/ConverseStream
// input, Bedrock output and stream events back to OpenAI responses and chunks, keeps the model catalogue, and maps
// Bedrock errors to OpenAI errors. It is the only package that imports the AWS SDK's Bedrock clients.
//
// Data flows one way: openai.ChatRequest → BuildConverse → SDK → Converse output or stream events →
// ToCompletion / StreamTranslator → openai types.
package bedrock
