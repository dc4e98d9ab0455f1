// Writes cases.jsonl from validator.js's test/validators.test.js: every string a test() call
// of the validators below lists as valid or invalid, with the validator's arguments.
//
//   node extract.js path/to/validators.test.js > cases.jsonl
//
// The test file is evaluated in a fresh V8 context where test() only records its argument and
// every import (validator itself included) is an inert stand-in, so no validator code runs;
// a block that needs the real library throws and is skipped.
'use strict';
const fs = require('fs');
const vm = require('vm');

const keep = new Set(['isCreditCard', 'isMobilePhone', 'isIBAN', 'isEmail', 'isIP', 'isJWT']);
const inert = new Proxy(function () {}, { get: (_, k) => (k === Symbol.toPrimitive ? () => '' : inert), apply: () => inert, construct: () => inert });
const out = [];
const seen = new Set();

function record(o) {
  if (!o || !keep.has(o.validator)) return;
  for (const [valid, list] of [[true, o.valid], [false, o.invalid]]) {
    for (const value of list || []) {
      if (typeof value !== 'string') continue;
      const line = JSON.stringify({ validator: o.validator, args: o.args || [], valid, value });
      if (!seen.has(line)) {
        seen.add(line);
        out.push(line);
      }
    }
  }
}

const src = fs.readFileSync(process.argv[2], 'utf8').replace(/^import .*$/gm, '');
const run = (f) => { try { f(); } catch (e) { /* needs the real library */ } };
const ctx = {
  test: record, describe: (_, f) => run(f), it: (_, f) => run(f),
  before: () => {}, after: () => {}, beforeEach: () => {}, afterEach: () => {},
  assert: inert, fs: inert, vm: inert, timezone_mock: inert, validator: inert,
  require: Object.assign(() => inert, { resolve: () => '' }), console,
};
vm.runInNewContext(src, ctx);
process.stdout.write(out.join('\n') + '\n');
