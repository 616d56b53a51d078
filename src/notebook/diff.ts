/**
 * A line diff for showing a proposed change to a cell: the lines kept,
 * removed and added, in order (longest common subsequence of lines).
 */

export interface IDiffLine {
  kind: 'same' | 'removed' | 'added';
  text: string;
}

/**
 * Cells are short; beyond this many lines on each side the middle is
 * shown as replaced wholesale rather than computing a quadratic table.
 */
const MAX_TABLE_LINES = 2000;

/**
 * The lines of `before` and `after` as kept, removed and added lines.
 * Common leading and trailing lines are matched first, so a one-line fix
 * in a long cell costs little.
 */
export function lineDiff(before: string, after: string): IDiffLine[] {
  const a = before.split('\n');
  const b = after.split('\n');
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) {
    start++;
  }
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const head = a.slice(0, start).map(text => same(text));
  const tail = a.slice(endA).map(text => same(text));
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  let middle: IDiffLine[];
  if (midA.length > MAX_TABLE_LINES || midB.length > MAX_TABLE_LINES) {
    middle = [
      ...midA.map(text => ({ kind: 'removed' as const, text })),
      ...midB.map(text => ({ kind: 'added' as const, text }))
    ];
  } else {
    middle = lcsDiff(midA, midB);
  }
  return [...head, ...middle, ...tail];
}

function same(text: string): IDiffLine {
  return { kind: 'same', text };
}

function lcsDiff(a: readonly string[], b: readonly string[]): IDiffLine[] {
  // table[i][j]: the longest common subsequence of a[i:] and b[j:].
  const table: number[][] = Array.from({ length: a.length + 1 }, () =>
    new Array<number>(b.length + 1).fill(0)
  );
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      table[i][j] =
        a[i] === b[j]
          ? table[i + 1][j + 1] + 1
          : Math.max(table[i + 1][j], table[i][j + 1]);
    }
  }
  const lines: IDiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      lines.push(same(a[i]));
      i++;
      j++;
    } else if (table[i + 1][j] >= table[i][j + 1]) {
      lines.push({ kind: 'removed', text: a[i++] });
    } else {
      lines.push({ kind: 'added', text: b[j++] });
    }
  }
  while (i < a.length) {
    lines.push({ kind: 'removed', text: a[i++] });
  }
  while (j < b.length) {
    lines.push({ kind: 'added', text: b[j++] });
  }
  return lines;
}

/**
 * The smallest edit that turns `before` into `after`: replace
 * `before.slice(start, end)` by `text` (common prefix and suffix kept, so
 * the user's undo history and cursor see a change of the middle only).
 */
export function minimalEdit(
  before: string,
  after: string
): { start: number; end: number; text: string } {
  let start = 0;
  const limit = Math.min(before.length, after.length);
  while (start < limit && before[start] === after[start]) {
    start++;
  }
  let suffix = 0;
  while (
    suffix < limit - start &&
    before[before.length - 1 - suffix] === after[after.length - 1 - suffix]
  ) {
    suffix++;
  }
  return {
    start,
    end: before.length - suffix,
    text: after.slice(start, after.length - suffix)
  };
}
