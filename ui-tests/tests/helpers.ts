/**
 * Helpers of the browser tests: drive the scripted LLM over its control
 * API, open the chat, ask, and read what the panel shows.
 */
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { expect, Locator, Page } from '@playwright/test';

import { LLM_PORT } from './ports';

const CONTROL = `http://127.0.0.1:${LLM_PORT}/_control`;

/** One scripted reply: a string, or the fields of `Reply` (scripted_llm.py). */
export type ScriptedReply =
  | string
  | {
      content?: string;
      status?: number;
      error_message?: string;
      chunk_delay?: number;
      chunk_size?: number;
      delay?: number;
      reasoning?: string;
      reasoning_field?: 'reasoning_content' | 'reasoning';
      /** Native tool calls, streamed after the content. */
      tool_calls?: { name: string; arguments: Record<string, unknown> }[];
      /** Fill `{name}` in `content` with the first group of this regex, in the request. */
      quote?: Record<string, string>;
    };

export interface IRecordedRequest {
  index: number;
  body: {
    messages: { role: string; content: unknown; tool_call_id?: string }[];
    tools?: { function: { name: string } }[];
  };
  received_at: number;
  chunk_times: number[];
}

async function control(pathname: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${CONTROL}/${pathname}`, {
    method: body === undefined ? 'GET' : 'POST',
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' }
  });
  expect(response.ok).toBe(true);
  return response.json();
}

/** Forget earlier requests and give the LLM the replies of this test. */
export async function script(replies: ScriptedReply[]): Promise<void> {
  await control('reset', {});
  await control('script', { replies });
}

/**
 * The models the scripted endpoint lists in its /v1/models (names, or
 * entries with more fields); the next `script` restores its one model.
 */
export async function serveModels(
  models: (string | Record<string, unknown>)[]
): Promise<void> {
  await control('script', { append: true, models });
}

/** The completion requests the LLM received, in order. */
export async function llmRequests(): Promise<IRecordedRequest[]> {
  return (await control('requests')) as IRecordedRequest[];
}

/** The text of every message of a recorded request, joined. */
export function requestText(request: IRecordedRequest): string {
  return request.body.messages
    .map(message =>
      typeof message.content === 'string'
        ? message.content
        : JSON.stringify(message.content)
    )
    .join('\n');
}

/** The chat panel. */
export function chatPanel(page: Page): Locator {
  return page.locator('#jp-codeact-chat');
}

/** Entries of a role in the chat panel. */
export function entries(page: Page, role: string): Locator {
  return chatPanel(page).locator(`[data-codeact-role="${role}"]`);
}

/** Run a JupyterLab command in the page. */
export async function command(
  page: Page,
  id: string,
  args: Record<string, unknown> = {}
): Promise<void> {
  await page.evaluate(
    async ({ id, args }) => {
      await (window as any).jupyterapp.commands.execute(id, args);
    },
    { id, args }
  );
}

/**
 * Create a notebook with a Python kernel, wait for the kernel, and open
 * the chat next to it (its chat list loaded).
 */
export async function notebookWithChat(
  page: IJupyterLabPageFixture,
  name: string
): Promise<void> {
  await page.notebook.createNew(name);
  await page.waitForSelector(
    '.jp-Notebook-ExecutionIndicator[data-status="idle"]'
  );
  await command(page, 'codeact:open');
  await expect(chatPanel(page)).toBeVisible();
  await expect(chatPanel(page).locator('.jp-CodeAct-notebook')).toHaveText(
    name
  );
  await expect(chatPanel(page).locator('.jp-CodeAct-empty')).toContainText(
    'Ask for something'
  );
}

/** Type a message and send it with Enter. */
export async function ask(page: Page, text: string): Promise<void> {
  const input = page.getByLabel('Message CodeAct');
  await input.fill(text);
  await input.press('Enter');
}

/** The chat's state line. */
export function stateLine(page: Page): Locator {
  return chatPanel(page).locator('.jp-CodeAct-status');
}

/** Every cell of the current notebook: type, source, output text, provenance. */
export async function notebookCells(page: Page): Promise<
  {
    type: string;
    source: string;
    output: string;
    executionCount: number | null;
    errors: number;
    codeact: Record<string, any> | null;
  }[]
> {
  return page.evaluate(() => {
    const panel = (window as any).jupyterapp.shell.currentWidget;
    const cells = panel.content.model.cells;
    const found = [];
    for (let i = 0; i < cells.length; i++) {
      const cell = cells.get(i);
      const outputs = cell.type === 'code' ? cell.outputs.toJSON() : [];
      found.push({
        type: cell.type,
        source: cell.sharedModel.getSource(),
        output: outputs
          .map((o: any) =>
            o.output_type === 'stream'
              ? o.text
              : o.output_type === 'error'
                ? `${o.ename}: ${o.evalue}`
                : (o.data?.['text/plain'] ?? '')
          )
          .join(''),
        executionCount: cell.type === 'code' ? cell.executionCount : null,
        errors: outputs.filter((o: any) => o.output_type === 'error').length,
        codeact: cell.getMetadata('codeact') ?? null
      });
    }
    return found;
  });
}

/**
 * Make the current notebook hold exactly these code cells of the user's
 * (through the shared model, faster than typing), and run them all.
 */
export async function userCells(page: Page, sources: string[]): Promise<void> {
  await page.evaluate(async sources => {
    const app = (window as any).jupyterapp;
    const panel = app.shell.currentWidget;
    const shared = panel.content.model.sharedModel;
    shared.transact(() => {
      shared.deleteCellRange(0, shared.cells.length);
      shared.insertCells(
        0,
        sources.map(source => ({ cell_type: 'code', source }))
      );
    });
    panel.content.activeCellIndex = sources.length - 1;
    await app.commands.execute('notebook:run-all-cells');
  }, sources);
  await expect
    .poll(async () =>
      (await notebookCells(page)).every(cell => cell.executionCount !== null)
    )
    .toBe(true);
}

/** The cells the agent wrote in the current notebook: source and output text. */
export async function agentCells(
  page: Page
): Promise<{ source: string; output: string; requestId: string }[]> {
  return page.evaluate(() => {
    const app = (window as any).jupyterapp;
    const panel = app.shell.currentWidget;
    const cells = panel.content.model.cells;
    const found = [];
    for (let i = 0; i < cells.length; i++) {
      const cell = cells.get(i);
      const provenance = cell.getMetadata('codeact');
      if (!provenance) {
        continue;
      }
      const outputs = cell.outputs.toJSON();
      const output = outputs
        .map((o: any) =>
          o.output_type === 'stream'
            ? o.text
            : o.output_type === 'error'
              ? `${o.ename}: ${o.evalue}`
              : (o.data?.['text/plain'] ?? '')
        )
        .join('');
      found.push({
        source: cell.sharedModel.getSource(),
        output,
        requestId: provenance.request_id
      });
    }
    return found;
  });
}

/**
 * Set (or, with null, remove) one of the CodeAct settings, as the settings
 * editor would.
 */
export async function setSetting(
  page: Page,
  key: string,
  value: unknown
): Promise<void> {
  await page.evaluate(
    async ({ key, value }) => {
      const registry = await (window as any).galata.getPlugin(
        '@jupyterlab/apputils-extension:settings'
      );
      if (value === null) {
        await registry.remove('jupyter-codeact:plugin', key);
      } else {
        await registry.set('jupyter-codeact:plugin', key, value);
      }
    },
    { key, value }
  );
}

/** The path of the notebook shown in the main area. */
export async function currentPath(page: Page): Promise<string> {
  return page.evaluate(
    () => (window as any).jupyterapp.shell.currentWidget.context.path
  );
}

/** The chat of notebook `path`, once the server has it. */
export async function chatOf(page: Page, path: string): Promise<string> {
  const list = async (): Promise<any[]> =>
    (
      await (
        await page.request.get(`/codeact/chats?path=${encodeURIComponent(path)}`)
      ).json()
    ).chats;
  await expect.poll(async () => (await list()).length).toBe(1);
  return (await list())[0].id;
}

/**
 * The notebook file's JSON. jupyter_server saves a file in place (with a
 * backup copy aside), so a read during a save can find it empty or cut:
 * such a read is tried again until the file parses.
 */
export async function readNotebook(page: Page, path: string): Promise<any> {
  let content: any = null;
  await expect
    .poll(async () => {
      const response = await page.request.get(
        `/api/contents/${encodeURIComponent(path).replace(/%2F/g, '/')}?content=1`
      );
      content = response.ok() ? (await response.json()).content : null;
      return content !== null;
    })
    .toBe(true);
  return content;
}

/** The notebook as its file holds it: each cell's source, output and owner. */
export async function onDisk(
  page: Page,
  path: string
): Promise<{ source: string; output: string; agent: boolean }[]> {
  const text = (value: unknown): string =>
    Array.isArray(value) ? value.join('') : String(value ?? '');
  return (await readNotebook(page, path)).cells.map((cell: any) => ({
    source: text(cell.source),
    output: (cell.outputs ?? [])
      .map((o: any) => text(o.text ?? o.data?.['text/plain']))
      .join(''),
    agent: !!cell.metadata?.codeact
  }));
}
