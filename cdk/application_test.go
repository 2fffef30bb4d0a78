package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// Application stack: one test (or more) per line of the "Application stack" section.

// --- VPC ---

func TestVpcHasTwoPublicAndTwoPrivateSubnetsOverTwoAZs(t *testing.T) {
	each(t, allCombos, func(t *testing.T, s *synthesized) {
		s.app.ResourceCountIs(jsii.String("AWS::EC2::VPC"), jsii.Number(1))
		subnets := resourcesOf(s.appJSON, "AWS::EC2::Subnet")
		public, azs := 0, map[string]bool{}
		for _, sn := range subnets {
			if sn.Props["MapPublicIpOnLaunch"] == true {
				public++
			}
			azs[js(sn.Props["AvailabilityZone"])] = true
		}
		wantEqual(t, "subnets", len(subnets), 4)
		wantEqual(t, "public subnets", public, 2)
		wantEqual(t, "distinct AZs", len(azs), 2)
		s.app.ResourceCountIs(jsii.String("AWS::EC2::FlowLog"), jsii.Number(1))
	})
}

func TestNatGatewaysAreConfigurableAndOneByDefault(t *testing.T) {
	want := map[string]float64{"default": 1, "full": 0, "minimal": 2}
	each(t, allCombos, func(t *testing.T, s *synthesized) {
		s.app.ResourceCountIs(jsii.String("AWS::EC2::NatGateway"), jsii.Number(want[s.name]))
	})
}

func TestVpcEndpointsAreOptionalAndCoverEveryServiceTheTasksUse(t *testing.T) {
	each(t, []string{"default"}, func(t *testing.T, s *synthesized) {
		s.app.ResourceCountIs(jsii.String("AWS::EC2::VPCEndpoint"), jsii.Number(0))
	})
	each(t, []string{"full", "minimal"}, func(t *testing.T, s *synthesized) {
		var services []string
		for _, e := range resourcesOf(s.appJSON, "AWS::EC2::VPCEndpoint") {
			name := js(e.Props["ServiceName"])
			services = append(services, strings.TrimRight(name[strings.LastIndex(name, ".")+1:], `"]}`))
			if e.Props["VpcEndpointType"] == "Interface" && e.Props["PrivateDnsEnabled"] != true {
				t.Errorf("%s: private DNS must be on", name)
			}
		}
		slices.Sort(services)
		wantEqual(t, "endpoint services", strings.Join(services, " "),
			"api bedrock bedrock-runtime dkr logs s3 secretsmanager")
		sg := securityGroup(t, s.appJSON, "VPC interface endpoints")
		for _, r := range ingress(s.appJSON, sg) {
			wantEqual(t, "endpoint ingress", js(r), `{"CidrIp":"10.40.0.0/16","Description":"HTTPS from the VPC",`+
				`"FromPort":443,"IpProtocol":"tcp","ToPort":443}`)
		}
	})
}

// --- ALB and security groups ---

func TestAlbIsInternetFacingInPublicSubnetsWithAStreamingIdleTimeout(t *testing.T) {
	each(t, allCombos, func(t *testing.T, s *synthesized) {
		alb := onlyResource(t, s.appJSON, "AWS::ElasticLoadBalancingV2::LoadBalancer", nil)
		wantEqual(t, "scheme", alb.Props["Scheme"], "internet-facing")
		wantContains(t, "subnets", alb.Props["Subnets"], "publicSubnet1", "publicSubnet2")
		attrs := map[string]any{}
		for _, a := range alb.Props["LoadBalancerAttributes"].([]any) {
			am := a.(map[string]any)
			attrs[am["Key"].(string)] = am["Value"]
		}
		if v := attrs["idle_timeout.timeout_seconds"]; v != "600" {
			t.Errorf("idle timeout = %v, want ≥ 300 (600)", v)
		}
		wantEqual(t, "access logs", attrs["access_logs.s3.enabled"], "true")
		wantEqual(t, "drop invalid headers", attrs["routing.http.drop_invalid_header_fields.enabled"], "true")
	})
}

func TestAlbAcceptsOnlyTheAllowedCidrs(t *testing.T) {
	want := map[string][]string{
		"default": {"0.0.0.0/0:80"},
		"full":    {"198.51.100.0/24:443", "198.51.100.0/24:80", "203.0.113.0/24:443", "203.0.113.0/24:80"},
		"minimal": {"0.0.0.0/0:80"},
	}
	for _, name := range allCombos {
		each(t, []string{name}, func(t *testing.T, s *synthesized) {
			sg := securityGroup(t, s.appJSON, "Open WebUI load balancer")
			var got []string
			for _, r := range ingress(s.appJSON, sg) {
				got = append(got, js(r["CidrIp"])[1:len(js(r["CidrIp"]))-1]+":"+js(r["FromPort"]))
			}
			slices.Sort(got)
			wantEqual(t, "ALB ingress", strings.Join(got, " "), strings.Join(want[name], " "))
		})
	}
}

