package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	cw "github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	cwactions "github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	elbv2 "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// GatewayMetricsNamespace holds the metrics derived from the gateway's JSON access logs.
const GatewayMetricsNamespace = "OpenWebUIBedrock/Gateway"

// Log metric filters over the gateway's JSON logs. They depend on this log format (one object per line):
// access lines {"msg":"request","status":200,"route":"/api/v1/chat/completions","duration_ms":812,
// "model":"…","input_tokens":12,"output_tokens":345}; errors {"level":"ERROR",…}.
var gatewayLogMetrics = []struct {
	id, metric, pattern, value string
	unit                       cw.Unit
	byModel                    bool
}{
	{"Requests", "Requests", `{ $.msg = "request" }`, "1", cw.Unit_COUNT, false},
	{"ServerErrors", "ServerErrors", `{ $.msg = "request" && $.status >= 500 }`, "1", cw.Unit_COUNT, false},
	{"ClientErrors", "ClientErrors", `{ $.msg = "request" && $.status >= 400 && $.status < 500 }`, "1",
		cw.Unit_COUNT, false},
	{"ErrorLogs", "ErrorLogs", `{ $.level = "ERROR" }`, "1", cw.Unit_COUNT, false},
	{"Latency", "LatencyMs", `{ $.msg = "request" && $.duration_ms >= 0 }`, "$.duration_ms", cw.Unit_MILLISECONDS,
		false},
	{"InputTokens", "InputTokens", `{ $.msg = "request" && $.input_tokens > 0 }`, "$.input_tokens", cw.Unit_COUNT,
		true},
	{"OutputTokens", "OutputTokens", `{ $.msg = "request" && $.output_tokens > 0 }`, "$.output_tokens",
		cw.Unit_COUNT, true},
}

// ObservabilityProps wires the operations view to what it watches.
type ObservabilityProps struct {
	AlarmEmail      string
	LoadBalancer    *LoadBalancer
	Gateway         *GatewayService
	WebUI           *WebUIService
	GatewayLogGroup awslogs.ILogGroup
}

// Observability is the metric filters, the dashboard, the alarms and (with alarmEmail) their SNS topic.
type Observability struct {
	constructs.Construct
	Dashboard  cw.Dashboard
	Alarms     []cw.Alarm
	AlarmTopic awssns.Topic // nil without alarmEmail
	metrics    map[string]cw.Metric
}

