/**
 * The panel's header and keyboard: the chat history (New chat keeps the
 * earlier chat; reopen, rename, export, delete), the model picker (the
 * endpoint's /v1/models, the pick kept across reloads and sent), focus and
 * Escape, and an accessible name on every control.
 */
import * as fs from 'fs';

import {
  expect,
  IJupyterLabPageFixture,
  JupyterLabPage
} from '@jupyterlab/galata';
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
  script,
  serveModels,
  setSetting,
  stateLine,
  userCells
} from './helpers';

test.use({ autoGoto: true });

/** Reload once the notebook's kernel session follows its name (chat.spec.ts). */
async function reload(page: Page, notebook: string): Promise<void> {
  await expect
    .poll(() =>
      page.evaluate(async name => {
        const sessions = (window as any).jupyterapp.serviceManager.sessions;
        await sessions.refreshRunning();
        return [...sessions.running()].some((s: any) => s.path.endsWith(name));
      }, `/${notebook}`)
    )
    .toBe(true);
  await (page as unknown as JupyterLabPage).reload({ waitForIsReady: false });
  await expect(page.locator('.jp-NotebookPanel')).toBeVisible();
  // The sidebar may not have been saved open yet (chat.spec.ts waits).
  await command(page, 'codeact:open');
  await expect(chatPanel(page)).toBeVisible();
  await expect(chatPanel(page).locator('.jp-CodeAct-notebook')).toHaveText(
    notebook
  );
}

test('chat history: New chat keeps the earlier chat, across a reload, to reopen, rename, export and delete', async ({
  page
}) => {
  await script([
    '<solution>Revenue was $32,000.</solution>',
    '<solution>Costs were $21,000.</solution>'
  ]);
  await notebookWithChat(page, 'history.ipynb');
  const panel = chatPanel(page);
  await ask(page, 'What was the revenue?');
  await expect(entries(page, 'final')).toContainText('$32,000');
  await panel.getByRole('button', { name: 'New chat' }).click();
  await expect(panel.locator('.jp-CodeAct-empty')).toBeVisible();
  await ask(page, 'What were the costs?');
  await expect(entries(page, 'final')).toContainText('$21,000');

  await reload(page, 'history.ipynb');
  // The newest chat is shown; the earlier one is listed, by title and date.
  await expect(entries(page, 'final')).toContainText('$21,000');
  await panel.getByRole('button', { name: 'Chat history' }).click();
  const history = panel.getByRole('region', { name: 'Chat history' });
  const open = history.locator('.jp-CodeAct-historyOpen');
  await expect(open).toHaveCount(2);
  await expect(open.nth(0)).toContainText('What were the costs?');
  await expect(open.nth(1)).toContainText('What was the revenue?');
  await expect(open.nth(1)).toContainText(/Today \d/);
  await expect(open.nth(0)).toHaveAttribute('aria-current', 'true');
  await open.nth(1).click();
  await expect(entries(page, 'final')).toContainText('$32,000');
  await expect(entries(page, 'user')).toHaveText('What was the revenue?');

  // Rename.
  await panel.getByRole('button', { name: 'Chat history' }).click();
  await history
    .getByRole('button', { name: 'Rename chat “What was the revenue?”' })
    .click();
  const dialog = page.locator('.jp-Dialog');
  await dialog.locator('input').fill('Revenue 2024');
  await dialog.getByRole('button', { name: 'Rename' }).click();
  await expect(open.nth(1)).toContainText('Revenue 2024');

  // Export, as Markdown.
  const download = page.waitForEvent('download');
  await history
    .getByRole('button', { name: 'Export chat “Revenue 2024” as Markdown' })
    .click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('Revenue 2024.md');
  const exported = fs.readFileSync(await file.path(), 'utf8');
  expect(exported).toContain('# Revenue 2024');
  expect(exported).toContain('**Answer:**\n\nRevenue was $32,000.');

  // Delete, after confirming; a cancelled delete keeps the chat.
  const remove = history.getByRole('button', {
    name: 'Delete chat “Revenue 2024”'
  });
  await remove.click();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(open).toHaveCount(2);
  await remove.click();
  await expect(dialog).toContainText('The cells it wrote stay in the notebook');
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await expect(open).toHaveCount(1);
  await expect(open.nth(0)).toContainText('What were the costs?');
});

test('model picker: the endpoint’s models, the pick kept per user across a reload and used', async ({
  page
}) => {
  await script(['<solution>picked</solution>']);
  await serveModels([
    'scripted-model',
    { id: 'gpt-5-mini', supported_parameters: ['reasoning_effort'] },
    'llama3.1:8b'
  ]);
  await notebookWithChat(page, 'models.ipynb');
  try {
    await pickAndUse(page);
  } finally {
    await setSetting(page, 'model', null);
    await setSetting(page, 'reasoningEffort', null);
  }
});

