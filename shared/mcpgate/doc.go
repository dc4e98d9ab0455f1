// Package mcpgate is Mandate's MCP front door: an MCP server over Streamable HTTP (the
// official Go SDK) whose tools are the targets' operations, each tool call one action through
// the same pipeline as POST /v1/sessions/{id}/actions: authenticated, classified, decided,
// recorded, brokered, executed and masked.
//
// Its place in the flow: the local gateway (and in AWS the function serving /mcp)
// authenticates each HTTP request exactly as for the REST routes (SigV4 or an OIDC bearer
// token) and hands the verified caller in the request's context (WithCaller); the gate never
// sees an anonymous request. An MCP session is a Mandate session: the agent calls the
// open_session tool first with the operator and the human's originating prompt; its intents,
// TTL, kill switches and budget then apply to every tool call. tools/list offers, per
// target, only the operations some permit could allow there (authority.Offers, an upper
// bound computed from the policies' scopes when the MCP session starts); every call is still
// decided in full. A denial is a tool error naming the deciding policies; an approval is a
// result that tells the agent to call again with the approval_id once a human approved, or,
// when the client sent a progress token, the call waits for the human (Gate.ApprovalWait,
// two minutes) with a progress notification each second and answers with the action's result
// or the denial; a kill switch ends the session's use. Answers to POSTs are event streams, so
// those notifications ride the call's own response: a client that opens no GET stream (the
// specification makes it optional) hears them too. A stateful gate holds a session's server
// (its tools) in memory, built once when the session starts: it closes a session idle for
// Gate.IdleTimeout (30 minutes) and lets one agent hold at most Gate.MaxSessions (100) at
// once, refusing one more with 429.
//
// A gate made by NewStateless keeps nothing between requests (the SDK's stateless Streamable
// HTTP mode), for the Lambda function behind POST /mcp: open_session answers with the Mandate
// session id as the Mcp-Session-Id, the client sends it back, and each call loads that session
// from the store, as POST /v1/sessions/{id}/actions does with the id in its path; no
// list_changed announcements, and approvals never wait within a call.
//
// Contract: every tool call MUST reach the authority as the agent that started the MCP
// session (an MCP session id presented by another identity is unknown: 404); no tool call
// may run outside an open Mandate session; results MUST be the authority's masked results.
package mcpgate