// NewObservability builds metrics from the gateway's access logs, a dashboard (requests, latency, errors, tokens,
// ECS CPU/memory, ALB 5xx and target health) and alarms (ALB 5xx, unhealthy targets, gateway errors).
func NewObservability(scope constructs.Construct, id string, props *ObservabilityProps) *Observability {
	c := constructs.NewConstruct(scope, jsii.String(id))
	o := &Observability{Construct: c, metrics: map[string]cw.Metric{}}
	five := awscdk.Duration_Minutes(jsii.Number(5))

	for _, m := range gatewayLogMetrics {
		mp := &awslogs.MetricFilterProps{
			LogGroup:        props.GatewayLogGroup,
			FilterPattern:   awslogs.FilterPattern_Literal(jsii.String(m.pattern)),
			MetricNamespace: jsii.String(GatewayMetricsNamespace),
			MetricName:      jsii.String(m.metric),
			MetricValue:     jsii.String(m.value),
			Unit:            m.unit,
		}
		if m.byModel {
			mp.Dimensions = &map[string]*string{"Model": jsii.String("$.model")}
		}
		mf := awslogs.NewMetricFilter(c, jsii.String("Gateway"+m.id), mp)
		o.metrics[m.id] = mf.Metric(&cw.MetricOptions{Statistic: jsii.String("Sum"), Period: five})
	}

	alb := props.LoadBalancer.Alb.Metrics()
	tg := props.LoadBalancer.WebUITargets.Metrics()
	sum := &cw.MetricOptions{Statistic: jsii.String("Sum"), Period: five}
	elb5xx := alb.HttpCodeElb(elbv2.HttpCodeElb_ELB_5XX_COUNT, sum)
	target5xx := alb.HttpCodeTarget(elbv2.HttpCodeTarget_TARGET_5XX_COUNT, sum)
	all5xx := cw.NewMathExpression(&cw.MathExpressionProps{
		Expression:   jsii.String("FILL(elb, 0) + FILL(target, 0)"),
		UsingMetrics: &map[string]cw.IMetric{"elb": elb5xx, "target": target5xx},
		Label:        jsii.String("ALB 5xx (load balancer + Open WebUI)"),
		Period:       five,
	})
	unhealthy := tg.UnhealthyHostCount(&cw.MetricOptions{Statistic: jsii.String("Maximum"),
		Period: awscdk.Duration_Minutes(jsii.Number(1))})
	healthy := tg.HealthyHostCount(&cw.MetricOptions{Statistic: jsii.String("Minimum"),
		Period: awscdk.Duration_Minutes(jsii.Number(1))})

	o.Alarms = []cw.Alarm{
		all5xx.CreateAlarm(c, jsii.String("Alb5xx"), &cw.CreateAlarmOptions{
			AlarmDescription:   jsii.String("The load balancer or Open WebUI answered 5xx at least 10 times in 5 minutes"),
			Threshold:          jsii.Number(10),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: cw.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   cw.TreatMissingData_NOT_BREACHING,
		}),
		unhealthy.CreateAlarm(c, jsii.String("UnhealthyTargets"), &cw.CreateAlarmOptions{
			AlarmDescription:   jsii.String("An Open WebUI task has failed the ALB health check (/health) for 5 minutes"),
			Threshold:          jsii.Number(1),
			EvaluationPeriods:  jsii.Number(5),
			ComparisonOperator: cw.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   cw.TreatMissingData_NOT_BREACHING,
		}),
		healthy.CreateAlarm(c, jsii.String("NoHealthyTargets"), &cw.CreateAlarmOptions{
			AlarmDescription:   jsii.String("No healthy Open WebUI task behind the ALB for 5 minutes: users see 503"),
			Threshold:          jsii.Number(1),
			EvaluationPeriods:  jsii.Number(5),
			ComparisonOperator: cw.ComparisonOperator_LESS_THAN_THRESHOLD,
			TreatMissingData:   cw.TreatMissingData_BREACHING,
		}),
		o.metrics["ErrorLogs"].CreateAlarm(c, jsii.String("GatewayErrors"), &cw.CreateAlarmOptions{
			AlarmDescription:   jsii.String("The gateway logged at least 5 ERROR lines in 5 minutes"),
			Threshold:          jsii.Number(5),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: cw.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   cw.TreatMissingData_NOT_BREACHING,
		}),
		o.metrics["ServerErrors"].CreateAlarm(c, jsii.String("Gateway5xx"), &cw.CreateAlarmOptions{
			AlarmDescription:   jsii.String("The gateway answered 5xx at least 5 times in 5 minutes"),
			Threshold:          jsii.Number(5),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: cw.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   cw.TreatMissingData_NOT_BREACHING,
		}),
	}
	if props.AlarmEmail != "" {
		o.AlarmTopic = newAlarmTopic(c, props.AlarmEmail)
		action := cwactions.NewSnsAction(o.AlarmTopic)
		for _, a := range o.Alarms {
			a.AddAlarmAction(action)
			a.AddOkAction(action)
		}
	}

	o.Dashboard = o.newDashboard(props, all5xx, elb5xx, target5xx, healthy, unhealthy)
	return o
}

