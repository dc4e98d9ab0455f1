// Package ocsf maps audit records to OCSF API Activity events (class 6003, category 6,
// Application Activity; schema 1.1.0) for SIEMs: the shipper can forward each one to
// EventBridge, and any tool that reads OCSF (Security Lake, Splunk, Sentinel, Elastic) can
// take them as they are.
//
// A decision is an Authorize activity (activity_id Other) whose status is the verdict; the
// result that follows it carries the operation's own activity (Create, Read, Update, Delete)
// and status, and both name the operation and the resource (a Mapper carries the decision's
// action to its result within a batch).
//
// Contract: every event MUST validate strictly against the OCSF version it declares (the
// pinned schema in testdata/schema-1.1.0 is checked in a test). Map fills every attribute the class requires (activity_id, actor, api,
// category_uid, class_uid, cloud, metadata with product and version, severity_id,
// src_endpoint, time, type_uid) for every record type, and never more than the record holds:
// the prompt only masked, responses only by digest and masking counts.
package ocsf
