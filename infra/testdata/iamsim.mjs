// Test-time only: runs IAM policy simulations with @cloud-copilot/iam-simulate (AGPL-3.0),
// which is installed into .cache by the tests and never linked into or shipped with Mandate.
// Input on stdin: [{"name": ..., "simulation": <Simulation>}]; output: [{"name", "result"}]
// where result is Allowed, ExplicitlyDenied, ImplicitlyDenied or "error: ...".
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import path from 'node:path'

const dir = process.env.IAM_SIMULATE_DIR
const require = createRequire(path.join(dir, 'package.json'))
const sim = await import(pathToFileURL(require.resolve('@cloud-copilot/iam-simulate')).href)

let input = ''
for await (const chunk of process.stdin) input += chunk
const out = []
for (const c of JSON.parse(input)) {
  const r = await sim.runSimulation(c.simulation, {})
  out.push({ name: c.name, result: r.resultType === 'error' ? 'error: ' + JSON.stringify(r.errors) : r.overallResult })
}
process.stdout.write(JSON.stringify(out))
