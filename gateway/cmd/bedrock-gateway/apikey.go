package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/openwebui-bedrock/gateway/config"
)

// resolveAPIKey follows the reference gateway's order: SSM parameter, Secrets Manager secret (JSON with api_key),
// plain API_KEY. In emulator mode with none of them, a random key is generated (and generated is true).
func resolveAPIKey(ctx context.Context, cfg config.Config, awsCfg aws.Config, useEmulator bool) (key string, generated bool, err error) {
	switch {
	case cfg.APIKeyParamName != "":
		out, err := ssm.NewFromConfig(awsCfg).GetParameter(ctx, &ssm.GetParameterInput{
			Name: aws.String(cfg.APIKeyParamName), WithDecryption: aws.Bool(true)})
		if err != nil {
			return "", false, fmt.Errorf("read API key from SSM parameter API_KEY_PARAM_NAME=%q: %w", cfg.APIKeyParamName, err)
		}
		key = aws.ToString(out.Parameter.Value)
		if key == "" {
			return "", false, fmt.Errorf("SSM parameter API_KEY_PARAM_NAME=%q is empty", cfg.APIKeyParamName)
		}
		return strings.TrimSpace(key), false, nil
	case cfg.APIKeySecretARN != "":
		out, err := secretsmanager.NewFromConfig(awsCfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
			SecretId: aws.String(cfg.APIKeySecretARN)})
		if err != nil {
			return "", false, fmt.Errorf("read API key from API_KEY_SECRET_ARN: %w", err)
		}
		key, err := keyFromSecret(aws.ToString(out.SecretString))
		if err != nil {
			return "", false, fmt.Errorf("API_KEY_SECRET_ARN: %w", err)
		}
		return key, false, nil
	case cfg.APIKey != "":
		return cfg.APIKey, false, nil
	case useEmulator:
		return randomKey(), true, nil
	}
	return "", false, errors.New("no API key configured: set API_KEY, API_KEY_SECRET_ARN or API_KEY_PARAM_NAME " +
		"(only -emulator mode generates one)")
}

// keyFromSecret reads {"api_key": "..."}, the shape the reference gateway and our CDK stack store.
func keyFromSecret(s string) (string, error) {
	var v struct {
		APIKey string `json:"api_key"`
	}
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return "", errors.New(`the secret is not JSON of the form {"api_key": "..."}`)
	}
	if strings.TrimSpace(v.APIKey) == "" {
		return "", errors.New(`the secret has no "api_key" field`)
	}
	return strings.TrimSpace(v.APIKey), nil
}
