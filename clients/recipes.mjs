// Compiles the recipes of docs/clients.md marked `<!-- recipe: PATH -->`
// against the schema of the server at process.argv[2] (GET
// /schema.graphql): graphql-codegen generates types and tsc type-checks
// their use; relay-compiler compiles the Relay fragments.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '.recipes'); // inside clients/ so node_modules resolves
rmSync(out, { recursive: true, force: true });

const res = await fetch(new URL('/schema.graphql', process.argv[2]));
if (res.status !== 200) throw new Error(`GET /schema.graphql: HTTP ${res.status}`);
const sdl = await res.text();

const doc = readFileSync(join(here, '..', 'docs', 'clients.md'), 'utf8');
const re = /<!-- recipe: (\S+) -->\n```\w*\n([\s\S]*?)\n```/g;
const projects = new Set();
let n = 0;
for (const [, path, body] of doc.matchAll(re)) {
  const file = join(out, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, body + '\n');
  projects.add(path.split('/')[0]);
  n++;
}
if (!projects.has('codegen') || !projects.has('relay')) throw new Error(`docs/clients.md: recipes found for ${[...projects]}`);
const bin = (name) => join(here, 'node_modules', '.bin', name);
const run = (cwd, cmd, args) => {
  const t = Date.now();
  execFileSync(bin(cmd), args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
  console.log(`recipes: ${cmd} ${args.join(' ')} in ${cwd.slice(here.length + 1)}: ok (${Date.now() - t} ms)`);
};
for (const p of projects) writeFileSync(join(out, p, 'schema.graphql'), sdl);

run(join(out, 'codegen'), 'graphql-codegen', ['--config', 'codegen.ts', '--silent']);
run(join(out, 'codegen'), 'tsc', ['--noEmit', '--strict', '--target', 'es2022', '--module', 'es2022', '--moduleResolution', 'bundler', 'src/use.ts']);
// react-relay's runtime is not needed to compile: a stub for the import.
mkdirSync(join(out, 'relay', 'node_modules', 'react-relay'), { recursive: true });
writeFileSync(join(out, 'relay', 'node_modules', 'react-relay', 'index.js'), 'export function graphql() {}\n');
run(join(out, 'relay'), 'relay-compiler', []);

// The codegen document and the operations Relay generated run against the server.
const range = { start: '2026-10-01', end: '2026-10-31' };
const operations = { TopPosts: readFileSync(join(out, 'codegen', 'src', 'top-posts.graphql'), 'utf8') };
for (const op of ['PostListPageQuery', 'PostListPaginationQuery', 'MemberListPaginationQuery']) {
  const artifact = readFileSync(join(out, 'relay', 'src', '__generated__', `${op}.graphql.ts`), 'utf8');
  operations[op] = JSON.parse(artifact.match(/"text": ("(?:[^"\\]|\\.)*")/)[1]);
}
for (const [op, text] of Object.entries(operations)) {
  const res = await fetch(new URL('/graphql', process.argv[2]), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ query: text, variables: { range, count: 5 } }),
  });
  const body = await res.json();
  if (res.status !== 200 || body.errors || !body.data) throw new Error(`${op}: HTTP ${res.status} ${JSON.stringify(body).slice(0, 500)}`);
  console.log(`recipes: ${op} runs: HTTP 200, data, no errors`);
}
console.log(`recipes: ${n} files of docs/clients.md compiled against /schema.graphql`);
