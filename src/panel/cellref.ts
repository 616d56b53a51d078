/**
 * Cells named as the user sees them: by the execution count the notebook
 * shows (`[3]`), else by their place ("cell 3 of 7"). The model's ids
 * (`c10f`, `u3a2`) stay between the model and the server.
 */
import type { IChatEntry } from '../wire';

/** The prefix of the ids given to the user's own cells (notebook/target.ts). */
const USER_CELL = /^u[0-9a-f]+$/;

/** A cell's place in its notebook: 0-based `index` of `count` cells. */
export interface ICellPosition {
  index: number;
  count: number;
}

/** What is known of a cell: its execution count and its place. */
export interface ICellFacts {
  executionCount?: number | null;
  position?: ICellPosition | null;
}

/** "[3]", else "cell 3 of 7", else null when nothing is known. */
export function cellName(facts: ICellFacts): string | null {
  if (typeof facts.executionCount === 'number') {
    return `[${facts.executionCount}]`;
  }
  if (facts.position) {
    return `cell ${facts.position.index + 1} of ${facts.position.count}`;
  }
  return null;
}

/** "cell [3]", else "cell 3 of 7", else null. */
export function cellPhrase(facts: ICellFacts): string | null {
  const name = cellName(facts);
  return name?.startsWith('[') ? `cell ${name}` : name;
}

const capital = (text: string): string => text[0].toUpperCase() + text.slice(1);

/** Whether the model's cell id names a cell of the user's (Fix the Error). */
export function isUserCell(ref: string | undefined): boolean {
  return !!ref && USER_CELL.test(ref);
}

/**
 * For each action that rewrites an earlier cell of the agent's, that cell
 * as it was before (its notebook cell, the count it last ran with).
 */
export function rewriteTargets(
  entries: readonly IChatEntry[]
): Map<string, { cellId: string | null; executionCount: number | null }> {
  const targets = new Map<
    string,
    { cellId: string | null; executionCount: number | null }
  >();
  const cells = new Map<
    string,
    { cellId: string | null; executionCount: number | null }
  >();
  const refs = new Map<string, string>(); // action id -> model cell id
  for (const entry of entries) {
    const actionId = entry.action_id;
    if (entry.role === 'action' && actionId) {
      if (entry.replaces && cells.has(entry.replaces)) {
        targets.set(actionId, cells.get(entry.replaces)!);
      }
      if (entry.cell) {
        refs.set(actionId, entry.cell);
      }
    } else if (entry.role === 'observation' && actionId) {
      const ref = refs.get(actionId);
      if (ref && typeof entry.execution_count === 'number') {
        cells.set(ref, {
          cellId: entry.cell_id ?? null,
          executionCount: entry.execution_count
        });
      }
    }
  }
  return targets;
}

/**
 * The step's header: which cell, in the user's words. `cell` is what is
 * known of the cell the step ran in; `replaces` of the cell it rewrites.
 */
export function stepTitle(options: {
  cell: ICellFacts;
  replaces?: ICellFacts | null;
  userCell: boolean;
  ran: boolean;
}): string {
  const own = cellPhrase(options.cell);
  const target = options.replaces ? cellPhrase(options.replaces) : null;
  if (options.userCell) {
    const name = own ?? target;
    return name ? `Change to your ${name}` : 'Change to your cell';
  }
  if (own ?? target) {
    return capital((own ?? target)!);
  }
  return options.ran ? 'Code' : 'New cell';
}

/**
 * What became of a step that asked to rewrite an earlier cell of the
 * agent's: `replaced` true (done), false (it went into a new cell), or
 * undefined (not known yet).
 */
export function replacementNote(
  replaced: boolean | undefined,
  target: ICellFacts | null
): string {
  const name = (target && cellPhrase(target)) ?? 'the earlier cell';
  if (replaced === true) {
    return `rewrote ${name}`;
  }
  if (replaced === false) {
    return `new cell: ${name} could not be changed`;
  }
  return `rewrites ${name}`;
}
