/**
 * Review and undo: a turn's entry lists what it changed in the notebook,
 * and *Undo this turn* gives the notebook back its cells from before the
 * turn, in one step of the notebook's undo history (its undo takes it back),
 * keeping any cell the user changed since, and with the tab closed too.
 */
import { expect } from '@jupyterlab/galata';
import type { Page } from '@playwright/test';

import { test } from './fixtures';
import {
  ask,
  chatPanel,
  command,
  entries,
  llmRequests,
  notebookCells,
  notebookWithChat,
  readNotebook,
  requestText,
  script,
  userCells
} from './helpers';

test.use({ autoGoto: true });
// Two turns of real kernel runs each, and a reopened JupyterLab: slow under load.
test.describe.configure({ timeout: 240_000 });

const FAILED = 'x = 1\nprint(totl)';
const FIXED = 'x = 1\nprint(x)';

/** Turn 1 leaves a failed cell; turn 2 fixes it in place and adds two. */
async function twoTurns(page: Page, name: string): Promise<void> {
  await script([
    `<execute>\n${FAILED}\n</execute>`,
    '<solution>It failed.</solution>'
  ]);
  await notebookWithChat(page as any, name);
  await userCells(page, ['data = [1, 2, 3]']);
  await ask(page, 'Compute x.');
  await expect(entries(page, 'final')).toContainText('It failed.');
  const ref = (await notebookCells(page))[1].codeact!.cell;
  await script([
    `<execute replace="${ref}">\n${FIXED}\n</execute>`,
    '<execute>\ny = x + 1\n</execute>',
    '<execute>\nprint(y)\n</execute>',
    '<solution>y is 2.</solution>'
  ]);
}

/** The last request's list of changes (under it in the chat). */
function changes(page: Page) {
  return chatPanel(page).locator('[data-codeact-changes]').last();
}

test('a turn that added two cells and fixed a failed one is listed, undone exactly, and the notebook undo takes it back', async ({
  page
}) => {
  await twoTurns(page, 'undo-turn.ipynb');
  const before = await notebookCells(page);
  expect(before.map(cell => cell.source)).toEqual(['data = [1, 2, 3]', FAILED]);
  await ask(page, 'Fix it and add y.');
  await expect(entries(page, 'final').last()).toContainText('y is 2.');

  const listed = changes(page);
  await expect(listed.locator('[data-codeact-change]')).toHaveCount(3);
  const kinds = await listed
    .locator('[data-codeact-change]')
    .evaluateAll(items => items.map(item => item.getAttribute('data-codeact-change')));
  expect(kinds).toEqual(['replaced', 'added', 'added']);
  await listed.getByRole('button', { name: 'Show diff' }).click();
  await expect(listed.locator('.jp-CodeAct-diff')).toContainText('print(totl)');
  await expect(listed.locator('.jp-CodeAct-diff')).toContainText('print(x)');
  const after = await notebookCells(page);
  expect(after.map(cell => cell.source)).toEqual([
    'data = [1, 2, 3]',
    FIXED,
    'y = x + 1',
    'print(y)'
  ]);

  await listed.getByRole('button', { name: 'Undo this turn' }).click();
  await expect(listed.locator('.jp-CodeAct-undone')).toContainText(
    '2 cells removed, 1 restored'
  );
  await expect(listed.locator('.jp-CodeAct-kernelNote')).toContainText(
    "kernel's state is not undone"
  );
  await expect(
    listed.getByRole('button', { name: 'Restart kernel and run the notebook' })
  ).toBeVisible();
  // Exactly the notebook from before the turn: sources, outputs, counts.
  await expect.poll(() => notebookCells(page)).toEqual(before);

  // One step of the notebook's undo history: Ctrl+Z in command mode (the
  // extension binds it to the notebook's undo, JupyterLab's Z) takes the
  // undo back whole.
  await page.locator('.jp-Cell').first().locator('.cm-content').click();
  await page.keyboard.press('Escape');
  await page.keyboard.press('ControlOrMeta+z');
  await expect
    .poll(async () => (await notebookCells(page)).map(cell => cell.source))
    .toEqual(after.map(cell => cell.source));
  expect(await notebookCells(page)).toEqual(after);

  // The model hears of the undo in its next request.
  await script(['<solution>Understood.</solution>']);
  await ask(page, 'What now?');
  await expect(entries(page, 'final').last()).toContainText('Understood.');
  const [request] = await llmRequests();
  expect(requestText(request)).toContain('The user undid your turn');
});

