// Package ocsf maps audit records to OCSF API Activity events (class 6003, category 6,
// Application Activity; schema 1.1.0) for SIEMs: the shipper can forward each one to
// EventBridge, and any tool that reads OCSF (Security Lake, Splunk, Sentinel, Elastic) can
// take them as they are.
//
// Contract: Map fills every attribute the class requires (activity_id, actor, api,
// category_uid, class_uid, cloud, metadata with product and version, severity_id,
// src_endpoint, time, type_uid) for every record type, and never more than the record holds:
// the prompt only masked, responses only by digest and masking counts.
package ocsf
