import { IDocumentManager } from '@jupyterlab/docmanager';
import { INotebookTracker } from '@jupyterlab/notebook';

import { cellProvenance, insertionIndex, NotebookExecutor } from '../executor';
import { DEFAULT_SETTINGS } from '../tokens';
import { IApproval } from '../wire';

const cells = [
  { id: 'a', chatId: null },
  { id: 'b', chatId: 'c1' },
  { id: 'c', chatId: null },
  { id: 'd', chatId: 'c2' },
  { id: 'e', chatId: null }
];

describe('insertionIndex', () => {
  const base = {
    cells,
    activeIndex: 0,
    lastCellId: null,
    chatId: 'c1',
    position: 'belowLast' as const
  };

  it('goes below the last cell this chat wrote', () => {
    expect(insertionIndex({ ...base, lastCellId: 'c' })).toBe(3);
  });

  it("finds the chat's last cell by its metadata when not remembered", () => {
    expect(insertionIndex(base)).toBe(2);
    expect(insertionIndex({ ...base, lastCellId: 'deleted' })).toBe(2);
  });

  it('goes below the active cell for a chat with no cell yet', () => {
    expect(insertionIndex({ ...base, chatId: 'c9', activeIndex: 2 })).toBe(3);
    expect(insertionIndex({ ...base, chatId: 'c9', activeIndex: null })).toBe(
      5
    );
  });

  it('goes at the end when the setting says so', () => {
    expect(insertionIndex({ ...base, lastCellId: 'b', position: 'end' })).toBe(
      5
    );
  });
});

describe('cellProvenance', () => {
  it('reads the codeact metadata', () => {
    const provenance = {
      chat_id: 'c1',
      turn: 2,
      action_id: 'a',
      request_id: 'r'
    };
    expect(cellProvenance({ codeact: provenance, tags: [] })).toEqual(
      provenance
    );
    expect(cellProvenance({ codeact: 'x' })).toBeNull();
    expect(cellProvenance({})).toBeNull();
  });
});

describe('NotebookExecutor approvals', () => {
  const approval = (id: string, kind: 'run' | 'change' = 'run'): IApproval => ({
    request_id: id,
    action_id: 'a1',
    kind,
    code: 'print(1)',
    path: 'missing.ipynb',
    ...(kind === 'change' ? { cell_id: 'x1', before: 'print(0)' } : {})
  });

  const make = () => {
    const tracker = { find: jest.fn(() => undefined) };
    const docManager = { openOrReveal: jest.fn(() => undefined) };
    const executor = new NotebookExecutor({
      tracker: tracker as unknown as INotebookTracker,
      docManager: docManager as unknown as IDocumentManager,
      settings: () => DEFAULT_SETTINGS,
      variablesExpression: async () => null
    });
    return { executor, tracker };
  };

  it('shows what the server holds, and sends the answer once', () => {
    const { executor } = make();
    const changes = jest.fn();
    const answer = jest.fn();
    executor.approvalsChanged.connect(changes);
    executor.setApproval('c1', approval('r1'), answer);
    expect(executor.pendingApproval('r1')).toEqual({
      requestId: 'r1',
      code: 'print(1)',
      path: 'missing.ipynb',
      kind: 'run',
      before: undefined,
      cellId: undefined,
      replaces: undefined
    });
    executor.decide('r1', { run: true, code: 'print(2)' });
    executor.decide('r1', { run: false });
    expect(answer).toHaveBeenCalledTimes(1);
    expect(answer).toHaveBeenCalledWith({ run: true, code: 'print(2)' });
    expect(executor.pendingApproval('r1')).toBeUndefined();
    expect(changes).toHaveBeenCalledTimes(2);
  });

  it('forgets an approval answered elsewhere (another page, or Stop)', () => {
    const { executor } = make();
    const answer = jest.fn();
    executor.setApproval('c1', approval('r1'), answer);
    executor.setApproval('c1', null, answer);
    expect(executor.pendingApproval('r1')).toBeUndefined();
    executor.setApproval('c1', approval('r2', 'change'), answer);
    executor.setApproval('c2', approval('r3'), answer);
    expect(executor.pendingChanges().map(change => change.requestId)).toEqual([
      'r2'
    ]);
    expect(executor.pendingApproval('r3')).toBeDefined();
    expect(answer).not.toHaveBeenCalled();
  });

  it('applies nothing to a notebook that is not open here', async () => {
    const { executor } = make();
    expect(executor.applied('missing.ipynb')).toBeNull();
    await expect(
      executor.apply('missing.ipynb', 'c1', [
        { op: 'running', seq: 1, cell_id: 'x' }
      ])
    ).resolves.toBe(false);
  });
});
