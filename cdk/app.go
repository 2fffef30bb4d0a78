package main

import (
	"maps"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// Stack names: fixed interfaces used by the deploy workflow and the README.
const (
	RegistryStackName    = "OpenWebUIBedrockRegistry"
	ApplicationStackName = "OpenWebUIBedrockApp"
)

// featureFlags are set in code rather than cdk.json so that `go test`, `go run .` and `npx cdk synth` produce the
// same templates. cdk.json or -c can still override them.
var featureFlags = map[string]any{
	"@aws-cdk/aws-iam:minimizePolicies":                                                          true,
	"@aws-cdk/aws-efs:denyAnonymousAccess":                                                       true,
	"@aws-cdk/aws-efs:mountTargetOrderInsensitiveLogicalId":                                      true,
	"@aws-cdk/aws-ecs:arnFormatIncludesClusterName":                                              true,
	"@aws-cdk/aws-ecs:disableExplicitDeploymentControllerForCircuitBreaker":                      true,
	"@aws-cdk/aws-ecs:removeDefaultDeploymentAlarm":                                              true,
	"@aws-cdk/aws-ecs:reduceEc2FargateCloudWatchPermissions":                                     true,
	"@aws-cdk/aws-iam:standardizedServicePrincipals":                                             true,
	"@aws-cdk/core:enablePartitionLiterals":                                                      true,
	"@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy":                                            true,
	"@aws-cdk/aws-rds:auroraClusterChangeScopeOfInstanceParameterGroupWithEachParameters":        true,
	"@aws-cdk/aws-rds:preventRenderingDeprecatedCredentials":                                     true,
	"@aws-cdk/aws-elasticloadbalancingV2:albDualstackWithoutPublicIpv4SecurityGroupRulesDefault": true,
}

// NewCdkApp returns an App with the project's feature flags plus the given context (tests pass theirs here;
// the CLI passes cdk.json and -c values through CDK_CONTEXT_JSON, which the App reads itself).
func NewCdkApp(context map[string]any) awscdk.App {
	ctx := maps.Clone(featureFlags)
	maps.Copy(ctx, context)
	return awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
}

// Stacks are the two stacks of the deployment.
type Stacks struct {
	Config      *Config
	Registry    awscdk.Stack
	Application awscdk.Stack
}

// NewOpenWebUIBedrock parses the context once, builds both stacks and runs cdk-nag's AwsSolutions checks on them.
func NewOpenWebUIBedrock(app awscdk.App) (*Stacks, error) {
	cfg, err := ParseConfig(func(key string) any { return app.Node().TryGetContext(jsii.String(key)) },
		os.Getenv("CDK_DEFAULT_REGION"))
	if err != nil {
		return nil, err
	}
	// The region is fixed at synth (ALB access logging needs it); the account is not, so the stacks deploy to the
	// account of the CLI's credentials and synth needs neither credentials nor look-ups (two AZs via Fn::GetAZs,
	// the hosted zone by id).
	env := &awscdk.Environment{Region: jsii.String(cfg.Region)}
	registry := NewRegistryStack(app, RegistryStackName, &RegistryStackProps{
		StackProps: awscdk.StackProps{
			Env:         env,
			Description: jsii.String("Open WebUI on Bedrock: ECR repositories and GitHub Actions OIDC access"),
		},
		Config: cfg,
	})
	application := NewApplicationStack(app, ApplicationStackName, &ApplicationStackProps{
		StackProps: awscdk.StackProps{
			Env: env,
			Description: jsii.String("Open WebUI on Bedrock: VPC, ALB, EFS, secrets, ECS (Open WebUI + private " +
				"bedrock-gateway), HTTPS and operations"),
		},
		Config: cfg,
	})
	awscdk.Tags_Of(app).Add(jsii.String("project"), jsii.String("openwebui-bedrock"), nil)
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	return &Stacks{Config: cfg, Registry: registry, Application: application}, nil
}