func TestOpenWebUIAcceptsTrafficOnlyFromTheAlb(t *testing.T) {
	each(t, allCombos, func(t *testing.T, s *synthesized) {
		alb := securityGroup(t, s.appJSON, "Open WebUI load balancer")
		webui := securityGroup(t, s.appJSON, "Open WebUI: HTTP from the load balancer only")
		rules := ingress(s.appJSON, webui)
		wantEqual(t, "Open WebUI ingress rules", len(rules), 1)
		for _, r := range rules {
			if !refersTo(r["SourceSecurityGroupId"], alb.ID) || js(r["FromPort"]) != "8080" {
				t.Errorf("Open WebUI ingress %s is not 8080 from the ALB", js(r))
			}
		}
	})
}

func TestGatewayAcceptsTrafficOnlyFromOpenWebUI(t *testing.T) {
	each(t, allCombos, func(t *testing.T, s *synthesized) {
		webui := securityGroup(t, s.appJSON, "Open WebUI: HTTP from the load balancer only")
		gw := securityGroup(t, s.appJSON, "bedrock-gateway:")
		rules := ingress(s.appJSON, gw)
		wantEqual(t, "gateway ingress rules", len(rules), 1)
		for _, r := range rules {
			if !refersTo(r["SourceSecurityGroupId"], webui.ID) || js(r["FromPort"]) != "80" {
				t.Errorf("gateway ingress %s is not 80 from Open WebUI", js(r))
			}
		}
		var egress []string
		for _, e := range gw.Props["SecurityGroupEgress"].([]any) {
			em := e.(map[string]any)
			egress = append(egress, js(em["CidrIp"])+":"+js(em["FromPort"]))
		}
		slices.Sort(egress)
		wantEqual(t, "gateway egress (AWS APIs, image URLs)", strings.Join(egress, " "),
			`"0.0.0.0/0":443 "0.0.0.0/0":80`)
	})
}

// --- EFS ---

func TestEfsIsEncryptedBackedUpRetainedAndReachableOnlyFromOpenWebUI(t *testing.T) {
	each(t, allCombos, func(t *testing.T, s *synthesized) {
		s.app.HasResource(jsii.String("AWS::EFS::FileSystem"), obj{
			"Properties":     assertions.Match_ObjectLike(&obj{"Encrypted": true, "BackupPolicy": obj{"Status": "ENABLED"}}),
			"DeletionPolicy": "Retain",
		})
		fs := onlyResource(t, s.appJSON, "AWS::EFS::FileSystem", nil)
		if strings.Contains(js(fs.Props["FileSystemPolicy"]), `"Allow"`) {
			t.Errorf("the file-system policy must not allow anyone: %s", js(fs.Props["FileSystemPolicy"]))
		}
		mounts := resourcesOf(s.appJSON, "AWS::EFS::MountTarget")
		wantEqual(t, "mount targets", len(mounts), 2)
		for _, m := range mounts {
			wantContains(t, "mount target subnet", m.Props["SubnetId"], "privateSubnet")
		}
		s.app.HasResourceProperties(jsii.String("AWS::EFS::AccessPoint"), obj{
			"PosixUser":     obj{"Uid": "1000", "Gid": "1000"},
			"RootDirectory": assertions.Match_ObjectLike(&obj{"Path": "/open-webui"}),
		})
		webui := securityGroup(t, s.appJSON, "Open WebUI: HTTP from the load balancer only")
		efs := securityGroup(t, s.appJSON, "Open WebUI data (EFS)")
		rules := ingress(s.appJSON, efs)
		wantEqual(t, "EFS ingress rules", len(rules), 1)
		if !refersTo(rules[0]["SourceSecurityGroupId"], webui.ID) || js(rules[0]["FromPort"]) != "2049" {
			t.Errorf("EFS ingress %s is not NFS from Open WebUI", js(rules[0]))
		}
	})
}

func TestOpenWebUIMountsTheAccessPointAtItsDataPath(t *testing.T) {
	each(t, allCombos, func(t *testing.T, s *synthesized) {
		c, td := containerDef(t, s.appJSON, "open-webui")
		wantEqual(t, "mount points", js(c["MountPoints"]),
			`[{"ContainerPath":"/app/backend/data","ReadOnly":false,"SourceVolume":"data"}]`)
		vol := td.Props["Volumes"].([]any)[0].(map[string]any)["EFSVolumeConfiguration"].(map[string]any)
		wantEqual(t, "transit encryption", vol["TransitEncryption"], "ENABLED")
		auth := vol["AuthorizationConfig"].(map[string]any)
		wantEqual(t, "IAM authorization", auth["IAM"], "ENABLED")
		wantContains(t, "access point", auth["AccessPointId"], "StorageFileSystemWebUIData")
	})
}

// --- Secrets ---

func TestSecretsAreGeneratedWithTheGatewayKeyAsJSON(t *testing.T) {
	each(t, allCombos, func(t *testing.T, s *synthesized) {
		s.app.HasResourceProperties(jsii.String("AWS::SecretsManager::Secret"), obj{
			"Name": GatewayAPIKeySecretName,
			"GenerateSecretString": assertions.Match_ObjectLike(&obj{
				"SecretStringTemplate": "{}", "GenerateStringKey": "api_key",
			}),
		})
		s.app.HasResourceProperties(jsii.String("AWS::SecretsManager::Secret"), obj{
			"Name":                 WebUISecretKeyName,
			"GenerateSecretString": assertions.Match_ObjectLike(&obj{"PasswordLength": 64}),
		})
	})
}

