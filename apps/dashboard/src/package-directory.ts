import { createRequire } from 'node:module';
import { dirname } from 'node:path';

const require = createRequire(import.meta.url);

/**
 * The directory of an installed package, found through its main entry (`index.css` of a
 * fontsource package, `dist/…` of uPlot) and `levels` directories up from it.
 */
export function packageDirectory(name: string, levels = 0): string {
  let directory = dirname(require.resolve(name));
  for (let level = 0; level < levels; level++) directory = dirname(directory);
  return directory;
}
