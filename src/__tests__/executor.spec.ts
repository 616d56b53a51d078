import { IDocumentManager } from '@jupyterlab/docmanager';
import { INotebookTracker } from '@jupyterlab/notebook';

import { cellProvenance, insertionIndex, NotebookExecutor } from '../executor';
import { DEFAULT_SETTINGS } from '../tokens';
import { IExecuteMessage } from '../wire';

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
  const request = (id: string): IExecuteMessage => ({
    type: 'execute',
    request_id: id,
    action_id: 'a1',
    turn: 1,
    code: 'print(1)',
    timeout: null,
    approval: 'ask',
    path: 'missing.ipynb'
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
    return { executor, tracker, docManager };
  };

  it('waits for approval, and a skip runs nothing', async () => {
    const { executor, tracker } = make();
    const changes = jest.fn();
    const onApproved = jest.fn();
    executor.approvalsChanged.connect(changes);
    const result = executor.execute('c1', request('r1'), { onApproved });
    expect(executor.pendingApproval('r1')).toEqual({
      requestId: 'r1',
      code: 'print(1)',
      path: 'missing.ipynb',
      kind: 'run'
    });
    executor.decide('r1', { run: false });
    await expect(result).resolves.toEqual({
      type: 'execute_result',
      request_id: 'r1',
      status: 'skipped',
      outputs: [],
      code: 'print(1)',
      execution_count: null,
      cell_id: null,
      note: ''
    });
    expect(tracker.find).not.toHaveBeenCalled();
    expect(executor.pendingApproval('r1')).toBeUndefined();
    expect(changes).toHaveBeenCalledTimes(2);
    expect(executor.result('r1')?.status).toBe('skipped');
    expect(onApproved).not.toHaveBeenCalled();
  });

  it('treats an interrupt during approval as a skip', async () => {
    const { executor } = make();
    const result = executor.execute('c1', request('r2'));
    executor.interrupt('r2');
    await expect(result).resolves.toMatchObject({ status: 'skipped' });
  });

  it('runs the edited code and reports it (here: no notebook to run in)', async () => {
    const { executor, docManager } = make();
    const onApproved = jest.fn();
    const result = executor.execute('c1', request('r3'), { onApproved });
    expect(onApproved).not.toHaveBeenCalled();
    executor.decide('r3', { run: true, code: 'print(2)' });
    const answer = await result;
    expect(onApproved).toHaveBeenCalledTimes(1);
    expect(docManager.openOrReveal).toHaveBeenCalledWith('missing.ipynb');
    expect(answer.status).toBe('error');
    expect(answer.code).toBe('print(2)');
    expect(answer.outputs[0]).toMatchObject({
      output_type: 'error',
      evalue: expect.stringContaining('missing.ipynb cannot be opened')
    });
  });

  it('never runs a request id twice', async () => {
    const { executor, docManager } = make();
    const auto = { ...request('r4'), approval: 'auto' as const };
    const first = executor.execute('c1', auto);
    const second = executor.execute('c1', auto);
    expect(second).toBe(first);
    await first;
    await executor.execute('c1', auto);
    expect(docManager.openOrReveal).toHaveBeenCalledTimes(1);
  });
});
