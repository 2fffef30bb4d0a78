package main

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// cdk-nag's AwsSolutionsChecks runs on every synth (NewOpenWebUIBedrock adds it); these tests hold every
// combination and both stacks to zero unsuppressed findings, and every suppression to a written reason.

func TestCdkNagAwsSolutionsHasNoUnsuppressedErrors(t *testing.T) {
	each(t, allCombos, func(t *testing.T, s *synthesized) {
		for _, stack := range []awscdk.Stack{s.stacks.Registry, s.stacks.Application} {
			ann := assertions.Annotations_FromStack(stack)
			errs := ann.FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*")))
			for _, e := range *errs {
				t.Errorf("%s: %s %v", *stack.StackName(), *e.Id, e.Entry.Data)
			}
			// A rule that could not evaluate (an intrinsic it cannot read) is a hidden finding, not a pass.
			failures := ann.FindWarning(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("CdkNagValidationFailure")))
			for _, w := range *failures {
				t.Errorf("%s: %s %v", *stack.StackName(), *w.Id, w.Entry.Data)
			}
		}
	})
}

func TestEveryNagSuppressionHasARealReason(t *testing.T) {
	seen := map[string]bool{}
	each(t, allCombos, func(t *testing.T, s *synthesized) {
		for _, tmpl := range []map[string]any{s.regJSON, s.appJSON} {
			for id, r := range tmpl["Resources"].(map[string]any) {
				meta, _ := r.(map[string]any)["Metadata"].(map[string]any)
				nag, _ := meta["cdk_nag"].(map[string]any)
				rules, _ := nag["rules_to_suppress"].([]any)
				for _, rule := range rules {
					rm := rule.(map[string]any)
					reason, _ := rm["reason"].(string)
					seen[rm["id"].(string)] = true
					if len(reason) < 60 || strings.Contains(strings.ToLower(reason), "todo") {
						t.Errorf("%s: suppression of %v has no real reason: %q", id, rm["id"], reason)
					}
				}
			}
		}
	})
	// The suppressions this app is known to need; a new one must be reviewed and added here.
	allowed := map[string]bool{"AwsSolutions-IAM5": true, "AwsSolutions-EC23": true, "AwsSolutions-S1": true,
		"AwsSolutions-SMG4": true, "AwsSolutions-ECS2": true, "AwsSolutions-RDS6": true, "AwsSolutions-AEC5": true}
	for id := range seen {
		if !allowed[id] {
			t.Errorf("unreviewed suppression %s", id)
		}
	}
}

// The ALB's 0.0.0.0/0 exception exists only when the CIDRs really are open to the world.
func TestOpenIngressSuppressionOnlyWhenOpenToTheWorld(t *testing.T) {
	for name, want := range map[string]bool{"default": true, "full": false} {
		each(t, []string{name}, func(t *testing.T, s *synthesized) {
			sg := securityGroup(t, s.appJSON, "Open WebUI load balancer")
			got := strings.Contains(js(sg.Raw["Metadata"]), "AwsSolutions-EC23")
			if got != want {
				t.Errorf("EC23 suppression present = %v, want %v", got, want)
			}
		})
	}
}

// A bad context value stops the app before any stack is built, with a message naming the key.
func TestBadContextFailsSynthNamingTheKey(t *testing.T) {
	guard(t, func() {
		app := NewCdkApp(map[string]any{"webuiReplicas": 0, "cpuArchitecture": "sparc"})
		stacks, err := NewOpenWebUIBedrock(app)
		if err == nil || stacks != nil {
			t.Fatalf("want an error, got stacks")
		}
		for _, key := range []string{`"webuiReplicas"`, `"cpuArchitecture"`} {
			if !strings.Contains(err.Error(), key) {
				t.Errorf("error does not name %s: %v", key, err)
			}
		}
		if n := len(*app.Node().Children()); n != 0 {
			t.Errorf("no construct may be created on bad context, found %d", n)
		}
	})
}
