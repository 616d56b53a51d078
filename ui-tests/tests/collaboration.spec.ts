/**
 * Real-time collaboration (jupyter-collaboration, on in the second
 * JupyterLab of playwright.config.ts): the server writes the agent's cells
 * into the notebook's shared document, so every collaborator sees them
 * live, once, and the room saves the file.
 */
import { expect } from '@jupyterlab/galata';
import type { Browser, Page } from '@playwright/test';

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
import { RTC_PORT } from './ports';

const RTC_URL = `http://127.0.0.1:${RTC_PORT}`;

test.use({ autoGoto: true, baseURL: RTC_URL });

const STREAMING =
  '<execute>\nimport time\nfor i in range(10):\n    print(i, flush=True)\n    time.sleep(0.5)\n</execute>';
const COUNTED = '0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n';

/**
 * A second user (a browser context of their own) with the notebook open,
 * and (unless `panel` is false) the chat panel.
 */
async function collaborator(
  browser: Browser,
  path: string,
  panel = true
): Promise<Page> {
  const context = await browser.newContext({ baseURL: RTC_URL });
  const page = await context.newPage();
  await page.goto(`/lab/tree/${path}?reset`);
  await expect(page.locator('.jp-NotebookPanel')).toBeVisible();
  await page.waitForFunction(() => !!(window as any).jupyterapp);
  if (panel) {
    await openPanel(page);
  }
  return page;
}

async function openPanel(page: Page): Promise<void> {
  await command(page, 'codeact:open');
  await expect(chatPanel(page)).toBeVisible();
}

const outputs = async (page: Page): Promise<string[]> =>
  (await agentCells(page)).map(cell => cell.output);

test('two collaborators: one asks, both see each cell once, live, and a typed edit survives the stream', async ({
  page,
  browser
}) => {
  await script([
    STREAMING,
    '<execute>\nprint("three")\n</execute>',
    '<solution>Counted, then **three**.</solution>'
  ]);
  await notebookWithChat(page, 'together.ipynb');
  const path = await currentPath(page);
  const other = await collaborator(browser, path, false);
  await ask(page, 'Count, then print three.');
  await chatOf(page, path); // the chat exists on the server
  await openPanel(other);
  // The chat is shared: the second user's panel shows the request.
  await expect(entries(other, 'user')).toHaveText('Count, then print three.');
  // Live in the second page, while the cell still runs.
  await expect
    .poll(async () => (await outputs(other))[0] ?? '')
    .toMatch(/^0\n/);
  expect((await outputs(other))[0]).not.toBe(COUNTED);
  // The second user types in their own cell while the agent's streams.
  await other.locator('.jp-Cell').first().locator('.cm-content').click();
  await other.keyboard.type('x = 42');

  await expect(entries(page, 'final')).toContainText('Counted, then three.', {
    timeout: 60_000
  });
  await expect(entries(other, 'final')).toContainText('Counted, then three.');
  for (const each of [page, other]) {
    await expect.poll(() => outputs(each)).toEqual([COUNTED, 'three\n']);
    await expect
      .poll(async () => (await notebookCells(each))[0].source)
      .toBe('x = 42');
  }
  // The room saves the file as it saves any edit: each cell once, and the edit.
  await expect
    .poll(async () => {
      const saved = await onDisk(page, path);
      return [
        saved[0].source,
        ...saved.filter(cell => cell.agent).map(cell => cell.output)
      ];
    })
    .toEqual(['x = 42', COUNTED, 'three\n']);
  await expect(other.locator('.jp-Dialog')).toHaveCount(0);
  await other.context().close();
});

test('every page closed mid-run: the run finishes into the room, and a new page shows each cell once', async ({
  page,
  browser
}) => {
  await script([
    STREAMING,
    '<execute>\nprint("three")\n</execute>',
    '<solution>Done.</solution>'
  ]);
  await notebookWithChat(page, 'alone.ipynb');
  const path = await currentPath(page);
  const other = await collaborator(browser, path, false);
  await ask(page, 'Count, then print three.');
  await expect
    .poll(async () => (await outputs(other))[0] ?? '')
    .toMatch(/^0\n/);
  const chatId = await chatOf(page, path);
  const request = page.context().request;
  await other.context().close();
  await page.close(); // the room would be freed a second later (the test config)

  await expect
    .poll(
      async () =>
        (await (await request.get(`/codeact/chats/${chatId}`)).json()).state,
      { timeout: 60_000 }
    )
    .toBe('done');
  await expect
    .poll(async () =>
      (await onDisk({ request } as Page, path))
        .filter(cell => cell.agent)
        .map(cell => cell.output)
    )
    .toEqual([COUNTED, 'three\n']);

  const again = await collaborator(browser, path);
  await expect.poll(() => outputs(again)).toEqual([COUNTED, 'three\n']);
  await expect(entries(again, 'final')).toContainText('Done.');
  await expect(again.locator('.jp-Dialog')).toHaveCount(0);
  await again.context().close();
});
