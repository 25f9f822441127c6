import type { Figure } from './figure.js';

const HEADER = ['figure', 'Conveyor', 'baseline', 'ratio', 'target', 'pass'];

function formatNumber(value: number | null, digits: number): string {
  if (value === null) return '-';
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** Two decimals, more for a small ratio (a target such as 0.02x needs them to be read). */
function ratioDigits(ratio: number): number {
  return Math.abs(ratio) < 0.1 ? 4 : 2;
}

function passText(pass: boolean | null): string {
  if (pass === null) return '-';
  return pass ? 'yes' : 'NO';
}

/** The table's cells, row by row, header first. */
export function tableRows(figures: readonly Figure[]): string[][] {
  return [
    HEADER,
    ...figures.map((figure) => [
      figure.label,
      formatNumber(figure.conveyor, figure.digits),
      formatNumber(figure.baseline, figure.digits),
      figure.ratio === null ? '-' : `${formatNumber(figure.ratio, ratioDigits(figure.ratio))}x`,
      figure.target,
      passText(figure.pass),
    ]),
  ];
}

/** A plain-text table for the terminal. */
export function formatTextTable(figures: readonly Figure[]): string {
  const rows = tableRows(figures);
  const widths = HEADER.map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (row: string[]) =>
    row
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ');
  const [header, ...body] = rows;
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [line(header ?? []), rule, ...body.map(line)].join('\n');
}

/** A GitHub-flavoured markdown table. */
export function formatMarkdownTable(figures: readonly Figure[]): string {
  const rows = tableRows(figures);
  const [header, ...body] = rows;
  const line = (row: string[]) => `| ${row.join(' | ')} |`;
  const align = `|${HEADER.map((_, column) => (column === 0 ? ' --- ' : ' ---: ')).join('|')}|`;
  return [line(header ?? []), align, ...body.map(line)].join('\n');
}
