// The DuckDB query of docs/bi.md over the performance export of the server
// at process.argv[2], read as CSV and as NDJSON (downloaded to files: DuckDB's
// http reader is an extension fetched at run time). Prints one JSON object:
// the rows of each, and their column types; fails when the two differ.
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const base = process.argv[2];
const params = 'start=2026-01-01&end=2026-03-31&interval=week&group_by=project';
const dir = mkdtempSync(join(tmpdir(), 'perf-'));
const files = {};
for (const ext of ['csv', 'ndjson']) {
  const res = await fetch(new URL(`/export/performance.${ext}?${params}`, base));
  if (!res.ok) throw new Error(`${ext}: ${res.status} ${await res.text()}`);
  files[ext] = join(dir, `performance.${ext}`);
  writeFileSync(files[ext], Buffer.from(await res.arrayBuffer()));
}
// The query as docs/bi.md has it, the URL replaced by the file.
const query = (from) => `
SELECT key AS project_id, bucket_start, post_count, engagements,
       round(engagements / sum(engagements) OVER (PARTITION BY key), 4) AS share,
       typeof(bucket_start) AS bucket_type
FROM ${from}
ORDER BY project_id, bucket_start`;
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
const csv = (await c.runAndReadAll(query(`read_csv('${files.csv}', types = {'key': 'VARCHAR'})`))).getRowObjectsJson();
// read_json takes the timestamps for TIMESTAMP (UTC, no zone): as docs/bi.md
// says, cast them to agree with read_csv's TIMESTAMP WITH TIME ZONE.
await c.run(`SET TimeZone = 'UTC'`);
const nd = (await c.runAndReadAll(query(`(SELECT * REPLACE (bucket_start::TIMESTAMPTZ AS bucket_start)
  FROM read_json('${files.ndjson}', format = 'newline_delimited', columns = {bucket_start: 'TIMESTAMP', key: 'VARCHAR', post_count: 'BIGINT', engagements: 'BIGINT'}))`))).getRowObjectsJson();
console.log(JSON.stringify({ csv, ndjson: nd }));
if (JSON.stringify(csv) !== JSON.stringify(nd)) {
  console.error('CSV and NDJSON differ');
  process.exit(1);
}
