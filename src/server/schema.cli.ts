import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../config/project-root';
import { createSchema, printSortedSchema } from './schema';

/** `--write` emits schema/schema.graphql; `--check` fails when the committed file differs from the code. */
async function main(): Promise<number> {
  const file = path.join(projectRoot(), 'schema', 'schema.graphql');
  const sdl = printSortedSchema(await createSchema());
  if (process.argv.includes('--write')) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, sdl);
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
    return 0;
  }
  const committed = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  if (committed !== sdl) {
    console.error('schema/schema.graphql is out of date with the code: run `npm run schema:emit` and commit it.');
    return 1;
  }
  console.log('schema/schema.graphql matches the code');
  return 0;
}

main().then((code) => process.exit(code), (e: unknown) => {
  console.error(e);
  process.exit(1);
});
