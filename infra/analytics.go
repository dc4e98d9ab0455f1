package main

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsathena"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsglue"
	"github.com/aws/jsii-runtime-go"

	"github.com/mandate-dev/mandate/shared/query"
)

// analytics creates the Glue database and table over the archive (partition projection, no
// crawler) and the Athena workgroup (results encrypted with the data key, configuration
// enforced) with the named queries, all from the one definition in shared/query.
func (m *Mandate) analytics() {
	s := m.Stack
	db := query.Database + "_" + strings.ReplaceAll(m.Config.Stage, "-", "_")
	database := awsglue.NewCfnDatabase(s, jsii.String("GlueDatabase"), &awsglue.CfnDatabaseProps{
		CatalogId:     s.Account(),
		DatabaseInput: &awsglue.CfnDatabase_DatabaseInputProperty{Name: jsii.String(db), Description: jsii.String("Mandate audit archive")},
	})
	def := query.Glue(*m.Archive.BucketName())
	column := func(cs []query.GlueColumn) *[]any {
		out := []any{}
		for _, c := range cs {
			out = append(out, &awsglue.CfnTable_ColumnProperty{Name: jsii.String(c.Name), Type: jsii.String(c.Type), Comment: jsii.String(c.Comment)})
		}
		return &out
	}
	table := awsglue.NewCfnTable(s, jsii.String("GlueTable"), &awsglue.CfnTableProps{
		CatalogId:    s.Account(),
		DatabaseName: jsii.String(db),
		TableInput: &awsglue.CfnTable_TableInputProperty{
			Name:          jsii.String(def.Name),
			TableType:     jsii.String("EXTERNAL_TABLE"),
			Parameters:    def.Parameters,
			PartitionKeys: column(def.PartitionKeys),
			StorageDescriptor: &awsglue.CfnTable_StorageDescriptorProperty{
				Location:     jsii.String(def.Location),
				InputFormat:  jsii.String(def.InputFormat),
				OutputFormat: jsii.String(def.OutputFormat),
				Compressed:   jsii.Bool(true),
				Columns:      column(def.Columns),
				SerdeInfo: &awsglue.CfnTable_SerdeInfoProperty{
					SerializationLibrary: jsii.String(def.SerDe),
					Parameters:           def.SerDeParams,
				},
			},
		},
	})
	table.Node().AddDependency(database)

	wg := awsathena.NewCfnWorkGroup(s, jsii.String("WorkGroup"), &awsathena.CfnWorkGroupProps{
		Name:                  jsii.String("mandate-" + m.Config.Stage),
		Description:           jsii.String("Mandate audit queries"),
		RecursiveDeleteOption: jsii.Bool(false),
		WorkGroupConfiguration: &awsathena.CfnWorkGroup_WorkGroupConfigurationProperty{
			EnforceWorkGroupConfiguration:   jsii.Bool(true),
			PublishCloudWatchMetricsEnabled: jsii.Bool(true),
			BytesScannedCutoffPerQuery:      jsii.Number(10 << 30),
			ResultConfiguration: &awsathena.CfnWorkGroup_ResultConfigurationProperty{
				OutputLocation: jsii.String("s3://" + *m.AthenaResults.BucketName() + "/results/"),
				EncryptionConfiguration: &awsathena.CfnWorkGroup_EncryptionConfigurationProperty{
					EncryptionOption: jsii.String("SSE_KMS"),
					KmsKey:           m.DataKey.KeyArn(),
				},
			},
		},
	})
	wg.ApplyRemovalPolicy(awscdk.RemovalPolicy_DESTROY, nil)
	for _, q := range query.NamedQueries {
		nq := awsathena.NewCfnNamedQuery(s, jsii.String("Query"+camel(q.Name)), &awsathena.CfnNamedQueryProps{
			Name:        jsii.String(q.Name),
			Description: jsii.String(q.Description),
			Database:    jsii.String(db),
			QueryString: jsii.String(q.SQL),
			WorkGroup:   wg.Name(),
		})
		nq.Node().AddDependency(wg)
	}
}

// camel turns snake_case into CamelCase for construct ids.
func camel(s string) string {
	var b strings.Builder
	for p := range strings.SplitSeq(s, "_") {
		b.WriteString(title(p))
	}
	return b.String()
}
