/**
 * The run belongs to the server: a closed tab, a reload, a dropped
 * connection or an approval left waiting loses nothing, and a page that
 * comes back gets what it missed once (jupyter_server_test_config.py sets
 * the grace period after which the server writes the file to 2 s).
 */
import { expect, JupyterLabPage } from '@jupyterlab/galata';
import type { Page, WebSocketRoute } from '@playwright/test';

import { test } from './fixtures';
import {
  agentCells,
  ask,
  chatOf,
  chatPanel,
  command,
  currentPath,
  entries,
  notebookCells,
  notebookWithChat,
  onDisk,
  script
} from './helpers';

test.use({ autoGoto: true });

const SLOW =
  '<execute>\nimport time\nprint("one", flush=True)\ntime.sleep(4)\nprint("two")\n</execute>';

async function chatState(page: Page, chatId: string): Promise<string> {
  return (await (await page.request.get(`/codeact/chats/${chatId}`)).json())
    .state;
}

/** A new tab of the same browser, with JupyterLab and the notebook open. */
async function reopen(page: Page, path: string): Promise<Page> {
  const tab = await page.context().newPage();
  await tab.goto(`/lab/tree/${path}?reset`);
  await expect(tab.locator('.jp-NotebookPanel')).toBeVisible();
  await tab.waitForFunction(() => !!(window as any).jupyterapp);
  await command(tab, 'codeact:open');
  await expect(chatPanel(tab)).toBeVisible();
  return tab;
}

test('a tab closed while a slow cell runs: the run finishes, all in the file, shown by a new tab', async ({
  page
}) => {
  await script([
    SLOW,
    '<execute>\nprint("three")\n</execute>',
    '<solution>All **three** printed.</solution>'
  ]);
  await notebookWithChat(page, 'closed.ipynb');
  await ask(page, 'Print three words.');
  await expect
    .poll(async () => (await agentCells(page)).map(cell => cell.output))
    .toEqual(['one\n']);
  const path = await currentPath(page);
  const chatId = await chatOf(page, path);
  const request = page.context().request;
  await page.close();

  await expect
    .poll(async () => chatState(page, chatId), { timeout: 60_000 })
    .toBe('done');
  const saved = await onDisk({ request } as Page, path);
  expect(saved.filter(cell => cell.agent).map(cell => cell.output)).toEqual([
    'one\ntwo\n',
    'three\n'
  ]);

  const tab = await reopen(page, path);
  await expect(entries(tab, 'final')).toContainText('All three printed.');
  expect((await agentCells(tab)).map(cell => cell.output)).toEqual([
    'one\ntwo\n',
    'three\n'
  ]);
  await expect(tab.locator('.jp-Dialog')).toHaveCount(0);
  await tab.close();
});

test('a reload mid-run continues live, with no cell twice', async ({
  page
}) => {
  page.on('dialog', dialog => void dialog.accept()); // "Leave the page?"
  await script([
    '<execute>\nprint("first")\n</execute>',
    '<execute>\nimport time\nprint("a", flush=True)\ntime.sleep(6)\nprint("b")\n</execute>',
    '<solution>Both ran.</solution>'
  ]);
  await notebookWithChat(page, 'reload-run.ipynb');
  const path = await currentPath(page);
  // The kernel's session follows Galata's rename of the notebook first (else
  // the reloaded page asks which kernel to start).
  await expect
    .poll(() =>
      page.evaluate(async () => {
        const sessions = (window as any).jupyterapp.serviceManager.sessions;
        await sessions.refreshRunning();
        return [...sessions.running()].some((s: any) =>
          s.path.endsWith('/reload-run.ipynb')
        );
      })
    )
    .toBe(true);
  await ask(page, 'Print in two steps.');
  await expect
    .poll(async () => (await agentCells(page)).map(cell => cell.output))
    .toEqual(['first\n', 'a\n']);

  // The notebook comes back with the workspace (Galata's own `reload`, which
  // the fixture's type hides behind Page's, without waiting for a launcher).
  await (page as unknown as JupyterLabPage).reload({ waitForIsReady: false });
  await expect(page.locator('.jp-NotebookPanel')).toBeVisible();
  await page.waitForFunction(() => !!(window as any).jupyterapp);
  await command(page, 'codeact:open');
  await expect(entries(page, 'final')).toContainText('Both ran.', {
    timeout: 60_000
  });
  const cells = await agentCells(page);
  // ipykernel's shell thread sometimes logs a message cut by the reload's
  // closed kernel connection ("DELIM not in msg_list") into the running
  // cell's stderr: the kernel's own log, not an output of the cell's code.
  const kernelLog =
    /ERROR:tornado\.general:Uncaught exception in ZMQStream callback\n[\s\S]*?ValueError: DELIM not in msg_list\n/g;
  expect(cells.map(cell => cell.output.replace(kernelLog, ''))).toEqual([
    'first\n',
    'a\nb\n'
  ]);
  expect(new Set(cells.map(cell => cell.requestId)).size).toBe(2);
  await expect(page.locator('.jp-Dialog')).toHaveCount(0);
});

