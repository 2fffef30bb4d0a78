package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// Names shared with the image workflows and the application stack.
const (
	WebUIRepositoryName   = "open-webui"
	GatewayRepositoryName = "bedrock-access-gateway"
	BuilderRoleName       = "github-actions-ecr-builder"
	DeployRoleName        = "github-actions-cdk-deployer"
	githubOidcHost        = "token.actions.githubusercontent.com"
	githubOidcAudience    = "sts.amazonaws.com"
	imagesKeptPerRepo     = 100
	untaggedImageDays     = 14
)

// GitHub's published OIDC certificate thumbprints. IAM now trusts GitHub through its own CA library and ignores
// them, but some partitions still require the field.
var githubThumbprints = []string{"6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"}

// RegistryStackProps configures the registry stack.
type RegistryStackProps struct {
	awscdk.StackProps
	Config *Config
}

// NewRegistryStack builds OpenWebUIBedrockRegistry: the two ECR repositories and GitHub Actions' OIDC access to them
// (and, optionally, a role for the CDK deploy workflow). Existing resources can be adopted instead of created.
func NewRegistryStack(scope constructs.Construct, id string, props *RegistryStackProps) awscdk.Stack {
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	cfg := props.Config

	webui := newRepository(stack, "WebUIRepository", WebUIRepositoryName, cfg.AdoptExistingRepositories)
	gateway := newRepository(stack, "GatewayRepository", GatewayRepositoryName, cfg.AdoptExistingRepositories)
	awscdk.NewCfnOutput(stack, jsii.String("WebUIRepositoryUri"), &awscdk.CfnOutputProps{
		Value: webui.RepositoryUri(), Description: jsii.String("ECR repository for the Open WebUI image"),
	})
	awscdk.NewCfnOutput(stack, jsii.String("GatewayRepositoryUri"), &awscdk.CfnOutputProps{
		Value: gateway.RepositoryUri(), Description: jsii.String("ECR repository for the bedrock-gateway image"),
	})

	if cfg.GitHubRepo == "" {
		awscdk.Annotations_Of(stack).AddWarningV2(jsii.String("openwebui:githubRepo"), jsii.String(
			"githubRepo is not set: no GitHub OIDC provider or roles are created (set -c githubRepo=owner/repo)"), nil)
		return stack
	}
	NewGitHubAccess(stack, "GitHub", &GitHubAccessProps{Config: cfg, Repositories: []awsecr.IRepository{webui, gateway}})
	return stack
}

