/** `npm run openapi`: rewrites api/openapi.json from the zod schemas (a test fails while it is out of date). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApiDocument } from '../api/openapi';

writeFileSync(join(__dirname, '../api/openapi.json'), `${JSON.stringify(openApiDocument(), null, 2)}\n`);
console.log('wrote api/openapi.json');