test('a connection dropped past the grace period: the page catches up once, keeps its unsaved edit, and saves with no dialog', async ({
  page
}) => {
  // The page's chat sockets go through this route, so the test can cut
  // them (and refuse reconnections) while the page stays open. Routing
  // applies to pages loaded after it is set up: JupyterLab is loaded again.
  let cut = false;
  const routes: WebSocketRoute[] = [];
  const chatSocket = (url: URL): boolean =>
    /\/codeact\/chats\/[0-9a-f]{32}\/ws$/.test(url.pathname);
  await page.context().routeWebSocket(chatSocket, ws => {
    if (cut) {
      void ws.close();
      return;
    }
    ws.connectToServer();
    routes.push(ws);
  });
  await page.goto();
  await script([
    SLOW,
    '<execute>\nprint("three")\n</execute>',
    '<solution>Done.</solution>'
  ]);
  await notebookWithChat(page, 'dropped.ipynb');
  await page.notebook.setCell(0, 'code', 'data = [1, 2, 3]');
  await page.notebook.save();
  const path = await currentPath(page);
  await ask(page, 'Print three words.');
  await expect
    .poll(async () => (await agentCells(page)).map(cell => cell.output))
    .toEqual(['one\n']);
  // The user edits their own cell, unsaved; then the connection drops.
  await page.evaluate(() => {
    const model = (window as any).jupyterapp.shell.currentWidget.content.model;
    model.cells.get(0).sharedModel.setSource('data = [1, 2, 3, 4]  # unsaved');
  });
  cut = true;
  expect(routes.length).toBeGreaterThan(0);
  for (const route of routes) {
    await route.close();
  }
  await expect(chatPanel(page).locator('.jp-CodeAct-status')).toContainText(
    'Disconnected'
  );
  const chatId = await chatOf(page, path);
  await expect
    .poll(async () => chatState(page, chatId), { timeout: 60_000 })
    .toBe('done');
  // Past the grace period the server wrote the file, not the page.
  await expect
    .poll(async () =>
      (await onDisk(page, path)).filter(cell => cell.agent).map(c => c.output)
    )
    .toEqual(['one\ntwo\n', 'three\n']);

  cut = false; // the page reconnects on its own
  await expect(entries(page, 'final')).toContainText('Done.', {
    timeout: 30_000
  });
  await expect
    .poll(async () => (await agentCells(page)).map(cell => cell.output))
    .toEqual(['one\ntwo\n', 'three\n']);
  const cells = await notebookCells(page);
  expect(cells).toHaveLength(3);
  expect(cells[0].source).toBe('data = [1, 2, 3, 4]  # unsaved');

  // Its next save takes over the file the server wrote: no "File Changed".
  void page.evaluate(() =>
    (window as any).jupyterapp.commands.execute('docmanager:save')
  );
  await expect
    .poll(() =>
      page.evaluate(
        () => (window as any).jupyterapp.shell.currentWidget.context.model.dirty
      )
    )
    .toBe(false);
  await expect(page.locator('.jp-Dialog')).toHaveCount(0);
  const disk = await onDisk(page, path);
  expect(disk.map(cell => cell.source)).toEqual([
    'data = [1, 2, 3, 4]  # unsaved',
    'import time\nprint("one", flush=True)\ntime.sleep(4)\nprint("two")',
    'print("three")'
  ]);
});

test('an approval waits with the tab closed; a reopened tab shows it and Run runs it', async ({
  page
}) => {
  await script([
    '<execute>\nprint("approved")\n</execute>',
    '<solution>It ran.</solution>'
  ]);
  await notebookWithChat(page, 'approve-later.ipynb');
  await chatPanel(page).getByLabel('Approval mode').selectOption('ask');
  await ask(page, 'Print a word.');
  await expect(
    chatPanel(page).getByRole('button', { name: 'Run', exact: true })
  ).toBeVisible();
  const path = await currentPath(page);
  await page.close();

  const tab = await reopen(page, path);
  const panel = chatPanel(tab);
  await expect(panel.locator('.jp-CodeAct-status')).toContainText(
    'Waiting for you'
  );
  await expect(entries(tab, 'action')).toContainText('print("approved")');
  // It waits in its cell; nothing ran meanwhile.
  expect((await agentCells(tab)).map(cell => cell.output)).toEqual(['']);
  await panel.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(entries(tab, 'final')).toContainText('It ran.');
  expect((await agentCells(tab)).map(cell => cell.output)).toEqual([
    'approved\n'
  ]);
  await tab.close();
});
