// Package openai holds the OpenAI wire types the gateway accepts and produces, request validation and the
// OpenAI-shaped error. It knows nothing about AWS: translation to Bedrock lives in package bedrock.
package openai
