package main

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// Registry stack: ECR repositories, the GitHub OIDC provider, the builder role and the optional deploy role.

func TestRegistryCreatesBothRepositoriesScannedEncryptedWithLifecycle(t *testing.T) {
	each(t, []string{"default", "minimal"}, func(t *testing.T, s *synthesized) {
		s.reg.ResourceCountIs(jsii.String("AWS::ECR::Repository"), jsii.Number(2))
		for _, name := range []string{WebUIRepositoryName, GatewayRepositoryName} {
			s.reg.HasResource(jsii.String("AWS::ECR::Repository"), obj{
				"Properties": obj{
					"RepositoryName":             name,
					"ImageScanningConfiguration": obj{"ScanOnPush": true},
					"EncryptionConfiguration":    obj{"EncryptionType": "AES256"},
					"LifecyclePolicy":            assertions.Match_ObjectLike(&obj{"LifecyclePolicyText": assertions.Match_AnyValue()}),
				},
				"DeletionPolicy": "Retain",
			})
		}
		for _, r := range resourcesOf(s.regJSON, "AWS::ECR::Repository") {
			text := r.Props["LifecyclePolicy"].(map[string]any)["LifecyclePolicyText"].(string)
			wantContains(t, "lifecycle rules", text, `"tagStatus":"untagged"`, `"countType":"imageCountMoreThan"`)
		}
		wantContains(t, "repository URI output", outputValue(t, s.regJSON, "GatewayRepositoryUri"), "GatewayRepository")
	})
}

func TestRegistryAdoptsExistingRepositoriesInsteadOfCreatingThem(t *testing.T) {
	each(t, []string{"full"}, func(t *testing.T, s *synthesized) {
		s.reg.ResourceCountIs(jsii.String("AWS::ECR::Repository"), jsii.Number(0))
		wantContains(t, "adopted repository URI", outputValue(t, s.regJSON, "WebUIRepositoryUri"),
			".dkr.ecr.eu-west-1.", "/open-webui")
		wantContains(t, "adopted repository URI", outputValue(t, s.regJSON, "GatewayRepositoryUri"),
			"/bedrock-access-gateway")
	})
}

func TestRegistryCreatesTheGitHubOidcProvider(t *testing.T) {
	each(t, []string{"default"}, func(t *testing.T, s *synthesized) {
		s.reg.ResourceCountIs(jsii.String("AWS::IAM::OIDCProvider"), jsii.Number(1))
		s.reg.HasResourceProperties(jsii.String("AWS::IAM::OIDCProvider"), obj{
			"Url":          "https://token.actions.githubusercontent.com",
			"ClientIdList": []any{"sts.amazonaws.com"},
		})
	})
}

func TestRegistryAdoptsTheExistingOidcProviderAndBuilderRole(t *testing.T) {
	each(t, []string{"full"}, func(t *testing.T, s *synthesized) {
		s.reg.ResourceCountIs(jsii.String("AWS::IAM::OIDCProvider"), jsii.Number(0))
		wantContains(t, "adopted provider ARN", outputValue(t, s.regJSON, "GitHubOidcProviderArn"),
			":oidc-provider/token.actions.githubusercontent.com")
		// The builder role exists already: only the deploy role is created.
		s.reg.ResourceCountIs(jsii.String("AWS::IAM::Role"), jsii.Number(1))
		wantContains(t, "adopted builder role", outputValue(t, s.regJSON, "BuilderRoleArn"),
			":role/github-actions-ecr-builder")
	})
}

// trustConditions returns the StringEquals conditions of a role's web-identity trust.
func trustConditions(t *testing.T, role resource) map[string]any {
	t.Helper()
	doc := role.Props["AssumeRolePolicyDocument"].(map[string]any)
	stmts := doc["Statement"].([]any)
	if len(stmts) != 1 {
		t.Fatalf("want one trust statement, got %v", js(stmts))
	}
	st := stmts[0].(map[string]any)
	wantEqual(t, "trust action", st["Action"], "sts:AssumeRoleWithWebIdentity")
	wantContains(t, "trust principal", st["Principal"], "Federated")
	return st["Condition"].(map[string]any)["StringEquals"].(map[string]any)
}

func subjects(v any) []string {
	var out []string
	switch s := v.(type) {
	case string:
		out = append(out, s)
	case []any:
		for _, x := range s {
			out = append(out, x.(string))
		}
	}
	return out
}

