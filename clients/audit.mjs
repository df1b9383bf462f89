// The GraphQL-over-HTTP audit of graphql-http against the server at
// process.argv[2]: fails on any warning or error. Notices are listed; the
// ones we keep are explained in docs/decisions.md.
import { auditServer } from 'graphql-http';

const results = await auditServer({ url: new URL('/graphql', process.argv[2]).toString() });
const count = { ok: 0, notice: 0, warn: 0, error: 0 };
for (const r of results) {
  count[r.status]++;
  if (r.status !== 'ok') {
    console.log(`${r.status.toUpperCase()} ${r.id} ${r.name}: ${r.reason ?? ''}${r.response ? ' ' + JSON.stringify(r.response.status) : ''}`);
  }
}
console.log(`graphql-http audit: ${results.length} checks, ${count.ok} ok, ${count.notice} notices, ${count.warn} warnings, ${count.error} errors`);
process.exit(count.warn + count.error > 0 ? 1 : 0);