// credentialNames are environment names that must only ever be ECS secrets.
var credentialNames = []string{"API_KEY", "OPENAI_API_KEY", "RAG_OPENAI_API_KEY", "WEBUI_SECRET_KEY", "DATABASE_URL",
	"PGVECTOR_DB_URL", "REDIS_URL", "WEBSOCKET_REDIS_URL"}

func TestCredentialsAreEcsSecretsNeverPlainEnvironment(t *testing.T) {
	each(t, allCombos, func(t *testing.T, s *synthesized) {
		for _, name := range []string{"gateway", "open-webui"} {
			c, _ := containerDef(t, s.appJSON, name)
			for k, v := range envOf(c) {
				up := strings.ToUpper(k)
				if slices.Contains(credentialNames, k) || strings.Contains(up, "PASSWORD") ||
					strings.Contains(js(v), "resolve:secretsmanager") || strings.HasSuffix(up, "_KEY") {
					t.Errorf("%s: %s is a plain environment value (%s)", name, k, js(v))
				}
			}
		}
		gw, _ := containerDef(t, s.appJSON, "gateway")
		wantContains(t, "gateway API_KEY", secretsOf(gw)["API_KEY"], "SecretsGatewayApiKey", ":api_key::")
		ui, _ := containerDef(t, s.appJSON, "open-webui")
		sec := secretsOf(ui)
		wantContains(t, "OPENAI_API_KEY", sec["OPENAI_API_KEY"], "SecretsGatewayApiKey", ":api_key::")
		wantContains(t, "RAG_OPENAI_API_KEY", sec["RAG_OPENAI_API_KEY"], "SecretsGatewayApiKey", ":api_key::")
		wantContains(t, "WEBUI_SECRET_KEY", sec["WEBUI_SECRET_KEY"], "SecretsWebUISecretKey")
	})
}

// --- IAM ---

func policyOf(t *testing.T, tmpl map[string]any, rolePrefix string) []map[string]any {
	t.Helper()
	p := onlyResource(t, tmpl, "AWS::IAM::Policy", func(r resource) bool {
		return strings.Contains(js(r.Props["Roles"]), `"`+rolePrefix)
	})
	var out []map[string]any
	for _, st := range p.Props["PolicyDocument"].(map[string]any)["Statement"].([]any) {
		out = append(out, st.(map[string]any))
	}
	return out
}

func TestExecutionRolePullsImagesWritesLogsAndReadsTheSecrets(t *testing.T) {
	each(t, allCombos, func(t *testing.T, s *synthesized) {
		stmts := policyOf(t, s.appJSON, "EcsTaskExecutionRole")
		all := js(stmts)
		wantContains(t, "execution role", all, "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
			":repository/bedrock-access-gateway", ":repository/open-webui", "ecr:GetAuthorizationToken",
			"logs:CreateLogStream", "logs:PutLogEvents", "GatewayLogs", "WebUILogs", "secretsmanager:GetSecretValue",
			"SecretsGatewayApiKey", "SecretsWebUISecretKey")
		for _, st := range stmts {
			if js(st["Resource"]) == `"*"` && js(st["Action"]) != `"ecr:GetAuthorizationToken"` {
				t.Errorf("only ecr:GetAuthorizationToken may be on *: %s", js(st))
			}
		}
		wantEqual(t, "execution statements", len(stmts), 4)
	})
}

func TestGatewayTaskRoleInvokesOnlyModelsAndInferenceProfiles(t *testing.T) {
	each(t, []string{"default", "full"}, func(t *testing.T, s *synthesized) {
		stmts := policyOf(t, s.appJSON, "GatewayTaskRole")
		wantEqual(t, "statements", len(stmts), 2)
		invoke, list := stmts[0], stmts[1]
		wantEqual(t, "invoke actions", js(invoke["Action"]),
			`["bedrock:InvokeModel","bedrock:InvokeModelWithResponseStream"]`)
		res := invoke["Resource"].([]any)
		wantEqual(t, "invoke resources", len(res), 3)
		wantContains(t, "invoke resources", res, "arn:aws:bedrock:*::foundation-model/*",
			":inference-profile/*", ":application-inference-profile/*")
		wantEqual(t, "list actions", js(list["Action"]), `["bedrock:ListFoundationModels","bedrock:ListInferenceProfiles"]`)
		wantEqual(t, "list resource", list["Resource"], "*")
	})
}

func TestOpenWebUITaskRoleIsLimitedToItsAccessPoint(t *testing.T) {
	each(t, allCombos, func(t *testing.T, s *synthesized) {
		stmts := policyOf(t, s.appJSON, "WebUITaskRole")
		wantEqual(t, "statements", len(stmts), 1)
		wantEqual(t, "actions", js(stmts[0]["Action"]), `["elasticfilesystem:ClientMount","elasticfilesystem:ClientWrite"]`)
		wantContains(t, "condition", stmts[0]["Condition"], "elasticfilesystem:AccessPointArn", ":access-point/",
			"StorageFileSystemWebUIData")
	})
}