func TestBuilderRoleIsTrustedOnlyByTheRepositoryMainBranchAndEnvironments(t *testing.T) {
	each(t, []string{"default"}, func(t *testing.T, s *synthesized) {
		role := onlyResource(t, s.regJSON, "AWS::IAM::Role", func(r resource) bool {
			return r.Props["RoleName"] == BuilderRoleName
		})
		cond := trustConditions(t, role)
		wantEqual(t, "audience", cond["token.actions.githubusercontent.com:aud"], "sts.amazonaws.com")
		got := strings.Join(subjects(cond["token.actions.githubusercontent.com:sub"]), " ")
		wantEqual(t, "subjects", got,
			"repo:acme/openwebui-bedrock:ref:refs/heads/main repo:acme/openwebui-bedrock:environment:production")
		if strings.Contains(js(role.Props), "StringLike") || strings.Contains(got, "*") {
			t.Errorf("trust must be exact, got %s", js(role.Props["AssumeRolePolicyDocument"]))
		}
	})
}

func TestBuilderRoleMayPushAndPullOnlyTheTwoRepositories(t *testing.T) {
	each(t, []string{"default"}, func(t *testing.T, s *synthesized) {
		policy := onlyResource(t, s.regJSON, "AWS::IAM::Policy", func(r resource) bool {
			return strings.Contains(js(r.Props["Roles"]), "BuilderRole")
		})
		stmts := policy.Props["PolicyDocument"].(map[string]any)["Statement"].([]any)
		if len(stmts) != 2 {
			t.Fatalf("want 2 statements, got %s", js(stmts))
		}
		login, push := stmts[0].(map[string]any), stmts[1].(map[string]any)
		wantEqual(t, "login action", login["Action"], "ecr:GetAuthorizationToken")
		wantEqual(t, "login resource", login["Resource"], "*")
		wantContains(t, "push/pull actions", push["Action"], "ecr:BatchGetImage", "ecr:PutImage",
			"ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload",
			"ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer")
		res := push["Resource"].([]any)
		if len(res) != 2 {
			t.Fatalf("push/pull must be on exactly the two repositories, got %s", js(res))
		}
		wantContains(t, "repositories", res, "WebUIRepository", "GatewayRepository")
	})
}

func TestDeployRoleIsOptionalAndMayOnlyAssumeTheCdkBootstrapRoles(t *testing.T) {
	each(t, []string{"default", "minimal"}, func(t *testing.T, s *synthesized) {
		for _, r := range resourcesOf(s.regJSON, "AWS::IAM::Role") {
			if r.Props["RoleName"] == DeployRoleName {
				t.Errorf("deploy role created without createDeployRole")
			}
		}
	})
	each(t, []string{"full"}, func(t *testing.T, s *synthesized) {
		role := onlyResource(t, s.regJSON, "AWS::IAM::Role", func(r resource) bool {
			return r.Props["RoleName"] == DeployRoleName
		})
		cond := trustConditions(t, role)
		wantEqual(t, "deploy subjects", strings.Join(subjects(cond["token.actions.githubusercontent.com:sub"]), " "),
			"repo:acme/openwebui-bedrock:ref:refs/heads/main repo:acme/openwebui-bedrock:environment:production "+
				"repo:acme/openwebui-bedrock:environment:staging")
		wantContains(t, "trusted provider", role.Props["AssumeRolePolicyDocument"],
			":oidc-provider/token.actions.githubusercontent.com")
		s.reg.HasResourceProperties(jsii.String("AWS::IAM::Policy"), obj{
			"PolicyDocument": obj{"Statement": []any{obj{
				"Action":   "sts:AssumeRole",
				"Effect":   "Allow",
				"Resource": assertions.Match_AnyValue(),
				"Sid":      "AssumeCdkBootstrapRoles",
			}}},
		})
		policy := onlyResource(t, s.regJSON, "AWS::IAM::Policy", nil)
		wantContains(t, "bootstrap roles", policy.Props["PolicyDocument"], ":role/cdk-hnb659fds-*")
		if !hasOutput(s.regJSON, "DeployRoleArn") {
			t.Error("no DeployRoleArn output")
		}
	})
}

func TestRegistryWithoutGitHubRepoHasOnlyRepositoriesAndWarns(t *testing.T) {
	each(t, []string{"minimal"}, func(t *testing.T, s *synthesized) {
		s.reg.ResourceCountIs(jsii.String("AWS::IAM::OIDCProvider"), jsii.Number(0))
		s.reg.ResourceCountIs(jsii.String("AWS::IAM::Role"), jsii.Number(0))
		warnings := assertions.Annotations_FromStack(s.stacks.Registry).FindWarning(jsii.String("*"),
			assertions.Match_StringLikeRegexp(jsii.String("githubRepo is not set")))
		if len(*warnings) != 1 {
			t.Errorf("want one githubRepo warning, got %d", len(*warnings))
		}
	})
}