async function pickAndUse(page: Page): Promise<void> {
  const panel = chatPanel(page);
  // The page read the list when it loaded: read it again as a new page.
  await reload(page, 'models.ipynb');
  const picker = panel.getByRole('combobox', { name: 'Model' });
  await expect(picker.locator('option')).toHaveText([
    'gpt-5-mini',
    'llama3.1:8b',
    'scripted-model (server default)'
  ]);
  await expect(panel.getByLabel('Reasoning effort')).toHaveCount(0);
  await picker.selectOption('gpt-5-mini');
  const effort = panel.getByRole('combobox', { name: 'Reasoning effort' });
  await effort.selectOption('low');

  await reload(page, 'models.ipynb');
  await expect(picker).toHaveValue('gpt-5-mini');
  await expect(effort).toHaveValue('low');
  await ask(page, 'Which model answers?');
  await expect(entries(page, 'final')).toContainText('picked');
  const [request] = await llmRequests();
  expect(request.body).toMatchObject({
    model: 'gpt-5-mini',
    reasoning_effort: 'low'
  });
}

test.describe('keyboard', () => {
  // Stop may interrupt the kernel, which Galata's kernel tracking cannot
  // proxy (chat.spec.ts): leave the kernels API alone.
  test.use({ kernels: null });

  test('focus returns to the input after Run and Skip, Escape stops or clears, every control is named', async ({
    page
  }) => {
    await keyboard(page);
  });

  test('focus returns to the input after Reject and Accept of a change to the user’s cell', async ({
    page
  }) => {
    const fix = 'ratio = sum(values) / len(values)';
    const proposal = {
      content: `<execute replace="{cell}">\n${fix}\n</execute>`,
      quote: { cell: 'replace="(u[0-9a-f]+)"' }
    };
    await script([
      proposal,
      '<solution>Kept your version.</solution>',
      proposal,
      '<solution>Fixed.</solution>'
    ]);
    await notebookWithChat(page, 'decide.ipynb');
    // The replies are in tags, whatever the endpoint was found to take.
    await setSetting(page, 'actionStyle', 'tags');
    try {
      await userCells(page, ['values = [1, 2, 3]', 'ratio = sum(values) / 0']);
      await rejectThenAccept(page);
      expect((await notebookCells(page))[1].source).toBe(fix);
    } finally {
      await setSetting(page, 'actionStyle', null);
    }
  });
});

async function keyboard(page: IJupyterLabPageFixture): Promise<void> {
  await script([
    '<execute>\nprint("first")\n</execute>',
    '<execute>\nprint("second")\n</execute>',
    { content: 'A long reply '.repeat(40), chunk_size: 4, chunk_delay: 0.1 }
  ]);
  await notebookWithChat(page, 'keys.ipynb');
  const panel = chatPanel(page);
  const input = page.getByLabel('Message CodeAct');
  await panel.getByLabel('Approval mode').selectOption('ask');
  await ask(page, 'Print two words.');
  await expect(stateLine(page)).toContainText('Waiting for you');
  await panel.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(input).toBeFocused();
  await expect(entries(page, 'action').nth(1)).toContainText('Waiting for you');
  await panel.getByRole('button', { name: 'Skip', exact: true }).click();
  await expect(input).toBeFocused();
  await panel.getByLabel('Approval mode').selectOption('auto');

  // Escape while the reply streams stops it.
  await expect(panel.getByRole('button', { name: 'Stop' })).toBeVisible();
  await input.focus();
  await input.press('Escape');
  await expect(stateLine(page)).toContainText('Stopped');
  // Escape with no reply going on clears the draft.
  await input.fill('a draft');
  await input.press('Escape');
  await expect(input).toHaveValue('');

  // Every control has an accessible name, in the chat and in its history.
  for (const view of ['chat', 'history']) {
    if (view === 'history') {
      await panel.getByRole('button', { name: 'Chat history' }).click();
    }
    const controls = panel.locator(
      'button, select, textarea, input, [role="button"]'
    );
    const count = await controls.count();
    expect(count).toBeGreaterThan(6);
    for (let i = 0; i < count; i++) {
      await expect(controls.nth(i)).toHaveAccessibleName(/\S/);
    }
  }
}

async function rejectThenAccept(page: IJupyterLabPageFixture): Promise<void> {
  const input = page.getByLabel('Message CodeAct');
  for (const [button, answer] of [
    ['Reject', 'Kept your version.'],
    ['Accept', 'Fixed.']
  ]) {
    await page.notebook.selectCells(1);
    await command(page, 'codeact:fix-cell-error');
    const decide = entries(page, 'action')
      .last()
      .getByRole('button', { name: button, exact: true });
    await expect(decide).toBeVisible();
    await decide.focus();
    await decide.press('Enter');
    await expect(input).toBeFocused();
    await expect(entries(page, 'final').last()).toContainText(answer);
  }
}
