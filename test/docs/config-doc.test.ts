import fs from 'node:fs';
import path from 'node:path';

/**
 * Every setting the configuration reads from the environment has a row in README.md's
 * configuration table (its first cell names it), so a new setting cannot ship undocumented.
 */
describe('README configuration table', () => {
  const root = path.join(__dirname, '../..');
  const configSource = fs.readFileSync(path.join(root, 'src/config/config.ts'), 'utf8');
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');

  it('documents every environment variable src/config/config.ts reads', () => {
    const read = [...new Set([...configSource.matchAll(/\benv\.([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]))].sort();
    const documented = new Set(
      readme.split('\n').filter((l) => l.startsWith('| `')).flatMap((l) => [...l.split('|')[1].matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1])),
    );
    expect(read.length).toBeGreaterThan(40);
    expect(read.filter((name) => !documented.has(name))).toEqual([]);
  });
});
