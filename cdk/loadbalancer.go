package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	elbv2 "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

const (
	// albIdleTimeoutSeconds must outlast the longest silence in a streamed answer (reasoning models can think for
	// minutes before the first token) and Open WebUI's own 300 s client timeout.
	albIdleTimeoutSeconds = 600
	webUIPort             = 8080
	webUIHealthPath       = "/health"
)

// LoadBalancerProps configures the public entry point.
type LoadBalancerProps struct {
	Network        *Network
	AllowedCidrs   []string
	HTTPS          *HTTPS // nil: HTTP only on port 80
	AccessLogDays  int    // 0: keep forever
	StickySessions bool   // several Open WebUI replicas: keep a browser's socket.io session on one task
}

// LoadBalancer is the internet-facing ALB and the Open WebUI target group behind it.
type LoadBalancer struct {
	constructs.Construct
	Alb           elbv2.ApplicationLoadBalancer
	SecurityGroup awsec2.SecurityGroup
	WebUITargets  elbv2.ApplicationTargetGroup
	AccessLogs    awss3.Bucket
	// URL is what users open: https://domain with HTTPS, else http://<ALB DNS name>.
	URL *string
}

// NewLoadBalancer builds the ALB in the public subnets, reachable only from the allowed CIDRs, with access logs, the
// Open WebUI target group (health check /health) and its listeners (80 → target group, or 80 → 443 redirect and
// 443 → target group with HTTPS).
func NewLoadBalancer(scope constructs.Construct, id string, props *LoadBalancerProps) *LoadBalancer {
	c := constructs.NewConstruct(scope, jsii.String(id))
	vpc := props.Network.Vpc

	sg := awsec2.NewSecurityGroup(c, jsii.String("SecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              vpc,
		Description:      jsii.String("Open WebUI load balancer: HTTP(S) from the allowed CIDRs"),
		AllowAllOutbound: jsii.Bool(false), // egress to the targets is added when they register
	})
	ports := []float64{80}
	if props.HTTPS != nil {
		ports = append(ports, 443)
	}
	openToWorld := false
	for _, cidr := range props.AllowedCidrs {
		openToWorld = openToWorld || cidr == "0.0.0.0/0"
		for _, port := range ports {
			sg.AddIngressRule(awsec2.Peer_Ipv4(jsii.String(cidr)), awsec2.Port_Tcp(jsii.Number(port)),
				jsii.String("Users (allowedCidrs)"), nil)
		}
	}
	if openToWorld {
		cdknag.NagSuppressions_AddResourceSuppressions(sg, &[]*cdknag.NagPackSuppression{{
			Id: jsii.String("AwsSolutions-EC23"),
			Reason: jsii.String("allowedCidrs is 0.0.0.0/0: Open WebUI is a public web application with its own " +
				"login; operators restrict it with -c allowedCidrs=..."),
		}}, nil)
	}

	logs := awss3.NewBucket(c, jsii.String("AccessLogs"), &awss3.BucketProps{
		// ALB access logs support only SSE-S3.
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		LifecycleRules:    accessLogLifecycle(props.AccessLogDays),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
	})
	cdknag.NagSuppressions_AddResourceSuppressions(logs, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-S1"),
		Reason: jsii.String("This bucket only receives the ALB's access logs; logging its own access would need " +
			"another bucket whose access would need logging in turn."),
	}}, nil)

	alb := elbv2.NewApplicationLoadBalancer(c, jsii.String("Alb"), &elbv2.ApplicationLoadBalancerProps{
		Vpc:                     vpc,
		InternetFacing:          jsii.Bool(true),
		VpcSubnets:              props.Network.PublicSubnets,
		SecurityGroup:           sg,
		IdleTimeout:             awscdk.Duration_Seconds(jsii.Number(albIdleTimeoutSeconds)),
		DropInvalidHeaderFields: jsii.Bool(true),
	})
	alb.LogAccessLogs(logs, jsii.String("alb"))

	tg := elbv2.NewApplicationTargetGroup(c, jsii.String("WebUITargets"), &elbv2.ApplicationTargetGroupProps{
		Vpc:                 vpc,
		Port:                jsii.Number(webUIPort),
		Protocol:            elbv2.ApplicationProtocol_HTTP,
		TargetType:          elbv2.TargetType_IP,
		DeregistrationDelay: awscdk.Duration_Seconds(jsii.Number(30)),
		HealthCheck: &elbv2.HealthCheck{
			Path:                    jsii.String(webUIHealthPath),
			HealthyHttpCodes:        jsii.String("200"),
			Interval:                awscdk.Duration_Seconds(jsii.Number(30)),
			Timeout:                 awscdk.Duration_Seconds(jsii.Number(10)),
			HealthyThresholdCount:   jsii.Number(2),
			UnhealthyThresholdCount: jsii.Number(5),
		},
	})
	if props.StickySessions {
		tg.EnableCookieStickiness(awscdk.Duration_Hours(jsii.Number(8)), nil)
	}

	lb := &LoadBalancer{Construct: c, Alb: alb, SecurityGroup: sg, WebUITargets: tg, AccessLogs: logs}
	if props.HTTPS == nil {
		alb.AddListener(jsii.String("Http"), &elbv2.BaseApplicationListenerProps{
			Port:                jsii.Number(80),
			Protocol:            elbv2.ApplicationProtocol_HTTP,
			Open:                jsii.Bool(false), // ingress comes from allowedCidrs only
			DefaultTargetGroups: &[]elbv2.IApplicationTargetGroup{tg},
		})
		lb.URL = jsii.String("http://" + *alb.LoadBalancerDnsName())
		return lb
	}
	alb.AddListener(jsii.String("Https"), &elbv2.BaseApplicationListenerProps{
		Port:                jsii.Number(443),
		Protocol:            elbv2.ApplicationProtocol_HTTPS,
		Open:                jsii.Bool(false),
		Certificates:        &[]elbv2.IListenerCertificate{elbv2.ListenerCertificate_FromCertificateManager(props.HTTPS.Certificate)},
		SslPolicy:           elbv2.SslPolicy_RECOMMENDED_TLS,
		DefaultTargetGroups: &[]elbv2.IApplicationTargetGroup{tg},
	})
	alb.AddListener(jsii.String("Http"), &elbv2.BaseApplicationListenerProps{
		Port:     jsii.Number(80),
		Protocol: elbv2.ApplicationProtocol_HTTP,
		Open:     jsii.Bool(false),
		DefaultAction: elbv2.ListenerAction_Redirect(&elbv2.RedirectOptions{
			Protocol:  jsii.String("HTTPS"),
			Port:      jsii.String("443"),
			Permanent: jsii.Bool(true),
		}),
	})
	props.HTTPS.AddAlias(alb)
	lb.URL = jsii.String("https://" + props.HTTPS.domainName)
	return lb
}

func accessLogLifecycle(days int) *[]*awss3.LifecycleRule {
	if days == 0 {
		return nil
	}
	return &[]*awss3.LifecycleRule{{
		Id:         jsii.String("expire-access-logs"),
		Expiration: awscdk.Duration_Days(jsii.Number(float64(days))),
	}}
}