// --- ECS, Cloud Map, gateway service ---

func TestClusterHasContainerInsightsAndTheInternalNamespace(t *testing.T) {
	each(t, allCombos, func(t *testing.T, s *synthesized) {
		s.app.HasResourceProperties(jsii.String("AWS::ECS::Cluster"), obj{
			"ClusterSettings": []any{obj{"Name": "containerInsights", "Value": "enabled"}},
		})
		s.app.HasResourceProperties(jsii.String("AWS::ServiceDiscovery::PrivateDnsNamespace"), obj{"Name": "internal"})
		s.app.HasResourceProperties(jsii.String("AWS::ServiceDiscovery::Service"), obj{
			"Name":      "bedrock-gateway",
			"DnsConfig": assertions.Match_ObjectLike(&obj{"DnsRecords": []any{obj{"TTL": 10, "Type": "A"}}}),
		})
	})
}

func ecsService(t *testing.T, tmpl map[string]any, idPrefix string) resource {
	t.Helper()
	return onlyResource(t, tmpl, "AWS::ECS::Service", func(r resource) bool { return strings.HasPrefix(r.ID, idPrefix) })
}

func TestGatewayServiceIsPrivateRegisteredInCloudMapWithRollback(t *testing.T) {
	each(t, allCombos, func(t *testing.T, s *synthesized) {
		svc := ecsService(t, s.appJSON, "GatewayService")
		net := svc.Props["NetworkConfiguration"].(map[string]any)["AwsvpcConfiguration"].(map[string]any)
		wantEqual(t, "public IP", net["AssignPublicIp"], "DISABLED")
		wantContains(t, "subnets", net["Subnets"], "privateSubnet1", "privateSubnet2")
		dc := svc.Props["DeploymentConfiguration"].(map[string]any)
		wantEqual(t, "circuit breaker", js(dc["DeploymentCircuitBreaker"]), `{"Enable":true,"Rollback":true}`)
		wantEqual(t, "min healthy", dc["MinimumHealthyPercent"], 100)
		wantContains(t, "Cloud Map registration", svc.Props["ServiceRegistries"], "GatewayServiceCloudmapService")
		if svc.Props["LoadBalancers"] != nil {
			t.Error("the gateway must not be behind the public ALB")
		}
		wantEqual(t, "GatewayInternalUrl output", outputValue(t, s.appJSON, "GatewayInternalUrl"),
			"http://bedrock-gateway.internal:80/api/v1")
	})
}

func TestGatewayContainerRunsNonRootOnPort80WithItsHealthCheckAndStopWindow(t *testing.T) {
	each(t, allCombos, func(t *testing.T, s *synthesized) {
		c, td := containerDef(t, s.appJSON, "gateway")
		wantEqual(t, "user", c["User"], "65532:65532")
		wantEqual(t, "read-only root", c["ReadonlyRootFilesystem"], true)
		wantEqual(t, "ports", js(c["PortMappings"]), `[{"ContainerPort":80,"Name":"http","Protocol":"tcp"}]`)
		wantEqual(t, "sysctl", js(c["SystemControls"]),
			`[{"Namespace":"net.ipv4.ip_unprivileged_port_start","Value":"0"}]`)
		wantEqual(t, "health check", js(c["HealthCheck"]),
			`{"Command":["CMD","/bedrock-gateway","healthcheck"],"Interval":15,"Retries":3,"StartPeriod":15,"Timeout":5}`)
		wantEqual(t, "stop timeout", c["StopTimeout"], 120)
		wantContains(t, "logging", c["LogConfiguration"], `"awslogs"`, "GatewayLogs")
		wantEqual(t, "launch", js(td.Props["RequiresCompatibilities"]), `["FARGATE"]`)
	})
}

func TestGatewayEnvironment(t *testing.T) {
	want := map[string]map[string]string{
		"default": {"AWS_REGION": "us-east-1", "DEFAULT_MODEL": defaultModel, "DEFAULT_EMBEDDING_MODEL": defaultEmbeddingModel},
		"full": {"AWS_REGION": "eu-west-1", "DEFAULT_MODEL": "eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
			"DEFAULT_EMBEDDING_MODEL": "amazon.titan-embed-text-v2:0"},
	}
	for name, w := range want {
		each(t, []string{name}, func(t *testing.T, s *synthesized) {
			c, _ := containerDef(t, s.appJSON, "gateway")
			env := envOf(c)
			w["PORT"], w["API_ROUTE_PREFIX"] = "80", "/api/v1"
			w["ENABLE_CROSS_REGION_INFERENCE"], w["ENABLE_APPLICATION_INFERENCE_PROFILES"] = "true", "true"
			w["SHUTDOWN_TIMEOUT"] = "110s" // drains before the 120 s stop timeout
			for k, v := range w {
				wantEqual(t, k, env[k], v)
			}
		})
	}
}

