// graphql-js's standard introspection query, every option on, against the
// server at process.argv[2]; then buildClientSchema on the answer, as
// GraphiQL, graphql-codegen and get-graphql-schema do.
import { getIntrospectionQuery, buildClientSchema, printSchema } from 'graphql';

const base = process.argv[2];
const variants = {
  'all options': { descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true, oneOf: true },
  'defaults': {},
};
let failed = false;
for (const [name, options] of Object.entries(variants)) {
  const res = await fetch(new URL('/graphql', base), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/graphql-response+json, application/json' },
    body: JSON.stringify({ query: getIntrospectionQuery(options), operationName: 'IntrospectionQuery' }),
  });
  const body = await res.json();
  if (res.status !== 200 || body.errors) {
    console.error(`introspection (${name}): HTTP ${res.status}: ${JSON.stringify(body.errors)}`);
    failed = true;
    continue;
  }
  const schema = buildClientSchema(body.data);
  const types = Object.keys(schema.getTypeMap()).filter((t) => !t.startsWith('__'));
  for (const want of ['Query', 'Post', 'Member', 'Project', 'Group', 'Date', 'DateTime', 'Long']) {
    if (!schema.getType(want)) {
      console.error(`introspection (${name}): no type ${want}`);
      failed = true;
    }
  }
  console.log(`introspection (${name}): HTTP ${res.status}, no errors, buildClientSchema: ${types.length} types, ${printSchema(schema).length} bytes of SDL`);
}
process.exit(failed ? 1 : 0);
