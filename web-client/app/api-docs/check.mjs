// Validates the committed API document (`staff/openapi.json`) before the dashboard's types are
// generated from it: swagger-parser checks it against the OpenAPI 3.1 schema and resolves every
// reference. `it::openapi` holds the committed copy to what the server serves.
import SwaggerParser from '@apidevtools/swagger-parser';

const file = new URL('../staff/openapi.json', import.meta.url).pathname;
try {
  const api = await SwaggerParser.validate(file);
  console.log(`${file}: valid OpenAPI ${api.openapi}, ${Object.keys(api.paths ?? {}).length} paths`);
} catch (e) {
  console.error(`${file} is not a valid OpenAPI document: ${e.message}`);
  process.exit(1);
}
