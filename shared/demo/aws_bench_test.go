package demo

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/client"
	"github.com/mandate-dev/mandate/shared/local"
)

// readsPerSession stays under the demo policies' limit of 20 reads a session.
const readsPerSession = 20

// BenchmarkAWSGetItem times one GetItem of order o-42 on the moto server three ways, taking
// turns within each iteration so that all three see the same load on a shared machine:
// directly with the SDK (the baseline), through Mandate with credential reuse, and through a
// second Mandate whose broker forgets the session's credentials before each action, so every
// action calls AssumeRole. Agents open a session every readsPerSession reads, outside the
// timing. It reports the p50 and p99 of each and the AssumeRole calls per 1,000 actions of
// each Mandate (the broker's count of STS calls).
//
//	CI=true .ci/with-services go test -run '^$' -bench AWSGetItem -benchtime 1000x ./shared/demo/
func BenchmarkAWSGetItem(b *testing.B) {
	endpoint := motoEndpoint(b)
	ctx := context.Background()
	if err := setupAWS(ctx, endpoint, local.DefaultRegion, nil); err != nil {
		b.Fatal(err)
	}
	db := dynamodb.New(dynamodb.Options{Region: local.DefaultRegion, BaseEndpoint: aws.String(endpoint), Credentials: local.StandInCredentials()})
	in := &dynamodb.GetItemInput{TableName: aws.String("orders"), Key: map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: "o-42"}}}
	get := api.ActionRequest{Action: api.Action{Kind: api.KindAWS, Target: local.DemoAWSTarget, Service: "dynamodb",
		Operation: "GetItem", Resource: local.DemoOrdersTableARN, Params: map[string]any{"Key": orderKey}}}
	type through struct {
		name    string
		inst    *local.Instance
		c       *client.Client
		session string
		took    []time.Duration
		assumed int64
	}
	var ways []*through
	for _, name := range []string{"reuse", "no-reuse"} {
		inst, err := local.Start(ctx, local.Options{Dir: b.TempDir(), Addr: "127.0.0.1:0", AWSEndpoint: endpoint})
		if err != nil {
			b.Fatal(err)
		}
		defer inst.Close()
		agent := inst.Config.Agents[0]
		_, assumed := inst.Broker().ReuseStats()
		ways = append(ways, &through{name: name, inst: inst, c: client.New(inst.URL, inst.Config.Region, agent.AccessKeyID, agent.SecretAccessKey), assumed: assumed})
	}
	var direct []time.Duration
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		out, err := db.GetItem(ctx, in)
		direct = append(direct, time.Since(start))
		if err != nil || out.Item == nil {
			b.Fatalf("GetItem: %v", err)
		}
		for _, w := range ways {
			if i%readsPerSession == 0 {
				s, err := w.c.OpenSession(ctx, api.OpenSessionRequest{Operator: local.DefaultOperator, Prompt: Prompt})
				if err != nil {
					b.Fatal(err)
				}
				w.session = s.SessionID
			}
			if w.name == "no-reuse" {
				w.inst.Broker().Forget(w.session)
			}
			start := time.Now()
			res, err := w.c.Act(ctx, w.session, get)
			w.took = append(w.took, time.Since(start))
			if err != nil || res.Status != 200 {
				b.Fatalf("GetItem through Mandate (%s): %v", w.name, err)
			}
		}
	}
	b.StopTimer()
	pct := func(took []time.Duration, p int) float64 {
		slices.Sort(took)
		return float64(took[len(took)*p/100].Microseconds()) / 1000
	}
	b.ReportMetric(pct(direct, 50), "direct-p50-ms")
	b.ReportMetric(pct(direct, 99), "direct-p99-ms")
	for _, w := range ways {
		_, assumed := w.inst.Broker().ReuseStats()
		b.ReportMetric(pct(w.took, 50), w.name+"-p50-ms")
		b.ReportMetric(pct(w.took, 99), w.name+"-p99-ms")
		b.ReportMetric(1000*float64(assumed-w.assumed)/float64(b.N), w.name+"-assumerole/1k")
	}
	b.ReportMetric(0, "ns/op") // the three ways share one loop: a time per iteration means nothing
}