test('undo after the user edited one of the agent cells keeps that cell and names it', async ({
  page
}) => {
  await twoTurns(page, 'undo-edited.ipynb');
  const before = await notebookCells(page);
  await ask(page, 'Fix it and add y.');
  await expect(entries(page, 'final').last()).toContainText('y is 2.');
  // The user edits the agent's `y = x + 1` cell (the third).
  await page.evaluate(() => {
    const model = (window as any).jupyterapp.shell.currentWidget.content.model;
    model.cells.get(2).sharedModel.setSource('y = x + 10  # mine');
  });

  const listed = changes(page);
  await listed.getByRole('button', { name: 'Undo this turn' }).click();
  const kept = listed.locator('[data-codeact-kept]');
  await expect(kept).toHaveCount(1);
  await expect(kept).toContainText('Kept cell 3 of 3');
  await expect(kept).toContainText('you edited it since');
  await expect
    .poll(async () => (await notebookCells(page)).map(cell => cell.source))
    .toEqual([...before.map(cell => cell.source), 'y = x + 10  # mine']);
  const cells = await notebookCells(page);
  expect(cells.slice(0, 2)).toEqual(before);
});

/** Send *Undo this turn* of `entryId` on chat `chatId`, as another page. */
async function undoFrom(page: Page, chatId: string, entryId: string) {
  await page.evaluate(
    ({ chatId, entryId }) =>
      new Promise<void>((resolve, reject) => {
        const settings = (window as any).jupyterapp.serviceManager
          .serverSettings;
        const socket = new WebSocket(
          `${settings.wsUrl}codeact/chats/${chatId}/ws`
        );
        socket.onopen = () =>
          socket.send(JSON.stringify({ type: 'undo', entry_id: entryId }));
        socket.onmessage = event => {
          const message = JSON.parse(event.data);
          if (message.type === 'entry' && message.entry.undone) {
            socket.close();
            resolve();
          } else if (message.type === 'problem') {
            reject(new Error(message.message));
          }
        };
      }),
    { chatId, entryId }
  );
}

test('undo with the notebook tab closed: the file is the pre-turn notebook, and a reopened tab shows it', async ({
  page
}) => {
  await twoTurns(page, 'undo-closed.ipynb');
  await page.notebook.save();
  const before = await notebookCells(page);
  await ask(page, 'Fix it and add y.');
  await expect(entries(page, 'final').last()).toContainText('y is 2.');
  const entryId = await changes(page).getAttribute('data-codeact-changes');
  const path: string = await page.evaluate(
    () => (window as any).jupyterapp.shell.currentWidget.context.path
  );
  const chatId: string = (
    await (
      await page.request.get(`/codeact/chats?path=${encodeURIComponent(path)}`)
    ).json()
  ).chats[0].id;
  const other = await page.context().newPage();
  await other.goto('/lab?reset');
  await other.waitForFunction(() => !!(window as any).jupyterapp);
  await page.close(); // unsaved: the server writes the turn after its grace

  const sources = async (): Promise<string[]> =>
    (await readNotebook(other, path)).cells.map((cell: any) =>
      Array.isArray(cell.source) ? cell.source.join('') : cell.source
    );
  await expect.poll(sources, { timeout: 30_000 }).toHaveLength(4);
  await undoFrom(other, chatId, entryId!);
  await expect
    .poll(sources)
    .toEqual(before.map(cell => cell.source));

  await other.goto(`/lab/tree/${path}?reset`);
  await expect(other.locator('.jp-NotebookPanel')).toBeVisible();
  await other.waitForFunction(() => !!(window as any).jupyterapp);
  await command(other, 'codeact:open');
  await expect(chatPanel(other)).toBeVisible();
  await expect(changes(other).locator('.jp-CodeAct-undone')).toBeVisible();
  await expect
    .poll(() => notebookCells(other))
    .toEqual(before);
  await expect(other.locator('.jp-Dialog')).toHaveCount(0);
  await other.close();
});
