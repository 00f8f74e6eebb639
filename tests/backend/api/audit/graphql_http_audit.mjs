// Runs the graphql-http package's server audits (GraphQL-over-HTTP conformance) against a running server.
// Usage: node graphql_http_audit.mjs NODE_MODULES URL KEY -> one JSON line: [{id, name, status, reason}]
// Every request carries the API key: the audits themselves send none, and crimegraph answers 401 without.
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [modules, url, key] = process.argv.slice(2);
const { serverAudits } = await import(pathToFileURL(join(modules, "graphql-http", "lib", "audits", "index.mjs")).href);

function fetchFn(input, init = {}) {
  const headers = new Headers(init.headers || {});
  headers.set("authorization", `Bearer ${key}`);
  return fetch(input, { ...init, headers });
}

const results = [];
for (const audit of serverAudits({ url, fetchFn })) {
  const result = await audit.fn();
  results.push({
    id: audit.id,
    name: audit.name,
    status: result.status,
    reason: result.status === "ok" ? null : String(result.reason),
  });
}
process.stdout.write(JSON.stringify(results) + "\n");