func TestGatewayScalesOnCpuBetweenTheConfiguredBounds(t *testing.T) {
	bounds := map[string][2]float64{"default": {1, 4}, "full": {2, 6}}
	for name, b := range bounds {
		each(t, []string{name}, func(t *testing.T, s *synthesized) {
			s.app.HasResourceProperties(jsii.String("AWS::ApplicationAutoScaling::ScalableTarget"), obj{
				"MinCapacity": b[0], "MaxCapacity": b[1], "ScalableDimension": "ecs:service:DesiredCount",
			})
			s.app.HasResourceProperties(jsii.String("AWS::ApplicationAutoScaling::ScalingPolicy"), obj{
				"PolicyType": "TargetTrackingScaling",
				"TargetTrackingScalingPolicyConfiguration": assertions.Match_ObjectLike(&obj{
					"PredefinedMetricSpecification": obj{"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
					"TargetValue":                   60,
				}),
			})
			svc := ecsService(t, s.appJSON, "GatewayService")
			wantEqual(t, "desired count", svc.Props["DesiredCount"], b[0])
		})
	}
}

// --- Open WebUI service ---

func TestOpenWebUIServiceIsPrivateBehindTheTargetGroup(t *testing.T) {
	each(t, allCombos, func(t *testing.T, s *synthesized) {
		svc := ecsService(t, s.appJSON, "WebUIService")
		net := svc.Props["NetworkConfiguration"].(map[string]any)["AwsvpcConfiguration"].(map[string]any)
		wantEqual(t, "public IP", net["AssignPublicIp"], "DISABLED")
		wantContains(t, "subnets", net["Subnets"], "privateSubnet1", "privateSubnet2")
		wantContains(t, "target group", svc.Props["LoadBalancers"], `"ContainerName":"open-webui"`,
			`"ContainerPort":8080`, "LoadBalancerWebUITargets")
		wantEqual(t, "circuit breaker", js(svc.Props["DeploymentConfiguration"].(map[string]any)["DeploymentCircuitBreaker"]),
			`{"Enable":true,"Rollback":true}`)
		s.app.HasResourceProperties(jsii.String("AWS::ElasticLoadBalancingV2::TargetGroup"), obj{
			"HealthCheckPath": "/health", "Port": 8080, "TargetType": "ip", "Matcher": obj{"HttpCode": "200"},
		})
		c, _ := containerDef(t, s.appJSON, "open-webui")
		wantContains(t, "container health check", c["HealthCheck"], "http://localhost:8080/health")
	})
}

func TestOpenWebUIEnvironmentPointsAtTheGatewayForChatEmbeddingsAndTasks(t *testing.T) {
	each(t, []string{"default", "full"}, func(t *testing.T, s *synthesized) {
		cfg := s.stacks.Config
		c, _ := containerDef(t, s.appJSON, "open-webui")
		env := envOf(c)
		for k, v := range map[string]string{
			"OPENAI_API_BASE_URL":      "http://bedrock-gateway.internal:80/api/v1",
			"RAG_OPENAI_API_BASE_URL":  "http://bedrock-gateway.internal:80/api/v1",
			"ENABLE_OLLAMA_API":        "false",
			"RAG_EMBEDDING_ENGINE":     "openai",
			"RAG_EMBEDDING_MODEL":      cfg.EmbeddingModel,
			"TASK_MODEL_EXTERNAL":      cfg.TaskModel,
			"DEFAULT_MODELS":           cfg.DefaultModel,
			"ENABLE_PERSISTENT_CONFIG": map[bool]string{true: "true", false: "false"}[cfg.WebUIPersistentConfig],
		} {
			wantEqual(t, k, env[k], v)
		}
	})
}

func TestWebUIUrlIsTheAlbOrTheHttpsDomain(t *testing.T) {
	each(t, []string{"default"}, func(t *testing.T, s *synthesized) {
		c, _ := containerDef(t, s.appJSON, "open-webui")
		wantContains(t, "WEBUI_URL", envOf(c)["WEBUI_URL"], `"http://"`, "LoadBalancerAlb", "DNSName")
		wantContains(t, "WebUIUrl output", outputValue(t, s.appJSON, "WebUIUrl"), `"http://"`, "DNSName")
	})
	each(t, []string{"full"}, func(t *testing.T, s *synthesized) {
		c, _ := containerDef(t, s.appJSON, "open-webui")
		wantEqual(t, "WEBUI_URL", envOf(c)["WEBUI_URL"], "https://chat.example.com")
		wantEqual(t, "WebUIUrl output", outputValue(t, s.appJSON, "WebUIUrl"), "https://chat.example.com")
	})
}

func TestOneOpenWebUITaskOnSQLiteByDefault(t *testing.T) {
	each(t, []string{"default", "minimal"}, func(t *testing.T, s *synthesized) {
		svc := ecsService(t, s.appJSON, "WebUIService")
		wantEqual(t, "desired count", svc.Props["DesiredCount"], 1)
		dc := svc.Props["DeploymentConfiguration"].(map[string]any)
		// Never two SQLite writers at once: the old task stops before the new one starts.
		wantEqual(t, "min/max healthy", js([]any{dc["MinimumHealthyPercent"], dc["MaximumPercent"]}), "[0,100]")
		for _, typ := range []string{"AWS::RDS::DBCluster", "AWS::ElastiCache::ReplicationGroup"} {
			s.app.ResourceCountIs(jsii.String(typ), jsii.Number(0))
		}
		c, _ := containerDef(t, s.appJSON, "open-webui")
		if _, ok := secretsOf(c)["DATABASE_URL"]; ok {
			t.Error("one replica must use SQLite on EFS")
		}
	})
}

func TestScaleOutCreatesPostgresAndRedisAndWiresTheirUrlsAsSecrets(t *testing.T) {
	each(t, []string{"full"}, func(t *testing.T, s *synthesized) {
		svc := ecsService(t, s.appJSON, "WebUIService")
		wantEqual(t, "desired count", svc.Props["DesiredCount"], 3)
		s.app.HasResourceProperties(jsii.String("AWS::RDS::DBCluster"), obj{
			"Engine":                           "aurora-postgresql",
			"StorageEncrypted":                 true,
			"DeletionProtection":               true,
			"ServerlessV2ScalingConfiguration": obj{"MinCapacity": 0.5, "MaxCapacity": 4},
		})
		s.app.HasResourceProperties(jsii.String("AWS::RDS::DBInstance"), obj{"DBInstanceClass": "db.serverless"})
		s.app.HasResourceProperties(jsii.String("AWS::ElastiCache::ReplicationGroup"), obj{
			"TransitEncryptionEnabled": true, "AtRestEncryptionEnabled": true, "MultiAZEnabled": true,
			"AuthToken": assertions.Match_AnyValue(),
		})
		c, _ := containerDef(t, s.appJSON, "open-webui")
		sec := secretsOf(c)
		for _, k := range []string{"DATABASE_URL", "PGVECTOR_DB_URL"} {
			wantContains(t, k, sec[k], "SharedStateDatabaseUrl")
		}
		for _, k := range []string{"REDIS_URL", "WEBSOCKET_REDIS_URL"} {
			wantContains(t, k, sec[k], "SharedStateRedisUrl")
		}
		env := envOf(c)
		wantEqual(t, "WEBSOCKET_MANAGER", env["WEBSOCKET_MANAGER"], "redis")
		wantEqual(t, "VECTOR_DB", env["VECTOR_DB"], "pgvector")
		// The URL secrets hold only dynamic references: no password is in the template.
		url := onlyResource(t, s.appJSON, "AWS::SecretsManager::Secret", func(r resource) bool {
			return strings.HasPrefix(r.ID, "SharedStateDatabaseUrl")
		})
		wantContains(t, "DATABASE_URL secret", url.Props["SecretString"], "postgresql://",
			"{{resolve:secretsmanager:", ":SecretString:password::}}", "/openwebui")
		redis := onlyResource(t, s.appJSON, "AWS::SecretsManager::Secret", func(r resource) bool {
			return strings.HasPrefix(r.ID, "SharedStateRedisUrl")
		})
		wantContains(t, "REDIS_URL secret", redis.Props["SecretString"], "rediss://:", "{{resolve:secretsmanager:",
			"PrimaryEndPoint.Address")
		// Only Open WebUI reaches them.
		webui := securityGroup(t, s.appJSON, "Open WebUI: HTTP from the load balancer only")
		for _, desc := range []string{"Open WebUI PostgreSQL", "Open WebUI Redis"} {
			rules := ingress(s.appJSON, securityGroup(t, s.appJSON, desc))
			if len(rules) != 1 || !refersTo(rules[0]["SourceSecurityGroupId"], webui.ID) {
				t.Errorf("%s ingress must be Open WebUI only: %s", desc, js(rules))
			}
		}
		s.app.HasResourceProperties(jsii.String("AWS::ElasticLoadBalancingV2::TargetGroup"), obj{
			"TargetGroupAttributes": assertions.Match_ArrayWith(&[]any{obj{"Key": "stickiness.enabled", "Value": "true"}}),
		})
	})
}

// --- Images and architecture ---

func TestImagesComeFromTheTwoRepositoriesAtTheContextTag(t *testing.T) {
	want := map[string][2]string{
		"default": {"/bedrock-access-gateway:latest", "/open-webui:latest"},
		"full":    {"/bedrock-access-gateway:0123abc", "/open-webui:v0.11.4-1"},
	}
	for name, w := range want {
		each(t, []string{name}, func(t *testing.T, s *synthesized) {
			gw, _ := containerDef(t, s.appJSON, "gateway")
			ui, _ := containerDef(t, s.appJSON, "open-webui")
			wantContains(t, "gateway image", gw["Image"], ".dkr.ecr.", w[0])
			wantContains(t, "Open WebUI image", ui["Image"], ".dkr.ecr.", w[1])
		})
	}
}

func TestTasksRunOnGravitonByDefaultAndX86WhenAsked(t *testing.T) {
	want := map[string]string{"default": "ARM64", "full": "X86_64", "minimal": "ARM64"}
	for name, arch := range want {
		each(t, []string{name}, func(t *testing.T, s *synthesized) {
			for _, td := range resourcesOf(s.appJSON, "AWS::ECS::TaskDefinition") {
				wantEqual(t, td.ID, js(td.Props["RuntimePlatform"]),
					`{"CpuArchitecture":"`+arch+`","OperatingSystemFamily":"LINUX"}`)
			}
		})
	}
}

// --- HTTPS ---

func TestHttpsAddsCertificateAliasListenerAndRedirect(t *testing.T) {
	each(t, []string{"full"}, func(t *testing.T, s *synthesized) {
		s.app.HasResourceProperties(jsii.String("AWS::CertificateManager::Certificate"), obj{
			"DomainName":       "chat.example.com",
			"ValidationMethod": "DNS",
			"DomainValidationOptions": []any{obj{
				"DomainName": "chat.example.com", "HostedZoneId": "Z0123456789ABCDEFGHIJ",
			}},
		})
		s.app.HasResourceProperties(jsii.String("AWS::Route53::RecordSet"), obj{
			"Name": "chat.example.com.", "Type": "A", "HostedZoneId": "Z0123456789ABCDEFGHIJ",
			"AliasTarget": assertions.Match_ObjectLike(&obj{"DNSName": assertions.Match_AnyValue()}),
		})
		s.app.HasResourceProperties(jsii.String("AWS::ElasticLoadBalancingV2::Listener"), obj{
			"Port": 443, "Protocol": "HTTPS",
			"Certificates":   []any{obj{"CertificateArn": obj{"Ref": assertions.Match_StringLikeRegexp(jsii.String("HttpsCertificate"))}}},
			"DefaultActions": []any{assertions.Match_ObjectLike(&obj{"Type": "forward"})},
		})
		s.app.HasResourceProperties(jsii.String("AWS::ElasticLoadBalancingV2::Listener"), obj{
			"Port": 80, "Protocol": "HTTP",
			"DefaultActions": []any{obj{"Type": "redirect",
				"RedirectConfig": obj{"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}},
		})
	})
	each(t, []string{"default", "minimal"}, func(t *testing.T, s *synthesized) {
		s.app.ResourceCountIs(jsii.String("AWS::CertificateManager::Certificate"), jsii.Number(0))
		s.app.ResourceCountIs(jsii.String("AWS::Route53::RecordSet"), jsii.Number(0))
		s.app.ResourceCountIs(jsii.String("AWS::ElasticLoadBalancingV2::Listener"), jsii.Number(1))
		s.app.HasResourceProperties(jsii.String("AWS::ElasticLoadBalancingV2::Listener"), obj{
			"Port": 80, "Protocol": "HTTP", "DefaultActions": []any{assertions.Match_ObjectLike(&obj{"Type": "forward"})},
		})
	})
}

// --- Operations ---

func TestLogGroupsHaveRetention(t *testing.T) {
	want := map[string]float64{"default": 30, "full": 90, "minimal": 30}
	for name, days := range want {
		each(t, []string{name}, func(t *testing.T, s *synthesized) {
			groups := resourcesOf(s.appJSON, "AWS::Logs::LogGroup")
			wantEqual(t, "log groups (gateway, Open WebUI, flow logs)", len(groups), 3)
			for _, g := range groups {
				wantEqual(t, g.ID+" retention", g.Props["RetentionInDays"], days)
			}
		})
	}
}

func TestGatewayLogMetricFiltersReadTheJsonAccessLog(t *testing.T) {
	each(t, []string{"default"}, func(t *testing.T, s *synthesized) {
		got := map[string]string{}
		for _, mf := range resourcesOf(s.appJSON, "AWS::Logs::MetricFilter") {
			tr := mf.Props["MetricTransformations"].([]any)[0].(map[string]any)
			wantEqual(t, "namespace", tr["MetricNamespace"], GatewayMetricsNamespace)
			wantContains(t, "log group", mf.Props["LogGroupName"], "GatewayLogs")
			got[tr["MetricName"].(string)] = mf.Props["FilterPattern"].(string) + " => " + js(tr["MetricValue"]) +
				" " + js(tr["Dimensions"])
		}
		for metric, want := range map[string]string{
			"Requests":     `{ $.msg = "request" } => "1" null`,
			"ServerErrors": `{ $.msg = "request" && $.status >= 500 } => "1" null`,
			"ClientErrors": `{ $.msg = "request" && $.status >= 400 && $.status < 500 } => "1" null`,
			"ErrorLogs":    `{ $.level = "ERROR" } => "1" null`,
			"LatencyMs":    `{ $.msg = "request" && $.duration_ms >= 0 } => "$.duration_ms" null`,
			"InputTokens":  `{ $.msg = "request" && $.input_tokens > 0 } => "$.input_tokens" [{"Key":"Model","Value":"$.model"}]`,
			"OutputTokens": `{ $.msg = "request" && $.output_tokens > 0 } => "$.output_tokens" [{"Key":"Model","Value":"$.model"}]`,
		} {
			wantEqual(t, metric, got[metric], want)
		}
	})
}

func TestDashboardShowsRequestsLatencyErrorsTokensEcsAndAlb(t *testing.T) {
	each(t, []string{"default", "full"}, func(t *testing.T, s *synthesized) {
		d := onlyResource(t, s.appJSON, "AWS::CloudWatch::Dashboard", nil)
		wantEqual(t, "name", d.Props["DashboardName"], "OpenWebUIBedrockApp-"+s.stacks.Config.Region)
		wantContains(t, "dashboard body", d.Props["DashboardBody"], `\"title\":\"Requests\"`, `\"title\":\"Latency\"`,
			`\"title\":\"Errors\"`, `\"title\":\"Tokens per model\"`, `\"title\":\"ECS CPU %\"`,
			`\"title\":\"ECS memory %\"`, `\"title\":\"ALB target health (Open WebUI)\"`, "HTTPCode_ELB_5XX_Count",
			"HTTPCode_Target_5XX_Count", "UnHealthyHostCount", "CPUUtilization", "MemoryUtilization",
			`InputTokens`, `OutputTokens`, "LatencyMs", "RequestCount")
	})
}

func TestAlarmsCoverAlb5xxUnhealthyTargetsAndGatewayErrors(t *testing.T) {
	each(t, []string{"default", "full"}, func(t *testing.T, s *synthesized) {
		alarms := resourcesOf(s.appJSON, "AWS::CloudWatch::Alarm")
		wantEqual(t, "alarms", len(alarms), 5)
		all := js(alarms)
		wantContains(t, "alarms", all, "HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count", "UnHealthyHostCount",
			"HealthyHostCount", `"MetricName":"ErrorLogs"`, `"MetricName":"ServerErrors"`)
	})
	each(t, []string{"default"}, func(t *testing.T, s *synthesized) {
		s.app.ResourceCountIs(jsii.String("AWS::SNS::Topic"), jsii.Number(0))
		for _, a := range resourcesOf(s.appJSON, "AWS::CloudWatch::Alarm") {
			if a.Props["AlarmActions"] != nil {
				t.Errorf("%s has actions without alarmEmail", a.ID)
			}
		}
	})
	each(t, []string{"full"}, func(t *testing.T, s *synthesized) {
		s.app.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), obj{
			"Protocol": "email", "Endpoint": "ops@example.com",
		})
		s.app.HasResourceProperties(jsii.String("AWS::SNS::Topic"), obj{
			"KmsMasterKeyId": assertions.Match_AnyValue(),
		})
		for _, a := range resourcesOf(s.appJSON, "AWS::CloudWatch::Alarm") {
			wantContains(t, a.ID+" actions", a.Props["AlarmActions"], "OperationsAlarmTopic")
		}
		key := onlyResource(t, s.appJSON, "AWS::KMS::Key", nil)
		wantContains(t, "alarm key policy", key.Props["KeyPolicy"], "cloudwatch.amazonaws.com")
		wantEqual(t, "key rotation", key.Props["EnableKeyRotation"], true)
	})
}

func TestOutputsNameTheUrlsAndSecretArns(t *testing.T) {
	each(t, allCombos, func(t *testing.T, s *synthesized) {
		for _, id := range []string{"WebUIUrl", "AlbUrl", "AlbDnsName", "GatewayInternalUrl", "GatewayApiKeySecretArn",
			"WebUISecretKeyArn", "ClusterName", "DashboardName", "FileSystemId"} {
			if !hasOutput(s.appJSON, id) {
				t.Errorf("no output %s", id)
			}
		}
		if s.stacks.Config.HTTPS() {
			wantEqual(t, "AlbUrl", outputValue(t, s.appJSON, "AlbUrl"), "https://chat.example.com")
		} else {
			wantContains(t, "AlbUrl", outputValue(t, s.appJSON, "AlbUrl"), `"http://"`, "DNSName")
		}
		wantContains(t, "AlbDnsName", outputValue(t, s.appJSON, "AlbDnsName"), "DNSName")
		wantContains(t, "API key ARN", outputValue(t, s.appJSON, "GatewayApiKeySecretArn"), "SecretsGatewayApiKey")
		wantContains(t, "secret key ARN", outputValue(t, s.appJSON, "WebUISecretKeyArn"), "SecretsWebUISecretKey")
	})
	each(t, []string{"full"}, func(t *testing.T, s *synthesized) {
		for _, id := range []string{"AlarmTopicArn", "DatabaseUrlSecretArn", "RedisUrlSecretArn"} {
			if !hasOutput(s.appJSON, id) {
				t.Errorf("no output %s", id)
			}
		}
	})
}

// NAT-free private operation: Open WebUI is told not to reach the internet.
func TestNatFreeDeploymentRunsOpenWebUIOffline(t *testing.T) {
	each(t, []string{"full"}, func(t *testing.T, s *synthesized) {
		c, _ := containerDef(t, s.appJSON, "open-webui")
		wantEqual(t, "OFFLINE_MODE", envOf(c)["OFFLINE_MODE"], "true")
		for _, sn := range resourcesOf(s.appJSON, "AWS::EC2::Route") {
			if strings.Contains(js(sn.Props), "NatGateway") {
				t.Errorf("no NAT route expected: %s", js(sn.Props))
			}
		}
	})
	each(t, []string{"default"}, func(t *testing.T, s *synthesized) {
		c, _ := containerDef(t, s.appJSON, "open-webui")
		if _, ok := envOf(c)["OFFLINE_MODE"]; ok {
			t.Error("OFFLINE_MODE set with NAT")
		}
	})
}
