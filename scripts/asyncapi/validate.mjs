// Validates schemas/asyncapi.yaml with the official AsyncAPI parser, its
// file references (the JSON Schemas beside it) resolved, and checks that it
// describes every topic the services use. Exit 1 on any error or warning.
//
//   node scripts/asyncapi/validate.mjs schemas/asyncapi.yaml articles.raw ticks.raw …
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Parser, fromFile } from '@asyncapi/parser';

const [file, ...topics] = process.argv.slice(2);
const parser = new Parser();
const { document, diagnostics } = await fromFile(parser, resolve(file)).parse();
let failed = false;
for (const d of diagnostics) {
  // severity 0 = error, 1 = warning; hints and infos are advice only.
  if (d.severity <= 1) {
    failed = true;
    console.log(`asyncapi: ${d.severity === 0 ? 'error' : 'warning'} ${d.code} at ${d.path.join('.')}: ${d.message}`);
  }
}
if (!document) {
  console.log('asyncapi: FAIL the document does not parse');
  process.exit(1);
}
const addresses = new Set(document.channels().all().map((c) => c.address()));
for (const topic of topics) {
  if (!addresses.has(topic)) {
    failed = true;
    console.log(`asyncapi: FAIL no channel for topic ${topic}`);
  }
}
let payloads = 0;
for (const message of document.allMessages().all()) {
  if (message.hasPayload()) payloads += 1;
}
console.log(`asyncapi: ${addresses.size} channels, ${document.operations().all().length} operations, ${payloads} message payloads`);
if (failed) process.exit(1);
console.log('asyncapi: ok');
