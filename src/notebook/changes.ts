/**
 * What changed in a notebook since the agent last looked at it: cells the
 * user added, edited, ran or deleted. A look keeps a hash per cell, not
 * the cells, and a comparison walks the notebook once: the work of a
 * request grows with the notebook, never with the conversation.
 */
import type * as nbformat from '@jupyterlab/nbformat';

import { outputText } from '../outputs';
import { sourceHash } from './provenance';

/**
 * One cell as the comparison needs it.
 */
export interface ILookedCell {
  id: string;
  type: string;
  source: string;
  executionCount: number | null;
  outputs: readonly nbformat.IOutput[];
}

interface ISeen {
  hash: string;
  executionCount: number | null;
  /** The first line, to say which cell was deleted. */
  firstLine: string;
}

/**
 * What the agent saw of a notebook, by cell id.
 */
export type Look = Map<string, ISeen>;

function seen(cell: ILookedCell): ISeen {
  return {
    hash: sourceHash(cell.source),
    executionCount: cell.executionCount,
    firstLine: cell.source.split('\n', 1)[0].slice(0, 80)
  };
}

/**
 * A look at `cells` now.
 */
export function look(cells: readonly ILookedCell[]): Look {
  return new Map(cells.map(cell => [cell.id, seen(cell)]));
}

/**
 * Record that the agent has seen `cell` as it is (it wrote or ran it).
 */
export function lookAt(current: Look, cell: ILookedCell): void {
  current.set(cell.id, seen(cell));
}

export interface IChange {
  kind: 'added' | 'edited' | 'ran' | 'deleted';
  /** The cell's position (1-based) now; for a deleted cell, null. */
  number: number | null;
  cell: ILookedCell | null;
  firstLine: string;
  /** Edited and then run: its outputs are of the new source. */
  ran?: boolean;
}

/**
 * The changes between `before` and `cells`, in notebook order (deleted
 * cells last).
 */
export function changesSince(
  before: Look,
  cells: readonly ILookedCell[]
): IChange[] {
  const changes: IChange[] = [];
  const present = new Set<string>();
  cells.forEach((cell, index) => {
    present.add(cell.id);
    const old = before.get(cell.id);
    const ran =
      !!old &&
      cell.executionCount !== null &&
      cell.executionCount !== old.executionCount;
    let kind: IChange['kind'] | null = null;
    if (!old) {
      kind = 'added';
    } else if (old.hash !== sourceHash(cell.source)) {
      kind = 'edited';
    } else if (ran) {
      kind = 'ran';
    }
    if (kind) {
      changes.push({
        kind,
        number: index + 1,
        cell,
        firstLine: cell.source.split('\n', 1)[0],
        ran
      });
    }
  });
  for (const [id, old] of before) {
    if (!present.has(id)) {
      changes.push({
        kind: 'deleted',
        number: null,
        cell: null,
        firstLine: old.firstLine
      });
    }
  }
  return changes;
}

export interface IChangeLimits {
  /** Changes described in full; the others are counted. */
  maxChanges: number;
  maxSourceChars: number;
  maxOutputChars: number;
}

export const DEFAULT_CHANGE_LIMITS: IChangeLimits = {
  maxChanges: 8,
  maxSourceChars: 800,
  maxOutputChars: 600
};

function clip(text: string, limit: number): string {
  return text.length <= limit
    ? text
    : `${text.slice(0, limit)}… [${text.length - limit} more characters]`;
}

/**
 * The changes as text for the model, bounded by `limits`; '' when none.
 */
export function describeChanges(
  changes: readonly IChange[],
  limits: IChangeLimits = DEFAULT_CHANGE_LIMITS
): string {
  if (!changes.length) {
    return '';
  }
  const parts = ['Changes the user made since you last looked:'];
  for (const change of changes.slice(0, limits.maxChanges)) {
    if (change.kind === 'deleted' || !change.cell) {
      parts.push(`- deleted the cell that began: ${change.firstLine}`);
      continue;
    }
    const { cell } = change;
    const count =
      cell.executionCount !== null ? ` [In ${cell.executionCount}]` : '';
    const verb =
      change.kind === 'edited' && change.ran ? 'edited and ran' : change.kind;
    parts.push(`- ${verb} cell ${change.number} (${cell.type})${count}:`);
    if (change.kind !== 'ran') {
      parts.push(clip(cell.source, limits.maxSourceChars));
    }
    const output = cell.outputs
      .map(outputText)
      .filter(text => text)
      .join('\n')
      .trimEnd();
    if (output && (change.kind !== 'edited' || change.ran)) {
      parts.push('  output:', clip(output, limits.maxOutputChars));
    }
  }
  const more = changes.length - limits.maxChanges;
  if (more > 0) {
    parts.push(`- and ${more} more change${more === 1 ? '' : 's'}`);
  }
  return parts.join('\n');
}