func newRepository(scope constructs.Construct, id, name string, adopt bool) awsecr.IRepository {
	if adopt {
		// Created outside this stack (the seed's Terraform): referenced by name, never modified or deleted here.
		return awsecr.Repository_FromRepositoryName(scope, jsii.String(id), jsii.String(name))
	}
	repo := awsecr.NewRepository(scope, jsii.String(id), &awsecr.RepositoryProps{
		RepositoryName:  jsii.String(name),
		ImageScanOnPush: jsii.Bool(true),
		Encryption:      awsecr.RepositoryEncryption_AES_256(),
		// Mutable: the image workflows push both the git SHA and `latest`; deployments pin the SHA.
		ImageTagMutability: awsecr.TagMutability_MUTABLE,
		LifecycleRules: &[]*awsecr.LifecycleRule{
			{
				RulePriority: jsii.Number(1),
				Description:  jsii.String(fmt.Sprintf("Expire untagged images after %d days", untaggedImageDays)),
				TagStatus:    awsecr.TagStatus_UNTAGGED,
				MaxImageAge:  awscdk.Duration_Days(jsii.Number(untaggedImageDays)),
			},
			{
				RulePriority:  jsii.Number(2),
				Description:   jsii.String(fmt.Sprintf("Keep the newest %d images", imagesKeptPerRepo)),
				TagStatus:     awsecr.TagStatus_ANY,
				MaxImageCount: jsii.Number(imagesKeptPerRepo),
			},
		},
		// Images outlive the stack: deleting the registry stack must not break a running application.
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	// AES256 is ECR's default and CDK leaves it implicit; state it so the template shows the encryption.
	repo.Node().DefaultChild().(awscdk.CfnResource).AddPropertyOverride(
		jsii.String("EncryptionConfiguration.EncryptionType"), jsii.String("AES256"))
	return repo
}

// GitHubAccessProps configures GitHub Actions' access.
type GitHubAccessProps struct {
	Config       *Config
	Repositories []awsecr.IRepository
}

// GitHubAccess is the OIDC provider plus the roles GitHub Actions assumes.
type GitHubAccess struct {
	constructs.Construct
	ProviderArn *string
	BuilderRole awsiam.IRole
	DeployRole  awsiam.IRole // nil unless createDeployRole
}

// NewGitHubAccess creates (or adopts) the GitHub OIDC provider, the ECR builder role and the optional deploy role,
// each trusted only by the configured repository's main branch and environments.
func NewGitHubAccess(scope constructs.Construct, id string, props *GitHubAccessProps) *GitHubAccess {
	c := constructs.NewConstruct(scope, jsii.String(id))
	stack := awscdk.Stack_Of(c)
	cfg := props.Config
	g := &GitHubAccess{Construct: c}

	if cfg.AdoptExistingOidcProvider {
		arn := cfg.OidcProviderArn
		if arn == "" {
			arn = fmt.Sprintf("arn:%s:iam::%s:oidc-provider/%s", *stack.Partition(), *stack.Account(), githubOidcHost)
		}
		g.ProviderArn = awsiam.OidcProviderNative_FromOidcProviderArn(c, jsii.String("Provider"),
			jsii.String(arn)).OidcProviderArn()
	} else {
		g.ProviderArn = awsiam.NewOidcProviderNative(c, jsii.String("Provider"), &awsiam.OidcProviderNativeProps{
			Url:         jsii.String("https://" + githubOidcHost),
			ClientIds:   jsii.Strings(githubOidcAudience),
			Thumbprints: jsii.Strings(githubThumbprints...),
		}).OidcProviderArn()
	}
	awscdk.NewCfnOutput(stack, jsii.String("GitHubOidcProviderArn"), &awscdk.CfnOutputProps{Value: g.ProviderArn})

	// Trust exactly: pushes to main, and jobs running in the listed GitHub environments.
	subjects := []*string{jsii.String(fmt.Sprintf("repo:%s:ref:refs/heads/main", cfg.GitHubRepo))}
	for _, env := range cfg.GitHubEnvironments {
		subjects = append(subjects, jsii.String(fmt.Sprintf("repo:%s:environment:%s", cfg.GitHubRepo, env)))
	}
	trust := func() awsiam.IPrincipal {
		return awsiam.NewWebIdentityPrincipal(g.ProviderArn, &map[string]any{
			"StringEquals": map[string]any{
				githubOidcHost + ":aud": githubOidcAudience,
				githubOidcHost + ":sub": subjects,
			},
		})
	}

	if cfg.AdoptExistingBuilderRole {
		g.BuilderRole = awsiam.Role_FromRoleName(c, jsii.String("BuilderRole"), jsii.String(BuilderRoleName), nil)
	} else {
		role := awsiam.NewRole(c, jsii.String("BuilderRole"), &awsiam.RoleProps{
			RoleName:           jsii.String(BuilderRoleName),
			Description:        jsii.String("GitHub Actions (" + cfg.GitHubRepo + ") builds and pushes images to ECR"),
			AssumedBy:          trust(),
			MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
		})
		repoArns := make([]*string, 0, len(props.Repositories))
		for _, r := range props.Repositories {
			repoArns = append(repoArns, r.RepositoryArn())
		}
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("EcrLogin"),
			Actions:   jsii.Strings("ecr:GetAuthorizationToken"),
			Resources: jsii.Strings("*"),
		}))
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("PushAndPullTheTwoRepositories"),
			Actions: jsii.Strings(
				"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
				"ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage",
				"ecr:DescribeImages", "ecr:DescribeRepositories",
			),
			Resources: &repoArns,
		}))
		cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
			Id: jsii.String("AwsSolutions-IAM5"),
			Reason: jsii.String("ecr:GetAuthorizationToken has no resource-level permissions and must be granted " +
				"on *; every push/pull action is limited to the two repositories."),
			AppliesTo: &[]any{"Resource::*"},
		}}, jsii.Bool(true))
		g.BuilderRole = role
	}
	awscdk.NewCfnOutput(stack, jsii.String("BuilderRoleArn"), &awscdk.CfnOutputProps{
		Value:       g.BuilderRole.RoleArn(),
		Description: jsii.String("Set as the GitHub secret AWS_ROLE_TO_ASSUME for the image workflows"),
	})

	if cfg.CreateDeployRole {
		role := awsiam.NewRole(c, jsii.String("DeployRole"), &awsiam.RoleProps{
			RoleName:           jsii.String(DeployRoleName),
			Description:        jsii.String("GitHub Actions (" + cfg.GitHubRepo + ") runs cdk deploy"),
			AssumedBy:          trust(),
			MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(2)),
		})
		// cdk deploy works through the bootstrap roles; this role may only assume those.
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:     jsii.String("AssumeCdkBootstrapRoles"),
			Actions: jsii.Strings("sts:AssumeRole"),
			Resources: jsii.Strings(fmt.Sprintf("arn:%s:iam::%s:role/cdk-%s-*", *stack.Partition(), *stack.Account(),
				cfg.BootstrapQualifier)),
		}))
		cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
			Id: jsii.String("AwsSolutions-IAM5"),
			Reason: jsii.String("The CDK bootstrap role names end in the account and region " +
				"(cdk-<qualifier>-deploy-role-<account>-<region>, file-publishing, image-publishing, lookup); the " +
				"wildcard is limited to this bootstrap qualifier's roles and to sts:AssumeRole."),
			AppliesTo: &[]any{map[string]any{"regex": "/^Resource::arn:.*:role/cdk-[a-z0-9]+-\\*$/"}},
		}}, jsii.Bool(true))
		g.DeployRole = role
		awscdk.NewCfnOutput(stack, jsii.String("DeployRoleArn"), &awscdk.CfnOutputProps{
			Value:       role.RoleArn(),
			Description: jsii.String("Role for the CDK deploy workflow"),
		})
	}
	return g
}
