package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/mandate-dev/mandate/shared/archive"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/checkpoint"
	"github.com/mandate-dev/mandate/shared/local"
	"github.com/mandate-dev/mandate/shared/store"
	"github.com/mandate-dev/mandate/shared/store/dynamo"
)

// verifyAWS verifies a deployment with the SDK's default credentials (environment, shared
// files, role) and Region ($AWS_REGION): every chain of the DynamoDB audit table, and the S3
// archive with its signed checkpoints against the trusted key, the archive compared record by
// record with the table when both are given.
func verifyAWS(ctx context.Context, t verifyTarget, chainsProgress, objectsProgress func(done, total int)) ([]audit.Report, *local.ArchiveReport, error) {
	var (
		st     store.Audit
		chains []audit.Report
		v      *checkpoint.Verifier
	)
	if t.bucket != "" {
		pub, err := os.ReadFile(t.key)
		if err != nil {
			return nil, nil, fmt.Errorf("trusted checkpoint key: %w", err)
		}
		if v, err = checkpoint.ParsePublicKey(pub); err != nil {
			return nil, nil, err
		}
	}
	if t.table != "" {
		client, err := dynamo.NewClient(ctx, t.ddbEndpoint)
		if err != nil {
			return nil, nil, err
		}
		tables := dynamo.NamedTables(dynamo.DefaultPrefix)
		tables.Audit = t.table
		if err := tables.Validate(); err != nil {
			return nil, nil, err
		}
		st = dynamo.New(client, tables)
		if chains, err = audit.VerifyAll(ctx, st, chainsProgress); err != nil {
			return nil, nil, err
		}
	}
	if t.bucket == "" {
		return chains, nil, nil
	}
	b, err := archive.Config{Bucket: t.bucket, Endpoint: t.s3Endpoint}.Open(ctx)
	if err != nil {
		return nil, nil, err
	}
	ws, err := checkpoint.ParseWitnessKeys(t.witnesses)
	if err != nil {
		return nil, nil, err
	}
	o := checkpoint.Options{Verifier: v, Store: st, Progress: objectsProgress, LagBound: t.lagBound, Witnesses: ws, Cosignatures: t.cosignatures}
	trust := "the key in " + t.key
	if t.since != "" {
		kept, err := os.ReadFile(t.since)
		if err != nil {
			return nil, nil, fmt.Errorf("kept checkpoint: %w", err)
		}
		c, cosigners, err := checkpoint.ReadKept(kept, v, t.witnesses, t.cosignatures)
		if err != nil {
			return nil, nil, fmt.Errorf("kept checkpoint %s: %w", t.since, err)
		}
		o.Since = c
		if c.Signature == "" {
			o.Cosignatures = 0 // required of the kept note, checked by ReadKept
		}
		trust += fmt.Sprintf(" and the checkpoint of %d records kept in %s", c.Size, t.since)
		if len(cosigners) > 0 {
			trust += " and its cosigners " + strings.Join(cosigners, ", ")
		}
	}
	rep, err := checkpoint.VerifyArchive(ctx, b, o)
	if err != nil {
		return nil, nil, err
	}
	return chains, &local.ArchiveReport{Report: rep, Trust: trust}, nil
}