// newAlarmTopic is an SNS topic encrypted with a customer-managed key that CloudWatch may use (the AWS-managed
// aws/sns key does not let CloudWatch alarms publish), with an e-mail subscription.
func newAlarmTopic(scope constructs.Construct, email string) awssns.Topic {
	key := awskms.NewKey(scope, jsii.String("AlarmTopicKey"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the Open WebUI alarm topic"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
		PendingWindow:     awscdk.Duration_Days(jsii.Number(7)),
	})
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarmsPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()}},
	}), nil)
	topic := awssns.NewTopic(scope, jsii.String("AlarmTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("Open WebUI on Bedrock alarms"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(email), nil))
	return topic
}

func (o *Observability) newDashboard(props *ObservabilityProps, all5xx cw.MathExpression,
	elb5xx, target5xx, healthy, unhealthy cw.IMetric) cw.Dashboard {
	stack := awscdk.Stack_Of(o.Construct)
	five := awscdk.Duration_Minutes(jsii.Number(5))
	alb := props.LoadBalancer.Alb.Metrics()
	pct := func(stat string) *cw.MetricOptions {
		return &cw.MetricOptions{Statistic: jsii.String(stat), Period: five}
	}
	latency := func(stat string) cw.IMetric {
		return o.metrics["Latency"].With(&cw.MetricOptions{Statistic: jsii.String(stat),
			Label: jsii.String("gateway " + stat)})
	}
	tokens := func(metric string) cw.IMetric {
		return cw.NewMathExpression(&cw.MathExpressionProps{
			Expression: jsii.String(fmt.Sprintf(`SEARCH('{%s,Model} MetricName="%s"', 'Sum', 300)`,
				GatewayMetricsNamespace, metric)),
			Label:        jsii.String(metric),
			Period:       five,
			UsingMetrics: &map[string]cw.IMetric{},
		})
	}
	graph := func(title string, left []cw.IMetric, width float64) cw.IWidget {
		return cw.NewGraphWidget(&cw.GraphWidgetProps{
			Title: jsii.String(title), Left: &left, Width: jsii.Number(width), Height: jsii.Number(6),
		})
	}
	gw, ui := props.Gateway.Service, props.WebUI.Service

	alarms := make([]interfacesawscloudwatch.IAlarmRef, 0, len(o.Alarms))
	for _, a := range o.Alarms {
		alarms = append(alarms, a)
	}
	d := cw.NewDashboard(o.Construct, jsii.String("Dashboard"), &cw.DashboardProps{
		// Dashboard names are per account, not per region: the region keeps two deployments apart.
		DashboardName:   jsii.String(*stack.StackName() + "-" + *stack.Region()),
		DefaultInterval: awscdk.Duration_Hours(jsii.Number(3)),
	})
	d.AddWidgets(
		cw.NewTextWidget(&cw.TextWidgetProps{Width: jsii.Number(24), Height: jsii.Number(2), Markdown: jsii.String(
			"# Open WebUI on Bedrock\nALB and ECS metrics come from AWS; gateway metrics come from log metric " +
				"filters over the gateway's JSON access logs (namespace `" + GatewayMetricsNamespace + "`).")}),
	)
	d.AddWidgets(
		graph("Requests", []cw.IMetric{
			alb.RequestCount(pct("Sum")).With(&cw.MetricOptions{Label: jsii.String("ALB requests")}),
			o.metrics["Requests"].With(&cw.MetricOptions{Label: jsii.String("gateway requests")}),
		}, 8),
		graph("Latency", []cw.IMetric{
			alb.TargetResponseTime(pct("p50")).With(&cw.MetricOptions{Label: jsii.String("Open WebUI p50 (s)")}),
			alb.TargetResponseTime(pct("p90")).With(&cw.MetricOptions{Label: jsii.String("Open WebUI p90 (s)")}),
			latency("p50"), latency("p90"), latency("p99"),
		}, 8),
		graph("Errors", []cw.IMetric{
			elb5xx, target5xx, all5xx,
			o.metrics["ServerErrors"].With(&cw.MetricOptions{Label: jsii.String("gateway 5xx")}),
			o.metrics["ClientErrors"].With(&cw.MetricOptions{Label: jsii.String("gateway 4xx")}),
			o.metrics["ErrorLogs"].With(&cw.MetricOptions{Label: jsii.String("gateway ERROR logs")}),
		}, 8),
	)
	d.AddWidgets(
		graph("Tokens per model", []cw.IMetric{tokens("InputTokens"), tokens("OutputTokens")}, 8),
		graph("ECS CPU %", []cw.IMetric{
			gw.MetricCpuUtilization(pct("Average")).With(&cw.MetricOptions{Label: jsii.String("gateway")}),
			ui.MetricCpuUtilization(pct("Average")).With(&cw.MetricOptions{Label: jsii.String("Open WebUI")}),
		}, 8),
		graph("ECS memory %", []cw.IMetric{
			gw.MetricMemoryUtilization(pct("Average")).With(&cw.MetricOptions{Label: jsii.String("gateway")}),
			ui.MetricMemoryUtilization(pct("Average")).With(&cw.MetricOptions{Label: jsii.String("Open WebUI")}),
		}, 8),
	)
	d.AddWidgets(
		graph("ALB target health (Open WebUI)", []cw.IMetric{healthy, unhealthy}, 12),
		cw.NewAlarmStatusWidget(&cw.AlarmStatusWidgetProps{
			Title: jsii.String("Alarms"), Alarms: &alarms, Width: jsii.Number(12), Height: jsii.Number(6),
		}),
	)
	return d
}
