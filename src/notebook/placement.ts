/**
 * Where a new agent cell goes, from a plain description of the notebook.
 */
import { InsertPosition } from '../tokens';

export interface IPlacement {
  /** Each cell's id, and the chat that wrote it (null: not the agent). */
  cells: readonly { id: string; chatId: string | null }[];
  activeIndex: number | null;
  /** The last cell this chat inserted in this page, if known. */
  lastCellId: string | null;
  chatId: string;
  position: InsertPosition;
}

/**
 * The index at which to insert the next cell: at the end, or below the
 * last cell this chat wrote (remembered, else found by its metadata), or
 * below the active cell, or at the end.
 */
export function insertionIndex(placement: IPlacement): number {
  const { cells } = placement;
  if (placement.position === 'end') {
    return cells.length;
  }
  if (placement.lastCellId !== null) {
    const index = cells.findIndex(cell => cell.id === placement.lastCellId);
    if (index >= 0) {
      return index + 1;
    }
  }
  for (let index = cells.length - 1; index >= 0; index--) {
    if (cells[index].chatId === placement.chatId) {
      return index + 1;
    }
  }
  if (placement.activeIndex !== null && placement.activeIndex < cells.length) {
    return placement.activeIndex + 1;
  }
  return cells.length;
}
