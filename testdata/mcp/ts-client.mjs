// An MCP agent written with the TypeScript SDK (npm @modelcontextprotocol/sdk), run by
// shared/local's TestMCPFromTheTypeScriptSDK against a running `mandate local`:
//   node ts-client.mjs URL TOKEN OPERATOR PROMPT
// It authenticates with an OIDC bearer token, initialises, lists tools, opens the Mandate
// session, reads a customer, asks for a tool policy does not offer, and prints one JSON line
// with what it saw. The test decides what is right.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [url, token, operator, prompt] = process.argv.slice(2);
const transport = new StreamableHTTPClientTransport(new URL(url), {
  requestInit: { headers: { Authorization: `Bearer ${token}` } },
});
const client = new Client({ name: "ts-agent", version: "1.0.0" });
const out = {};
try {
  await client.connect(transport);
  out.tools = (await client.listTools()).tools.map((t) => t.name);
  const opened = await client.callTool({ name: "open_session", arguments: { operator, prompt } });
  out.opened = opened.structuredContent ?? null;
  const read = await client.callTool({ name: "customers.get", arguments: { path: "/customers/42" } });
  out.read = { isError: !!read.isError, text: read.content.map((c) => c.text ?? "").join("") };
  const export_ = await client.callTool({ name: "customers.get", arguments: { path: "/customers" } });
  out.export = { isError: !!export_.isError, text: export_.content.map((c) => c.text ?? "").join("") };
  try {
    await client.callTool({ name: "customers.delete", arguments: { path: "/customers/42" } });
    out.delete = "allowed";
  } catch (e) {
    out.delete = "refused: " + e.message;
  }
  await client.close();
} catch (e) {
  out.error = String(e && e.stack ? e.stack : e);
}
console.log(JSON.stringify(out));
