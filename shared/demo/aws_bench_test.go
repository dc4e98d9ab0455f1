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

// BenchmarkAWSGetItem times one GetItem of order o-42 on the moto server, in one run:
// directly with the SDK (the baseline), through Mandate with credential reuse, and through
// Mandate with every action minting anew (the session's credentials forgotten before each
// action). Through Mandate the agent opens a session every readsPerSession reads, outside
// the timing. It reports the p50 and p99 of one action and the AssumeRole calls per 1,000
// actions (the broker's count, one per STS call).
//
//	CI=true .ci/with-services go test -run '^$' -bench AWSGetItem -benchtime 1000x ./shared/demo/
func BenchmarkAWSGetItem(b *testing.B) {
	endpoint := motoEndpoint(b)
	ctx := context.Background()
	if err := setupAWS(ctx, endpoint, local.DefaultRegion, nil); err != nil {
		b.Fatal(err)
	}
	report := func(b *testing.B, took []time.Duration) {
		slices.Sort(took)
		b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
	}
	b.Run("direct", func(b *testing.B) {
		db := dynamodb.New(dynamodb.Options{Region: local.DefaultRegion, BaseEndpoint: aws.String(endpoint), Credentials: local.StandInCredentials()})
		in := &dynamodb.GetItemInput{TableName: aws.String("orders"), Key: map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: "o-42"}}}
		took := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for range b.N {
			start := time.Now()
			out, err := db.GetItem(ctx, in)
			took = append(took, time.Since(start))
			if err != nil || out.Item == nil {
				b.Fatalf("GetItem: %v", err)
			}
		}
		report(b, took)
	})
	for _, reuse := range []bool{true, false} {
		name := "mandate-reuse"
		if !reuse {
			name = "mandate-no-reuse"
		}
		b.Run(name, func(b *testing.B) {
			inst, err := local.Start(ctx, local.Options{Dir: b.TempDir(), Addr: "127.0.0.1:0", AWSEndpoint: endpoint})
			if err != nil {
				b.Fatal(err)
			}
			defer inst.Close()
			agent := inst.Config.Agents[0]
			c := client.New(inst.URL, inst.Config.Region, agent.AccessKeyID, agent.SecretAccessKey)
			get := api.ActionRequest{Action: api.Action{Kind: api.KindAWS, Target: local.DemoAWSTarget, Service: "dynamodb",
				Operation: "GetItem", Resource: local.DemoOrdersTableARN, Params: map[string]any{"Key": orderKey}}}
			_, assumed0 := inst.Broker().ReuseStats()
			took := make([]time.Duration, 0, b.N)
			session := ""
			b.ResetTimer()
			for i := range b.N {
				if i%readsPerSession == 0 {
					b.StopTimer()
					s, err := c.OpenSession(ctx, api.OpenSessionRequest{Operator: local.DefaultOperator, Prompt: Prompt})
					if err != nil {
						b.Fatal(err)
					}
					session = s.SessionID
					b.StartTimer()
				}
				if !reuse {
					inst.Broker().Forget(session)
				}
				start := time.Now()
				res, err := c.Act(ctx, session, get)
				took = append(took, time.Since(start))
				if err != nil || res.Status != 200 {
					b.Fatalf("GetItem through Mandate: %v", err)
				}
			}
			b.StopTimer()
			_, assumed := inst.Broker().ReuseStats()
			report(b, took)
			b.ReportMetric(1000*float64(assumed-assumed0)/float64(b.N), "assumerole/1k-actions")
		})
	}
}
