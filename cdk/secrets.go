package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

const (
	// GatewayAPIKeySecretName is read by the gateway (API_KEY_SECRET_ARN or the ECS secret API_KEY) and by Open WebUI.
	GatewayAPIKeySecretName = "openwebui_gateway_api_key"
	// GatewayAPIKeyField is the JSON field of the API key secret, as the reference gateway reads it.
	GatewayAPIKeyField     = "api_key"
	WebUISecretKeyName     = "openwebui_webui_secret_key"
	rotationSuppressReason = "Static shared credential read by ECS at task start. Rotation needs a coordinated " +
		"redeploy of the tasks that read it; the manual rotation procedure is in cdk/README.md."
)

// Secrets holds the generated credentials shared by the services.
type Secrets struct {
	constructs.Construct
	// GatewayAPIKey is JSON {"api_key": "..."}: the gateway's bearer key, also Open WebUI's OPENAI_API_KEY.
	GatewayAPIKey awssecretsmanager.Secret
	// WebUISecretKey signs Open WebUI's sessions (WEBUI_SECRET_KEY); the same for every replica.
	WebUISecretKey awssecretsmanager.Secret
}

// NewSecrets generates the gateway API key and the Open WebUI secret key in Secrets Manager.
func NewSecrets(scope constructs.Construct, id string) *Secrets {
	c := constructs.NewConstruct(scope, jsii.String(id))
	apiKey := awssecretsmanager.NewSecret(c, jsii.String("GatewayApiKey"), &awssecretsmanager.SecretProps{
		SecretName:  jsii.String(GatewayAPIKeySecretName),
		Description: jsii.String("Bearer key of the private bedrock-gateway; Open WebUI's OPENAI_API_KEY"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			SecretStringTemplate: jsii.String("{}"),
			GenerateStringKey:    jsii.String(GatewayAPIKeyField),
			ExcludePunctuation:   jsii.Bool(true),
			PasswordLength:       jsii.Number(48),
		},
	})
	webuiKey := awssecretsmanager.NewSecret(c, jsii.String("WebUISecretKey"), &awssecretsmanager.SecretProps{
		SecretName:  jsii.String(WebUISecretKeyName),
		Description: jsii.String("Open WebUI WEBUI_SECRET_KEY (signs sessions)"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			ExcludePunctuation: jsii.Bool(true),
			PasswordLength:     jsii.Number(64),
		},
	})
	for _, s := range []awssecretsmanager.Secret{apiKey, webuiKey} {
		suppressRotation(s)
		// Regenerated on the next deploy; nothing else refers to their values.
		s.ApplyRemovalPolicy(awscdk.RemovalPolicy_DESTROY)
	}
	return &Secrets{Construct: c, GatewayAPIKey: apiKey, WebUISecretKey: webuiKey}
}

func suppressRotation(s constructs.IConstruct) {
	cdknag.NagSuppressions_AddResourceSuppressions(s, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-SMG4"), Reason: jsii.String(rotationSuppressReason),
	}}, jsii.Bool(true))
}
