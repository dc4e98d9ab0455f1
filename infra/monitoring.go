package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/jsii-runtime-go"
)

// ShipperMaxIteratorAge is how far behind the audit stream the shipper may fall before an
// alarm: records younger than this may not be in the archive yet.
const ShipperMaxIteratorAgeMillis = 5 * 60 * 1000

// schedule runs the checkpoint function every CheckpointMinutes; failed invocations go to the DLQ.
func (m *Mandate) schedule(fn awslambda.Function) {
	rule := awsevents.NewRule(m.Stack, jsii.String("CheckpointSchedule"), &awsevents.RuleProps{
		Description: jsii.String("Mandate: signed Merkle checkpoint of new audit records"),
		Schedule:    awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(m.Config.CheckpointMinutes))),
	})
	rule.AddTarget(awseventstargets.NewLambdaFunction(fn, &awseventstargets.LambdaFunctionProps{
		DeadLetterQueue: m.DLQ,
		RetryAttempts:   jsii.Number(2),
		MaxEventAge:     awscdk.Duration_Hours(jsii.Number(2)),
	}))
}

// monitoring creates the alarms (errors and throttles of every function, the shipper's stream
// iterator age, dead letters) and one dashboard. Alarms have no action: subscribe the team's
// topic with alarm.AddAlarmAction or in the console.
func (m *Mandate) monitoring() {
	s := m.Stack
	five := awscdk.Duration_Minutes(jsii.Number(5))
	alarm := func(id string, metric awscloudwatch.IMetric, threshold float64, desc string) awscloudwatch.Alarm {
		return awscloudwatch.NewAlarm(s, jsii.String(id), &awscloudwatch.AlarmProps{
			Metric:             metric,
			Threshold:          jsii.Number(threshold),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
			AlarmDescription:   jsii.String(desc),
		})
	}
	var alarms []interfacesawscloudwatch.IAlarmRef
	var errorsW, throttlesW []awscloudwatch.IMetric
	for _, f := range m.deployed() {
		fn := m.Functions[f.Name]
		id := title(f.Name)
		errs := fn.MetricErrors(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")})
		thr := fn.MetricThrottles(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")})
		alarms = append(alarms,
			alarm(id+"Errors", errs, 1, "Mandate "+f.Name+": function errors"),
			alarm(id+"Throttles", thr, 1, "Mandate "+f.Name+": throttled invocations"))
		errorsW = append(errorsW, errs)
		throttlesW = append(throttlesW, thr)
	}
	if fn, ok := m.Functions["shipper"]; ok {
		age := fn.Metric(jsii.String("IteratorAge"), &awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Maximum")})
		alarms = append(alarms, alarm("ShipperIteratorAge", age, ShipperMaxIteratorAgeMillis, "Mandate shipper: audit stream not shipped to the archive for 5 minutes"))
	}
	depth := m.DLQ.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Maximum")})
	alarms = append(alarms, alarm("DeadLettersAlarm", depth, 1, "Mandate: failed invocations or stream batches in the dead-letter queue"))

	dash := awscloudwatch.NewDashboard(s, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName: jsii.String("mandate-" + m.Config.Stage),
	})
	dash.AddWidgets(
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String("Function errors"), Left: &errorsW, Width: jsii.Number(12)}),
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String("Throttles"), Left: &throttlesW, Width: jsii.Number(12)}),
	)
	dash.AddWidgets(
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String("API requests"), Width: jsii.Number(12), Left: &[]awscloudwatch.IMetric{
			m.API.MetricCount(&awscloudwatch.MetricOptions{Period: five}),
			m.API.MetricClientError(&awscloudwatch.MetricOptions{Period: five}),
			m.API.MetricServerError(&awscloudwatch.MetricOptions{Period: five}),
		}}),
		awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{Title: jsii.String("Alarms"), Alarms: &alarms, Width: jsii.Number(12)}),
	)
}
