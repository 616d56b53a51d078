/**
 * Ask before running, in the notebook: the action waits as a pending cell
 * where it will run, with Run, Edit and Skip on the cell and in the panel.
 * Edit is the cell's own editor, Run runs what the cell holds then, Skip
 * removes the cell and tells the model, and a reload brings it all back.
 */
import {
  expect,
  IJupyterLabPageFixture,
  JupyterLabPage
} from '@jupyterlab/galata';
import type { Page } from '@playwright/test';

import { test } from './fixtures';
import {
  agentCells,
  ask,
  chatPanel,
  command,
  entries,
  llmRequests,
  notebookWithChat,
  requestText,
  script
} from './helpers';

test.use({ autoGoto: true });

/** The pending cell's bar in the notebook. */
function pendingBar(page: Page) {
  return page.locator(
    '.jp-NotebookPanel .jp-Cell.jp-CodeAct-pendingCell .jp-CodeAct-pendingBar'
  );
}

async function askFirst(
  page: IJupyterLabPageFixture,
  name: string
): Promise<void> {
  await notebookWithChat(page, name);
  await chatPanel(page).getByLabel('Approval mode').selectOption('ask');
}

test('a pending cell in the notebook, edited in its editor and run', async ({
  page
}) => {
  await script([
    '<execute>\nprint("as proposed")\n</execute>',
    '<solution>done</solution>'
  ]);
  await askFirst(page, 'pending-edit.ipynb');
  await ask(page, 'Print something.');

  // It waits in the notebook, marked, with its controls; nothing ran.
  await expect(pendingBar(page)).toBeVisible();
  await expect(pendingBar(page)).toContainText('runs when you say so');
  const cells = await agentCells(page);
  expect(cells.map(cell => [cell.source, cell.output])).toEqual([
    ['print("as proposed")', '']
  ]);
  const input = chatPanel(page).getByLabel('Message CodeAct');
  await input.focus();

  // Edit: the cell's own editor has the keyboard.
  await pendingBar(page).getByRole('button', { name: 'Edit' }).click();
  const editor = page.locator(
    '.jp-Cell.jp-CodeAct-pendingCell .jp-InputArea-editor .cm-content'
  );
  await expect(editor).toBeFocused();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type('print("edited in the cell")');
  await pendingBar(page).getByRole('button', { name: 'Run' }).click();

  // What ran is what the cell held; the keyboard is back where it was.
  await expect(entries(page, 'final')).toContainText('done');
  await expect(input).toBeFocused();
  await expect(pendingBar(page)).toHaveCount(0);
  expect(
    (await agentCells(page)).map(cell => [cell.source, cell.output])
  ).toEqual([['print("edited in the cell")', 'edited in the cell\n']]);
  await expect(entries(page, 'observation')).toContainText(
    'edited in the cell'
  );
  const requests = await llmRequests();
  expect(requestText(requests[1])).toContain('print("edited in the cell")');
});

test("the notebook's run keys in a pending cell answer its approval: it runs once, through the agent", async ({
  page
}) => {
  await script([
    '<execute>\nprint("as proposed")\n</execute>',
    '<solution>done</solution>'
  ]);
  await askFirst(page, 'pending-keys.ipynb');
  await ask(page, 'Print something.');
  await expect(pendingBar(page)).toBeVisible();
  const editor = page.locator(
    '.jp-Cell.jp-CodeAct-pendingCell .jp-InputArea-editor .cm-content'
  );
  await editor.click();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type('print("run by its key")');
  await page.keyboard.press('Shift+Enter');

  // The agent ran what the cell held, once: one output, and the model read it.
  await expect(entries(page, 'final')).toContainText('done');
  await expect(pendingBar(page)).toHaveCount(0);
  expect(
    (await agentCells(page)).map(cell => [cell.source, cell.output])
  ).toEqual([['print("run by its key")', 'run by its key\n']]);
  await expect(entries(page, 'observation')).toHaveCount(1);
  const requests = await llmRequests();
  expect(requestText(requests[1])).toContain('run by its key');
});

test('a pending cell skipped: the cell is gone and the model is told', async ({
  page
}) => {
  await script([
    '<execute>\nprint("unwanted")\n</execute>',
    '<solution>fine</solution>'
  ]);
  await askFirst(page, 'pending-skip.ipynb');
  await ask(page, 'Print something.');
  await expect(pendingBar(page)).toBeVisible();
  await pendingBar(page).getByRole('button', { name: 'Skip' }).click();
  await expect(entries(page, 'final')).toContainText('fine');
  await expect(entries(page, 'observation')).toContainText('Skipped');
  expect(await agentCells(page)).toEqual([]);
  const requests = await llmRequests();
  expect(requestText(requests[1])).toContain('chose not to run');
});

test('a pending cell across a reload: its controls come back, and Run runs it', async ({
  page
}) => {
  page.on('dialog', dialog => void dialog.accept()); // "Leave the page?"
  await script([
    '<execute>\nprint("after the reload")\n</execute>',
    '<solution>ran</solution>'
  ]);
  await askFirst(page, 'pending-reload.ipynb');
  // The kernel's session follows Galata's rename of the notebook first (else
  // the reloaded page asks which kernel to start).
  await expect
    .poll(() =>
      page.evaluate(async () => {
        const sessions = (window as any).jupyterapp.serviceManager.sessions;
        await sessions.refreshRunning();
        return [...sessions.running()].some((s: any) =>
          s.path.endsWith('/pending-reload.ipynb')
        );
      })
    )
    .toBe(true);
  await ask(page, 'Print something.');
  await expect(pendingBar(page)).toBeVisible();

  await (page as unknown as JupyterLabPage).reload({ waitForIsReady: false });
  await expect(page.locator('.jp-NotebookPanel')).toBeVisible();
  await page.waitForFunction(() => !!(window as any).jupyterapp);
  await command(page, 'codeact:open');

  // The cell's controls and the panel's are back.
  await expect(pendingBar(page)).toBeVisible();
  await expect(chatPanel(page).locator('.jp-CodeAct-status')).toContainText(
    'Waiting for you'
  );
  const run = chatPanel(page).getByRole('button', { name: 'Run', exact: true });
  await expect(run).toBeVisible();
  await expect(
    chatPanel(page).getByRole('button', { name: 'Skip', exact: true })
  ).toBeVisible();
  await run.click();
  await expect(entries(page, 'final')).toContainText('ran');
  await expect(pendingBar(page)).toHaveCount(0);
  expect((await agentCells(page)).map(cell => cell.output)).toEqual([
    'after the reload\n'
  ]);
});
