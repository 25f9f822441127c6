import type { BenchContext } from '../bench-context.js';
import type { Figure } from '../report/figure.js';
export async function measureTenantCost(_ctx: BenchContext): Promise<Figure[]> {
  return [];
}
