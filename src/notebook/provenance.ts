/**
 * The agent's provenance in cell metadata, and what it says: which chat
 * wrote a cell, under which id, and whether the user has changed it since.
 */
import { CELL_METADATA_KEY, ICellProvenance } from '../tokens';

/**
 * The provenance stored in a cell's metadata, if the agent wrote it.
 */
export function cellProvenance(
  metadata: Readonly<Record<string, unknown>>
): ICellProvenance | null {
  const value = metadata[CELL_METADATA_KEY];
  if (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ICellProvenance).request_id === 'string'
  ) {
    return value as ICellProvenance;
  }
  return null;
}

/**
 * A short hash of a cell's source (FNV-1a, 32 bits): enough to tell that
 * the user changed what the agent wrote, without keeping a copy of it.
 */
export function sourceHash(source: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < source.length; index++) {
    hash ^= source.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/**
 * What the user did to an agent cell since the agent last wrote or ran it:
 * `edited` its source, `ran` it again, or nothing (null).
 */
export function userChange(
  provenance: ICellProvenance,
  source: string,
  executionCount: number | null
): 'edited' | 'ran' | null {
  if (provenance.code_hash && sourceHash(source) !== provenance.code_hash) {
    return 'edited';
  }
  // Cleared outputs (no count) are not a run.
  if (
    provenance.execution_count !== undefined &&
    executionCount !== null &&
    executionCount !== provenance.execution_count
  ) {
    return 'ran';
  }
  return null;
}

/**
 * A cell as the lookups below need it.
 */
export interface ICellInfo {
  id: string;
  type: string;
  source: string;
  executionCount: number | null;
  metadata: Readonly<Record<string, unknown>>;
}

/**
 * The code cells of chat `chatId` whose model id is `cellRef`.
 */
export function chatCells(
  cells: readonly ICellInfo[],
  chatId: string,
  cellRef: string
): number[] {
  const found: number[] = [];
  cells.forEach((cell, index) => {
    const provenance = cellProvenance(cell.metadata);
    if (
      cell.type === 'code' &&
      provenance?.chat_id === chatId &&
      provenance.cell === cellRef &&
      !provenance.role
    ) {
      found.push(index);
    }
  });
  return found;
}

/**
 * Why cell `cellRef` of chat `chatId` cannot have its code replaced, or
 * null when it can (it exists once, and the user has not changed it).
 */
export function whyNotReplaceable(
  cells: readonly ICellInfo[],
  chatId: string,
  cellRef: string
): string | null {
  const found = chatCells(cells, chatId, cellRef);
  if (found.length === 0) {
    return `Cell ${cellRef} is no longer in the notebook (the user deleted it).`;
  }
  if (found.length > 1) {
    return `Cell ${cellRef} is in the notebook more than once (the user copied it), so it is theirs now.`;
  }
  const cell = cells[found[0]];
  const change = userChange(
    cellProvenance(cell.metadata)!,
    cell.source,
    cell.executionCount
  );
  if (change) {
    return `The user ${change} cell ${cellRef} since you wrote it, so it is theirs now.`;
  }
  return null;
}
