/**
 * Project trust in the panel: a project's `.jupyter/mcp.json` is shown in a
 * prompt (its commands and URLs as text), and its server runs only once the
 * user presses Trust.
 */
import * as path from 'path';

import { expect } from '@jupyterlab/galata';
import type { APIRequestContext } from '@playwright/test';

import { test } from './fixtures';
import { ask, chatPanel, entries, notebookWithChat, script } from './helpers';

test.use({ autoGoto: true });

// The Python of the servers the tests start (playwright.config.ts), and a
// real MCP server of the Python tests.
const python =
  process.env.CODEACT_PYTHON ?? path.resolve(__dirname, '../../.venv/bin/python');
const server = path.resolve(__dirname, '../../tests/mcp/pricing_server.py');

const IMG =
  '<img src=x onerror="window.__codeactXss=(window.__codeactXss||0)+1">';

async function put(
  request: APIRequestContext,
  path: string,
  body: Record<string, unknown>
): Promise<void> {
  const response = await request.put(`/api/contents/${path}`, { data: body });
  expect(response.ok()).toBe(true);
}

test('a project mcp.json runs nothing until the user trusts it', async ({
  page,
  request
}) => {
  test.setTimeout(180_000);
  const servers = {
    projectshop: {
      command: python,
      args: [server],
      env: { PRICING_TOKEN: 'tok-project-4d3c2b1a' }
    },
    // Shown in the prompt, never started: its "command" is markup.
    shown: { command: IMG, disabled: true }
  };
  await put(request, '.jupyter', { type: 'directory' });
  await put(request, '.jupyter/mcp.json', {
    type: 'file',
    format: 'text',
    content: JSON.stringify({ mcpServers: servers })
  });
  try {
    await notebookWithChat(page, 'trust.ipynb');
    const prompt = chatPanel(page).getByRole('alertdialog', {
      name: "Trust this project's files?"
    });
    await expect(prompt).toContainText('.jupyter/mcp.json');
    await expect(prompt).toContainText(`projectshop runs ${python}`);
    await expect(prompt).toContainText(`shown (disabled) runs '${IMG}'`);
    expect(await prompt.locator('img').count()).toBe(0);

    // Not now: the request runs without it, and the chat says why.
    await prompt.getByRole('button', { name: 'Not now' }).click();
    const folded = chatPanel(page).locator('.jp-CodeAct-trust.jp-mod-folded');
    await expect(folded).toContainText(
      'Not trusted, so not used: .jupyter/mcp.json.'
    );
    await script([
      '<execute>\nprint(projectshop.list_skus())\n</execute>',
      '<solution>not there</solution>'
    ]);
    await ask(page, 'List the SKUs.');
    await expect(entries(page, 'final')).toContainText('not there');
    await expect(entries(page, 'observation')).toContainText('NameError');
    await expect(entries(page, 'error')).toContainText(
      'Not used, because you have not trusted them: .jupyter/mcp.json'
    );

    // Trust: the next request has its tools.
    await folded.getByRole('button', { name: 'Review' }).click();
    await prompt.getByRole('button', { name: 'Trust' }).click();
    await expect(prompt).toHaveCount(0);
    await expect(folded).toHaveCount(0);
    await script([
      '<execute>\nprint(projectshop.list_skus())\n</execute>',
      '<solution>there</solution>'
    ]);
    await ask(page, 'List the SKUs again.');
    await expect(entries(page, 'final').last()).toContainText('there');
    await expect(entries(page, 'observation').last()).toContainText(
      "['A1', 'B2', 'C3']"
    );
    expect(
      await page.evaluate(() => (window as any).__codeactXss)
    ).toBeUndefined();
  } finally {
    await request.delete('/api/contents/.jupyter/mcp.json');
    await request.delete('/api/contents/.jupyter');
  }
});
