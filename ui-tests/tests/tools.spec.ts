/**
 * Tools in the browser: the agent's cell calls a real MCP server's tools
 * (tests/mcp/pricing_server.py, configured in jupyter_server_test_config.py)
 * from the notebook's own kernel; the MCP client runs in the Jupyter server,
 * and the page relays the kernel's calls. The project's AGENTS.md applies,
 * once trusted.
 */
import { expect } from '@jupyterlab/galata';

import { test } from './fixtures';
import {
  agentCells,
  ask,
  chatPanel,
  entries,
  llmRequests,
  notebookWithChat,
  requestText,
  script
} from './helpers';

/** The servers' keys (jupyter_server_test_config.py): never to be seen here. */
const SECRETS = ['tok-ui-7f6e5d4c3b2a1908', 'hdr-ui-0a9b8c7d6e5f4031'];

test.use({ autoGoto: true });

test('an action composes MCP tools in the notebook kernel; AGENTS.md applies', async ({
  page
}) => {
  await script([
    '<execute>\nprice = pricing.lookup_price("A1")\nunits = pricing.in_stock(sku="A1")\nprint(price["unit_price"] * units)\nprint(shop.list_skus())\n</execute>',
    '<execute>\npricing.lookup_price("Z9")\n</execute>',
    // `new`: keep the failed cell (a fix would replace it), to look at its error.
    '<execute new>\nprint(pricing.whoami())\n</execute>',
    '<solution>The A1 stock is worth 300 EUR.</solution>'
  ]);
  await page.contents.createDirectory('shop');
  await page.contents.uploadContent(
    'Quote every price in euros.\n',
    'text',
    'shop/AGENTS.md'
  );
  await page.filebrowser.openDirectory('shop');
  await notebookWithChat(page, 'tools.ipynb');

  // The project's rules wait for the user's trust, shown before their first use.
  const prompt = chatPanel(page).getByRole('alertdialog', {
    name: "Trust this project's files?"
  });
  await expect(prompt).toContainText('shop/AGENTS.md');
  await expect(prompt).toContainText('Quote every price in euros.');
  await prompt.getByRole('button', { name: 'Trust' }).click();
  await expect(prompt).toHaveCount(0);

  // Which rules apply, with the files on hover.
  const rules = chatPanel(page).locator('.jp-CodeAct-rules');
  await expect(rules).toHaveText('Rules: AGENTS.md');
  await expect(rules).toHaveAttribute('title', /shop\/AGENTS\.md/);

  await ask(page, 'What is the A1 stock worth?');
  await expect(entries(page, 'final')).toContainText('300 EUR');

  const cells = await agentCells(page);
  expect(cells.map(cell => cell.output)).toEqual([
    "300.0\n['A1', 'B2', 'C3']\n",
    expect.stringMatching(/ToolError: pricing\.lookup_price: .*unknown SKU 'Z9'/),
    'demo account, token [redacted]\n'
  ]);
  // The calls went through the page, not to the user: no input box.
  await expect(page.locator('.jp-Notebook .jp-Stdin')).toHaveCount(0);

  const requests = await llmRequests();
  const system = requestText(requests[0]);
  expect(system).toContain(
    '- pricing.lookup_price(sku: str, quantity: int = 1) -> dict'
  );
  expect(system).toContain('Quote every price in euros.');
  expect(requestText(requests[2])).toContain("unknown SKU 'Z9'");

  // The server's key is nowhere the page, the notebook or the model can see.
  const notebook = await page.evaluate(() =>
    JSON.stringify(
      (window as any).jupyterapp.shell.currentWidget.content.model.toJSON()
    )
  );
  const panel = await chatPanel(page).innerText();
  for (const secret of SECRETS) {
    expect(notebook).not.toContain(secret);
    expect(panel).not.toContain(secret);
    for (const request of requests) {
      expect(JSON.stringify(request.body)).not.toContain(secret);
    }
  }
});
