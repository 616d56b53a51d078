import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { Signal } from '@lumino/signaling';
import React, { act } from 'react';
import { createRoot, Root } from 'react-dom/client';

import type { ApprovalDecision, IPendingApproval } from '../executor';
import type { ChatManager } from '../manager';
import { ChatModel } from '../model';
import { ComposerModel } from '../panel/composer';
import { ChatView, RulesLine } from '../panel/view';
import { SettingsModel } from '../settings';
import { TrustModel } from '../trust';
import { IChatEntry, IPublicConfig } from '../wire';

(globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;

/** A renderer that shows the markdown source as text. */
const rendermime = {
  latexTypesetter: null,
  createRenderer: () => {
    const node = document.createElement('div');
    return {
      node,
      isDisposed: false,
      dispose: () => undefined,
      renderModel: async (model: any) => {
        node.textContent = model.data['text/markdown'];
      }
    };
  }
} as unknown as IRenderMimeRegistry;

const config: IPublicConfig = {
  model: 'scripted-model',
  base_url: 'http://127.0.0.1:9/v1',
  has_api_key: true,
  configured: true,
  max_turns: 15,
  cell_timeout: 300,
  approval_mode: 'auto',
  problem: null
};

function fakeManager(model: ChatModel, overrides: Partial<IPublicConfig> = {}) {
  const approvals = new Map<string, IPendingApproval>();
  const executor = {
    approvalsChanged: new Signal<unknown, void>({}),
    pendingApproval: (id: string) => approvals.get(id),
    decide: jest.fn((id: string, decision: ApprovalDecision) => {
      approvals.delete(id);
    }),
    reveal: jest.fn(async () => true),
    editPending: jest.fn(async () => undefined)
  };
  const manager = {
    executor,
    view: {
      notebook: { context: { path: 'work/sales.ipynb' } },
      session: { model },
      loading: false
    },
    config: { ...config, ...overrides },
    configError: null,
    changed: new Signal<unknown, void>({}),
    approvalMode: 'auto',
    trust: new TrustModel(),
    send: jest.fn(async () => undefined),
    stop: jest.fn(),
    newChat: jest.fn(async () => undefined),
    cellPosition: () => null,
    history: {
      changed: new Signal<unknown, void>({}),
      chats: () => [],
      refresh: async () => undefined
    },
    models: {
      list: {
        models: [{ id: 'scripted-model', reasoning_effort: false }],
        default: 'scripted-model',
        efforts: [],
        problem: null
      },
      error: null,
      model: 'scripted-model',
      unavailable: null,
      effort: '',
      ready: true,
      takesEffort: () => false
    }
  };
  return { manager, executor, approvals };
}

const chat = {
  id: 'c1',
  path: 'work/sales.ipynb',
  title: 't',
  created: 1,
  updated: 1
};

function withEntries(entries: IChatEntry[], state: any = 'done'): ChatModel {
  const model = new ChatModel();
  model.apply({ type: 'snapshot', chat, entries, state });
  model.connection = 'open';
  return model;
}

describe('ChatView', () => {
  let host: HTMLDivElement;
  let root: Root;

  beforeEach(() => {
    host = document.createElement('div');
    document.body.appendChild(host);
    root = createRoot(host);
  });

  afterEach(() => {
    act(() => root.unmount());
    host.remove();
  });

  const show = async (manager: unknown, composer = new ComposerModel()) => {
    await act(async () => {
      root.render(
        <ChatView
          manager={manager as ChatManager}
          rendermime={rendermime}
          composer={composer}
          settings={new SettingsModel()}
        />
      );
    });
    return composer;
  };

  const button = (label: string) =>
    host.querySelector(`button[aria-label="${label}"]`) as HTMLButtonElement;

  it('offers no automatic runs when the server requires approval', async () => {
    const { manager } = fakeManager(withEntries([]), { approval_mode: 'ask' });
    await show({ ...manager, approvalMode: 'ask', approvalRequired: true });
    const select = host.querySelector(
      'select[aria-label="Approval mode"]'
    ) as HTMLSelectElement;
    expect(select.value).toBe('ask');
    const auto = select.querySelector(
      'option[value="auto"]'
    ) as HTMLOptionElement;
    expect(auto.disabled).toBe(true);
    expect(select.title).toContain("c.CodeAct.approval_mode = 'ask'");
  });

  it('shows the model and, when none is configured, how to set one', async () => {
    const { manager: configured } = fakeManager(withEntries([]));
    await show(configured);
    const picker = host.querySelector(
      'select[aria-label="Model"]'
    ) as HTMLSelectElement;
    expect(picker.value).toBe('scripted-model');
    expect(picker.title).toContain('http://127.0.0.1:9/v1');

    const problem = 'No model is configured: set OPENAI_API_KEY, then restart.';
    const { manager } = fakeManager(withEntries([]), {
      configured: false,
      problem
    });
    await show(manager);
    // No model is claimed that is not set up, and nothing can be sent.
    expect(host.querySelector('.jp-CodeAct-model')!.textContent).toBe(
      'No model set up'
    );
    expect(host.querySelector('select[aria-label="Model"]')).toBeNull();
    expect(host.querySelector('[role="alert"]')!.textContent).toBe(problem);
    expect(button('Send').disabled).toBe(true);
    expect(host.querySelector('.jp-CodeAct-notebook')!.textContent).toBe(
      'sales.ipynb'
    );
  });

  it('says which chat files of the notebook could not be read', async () => {
    const { manager } = fakeManager(withEntries([]));
    const problem =
      'A chat of this notebook could not be read (not valid JSON): its file was moved to /c/x.json.corrupt.';
    (manager.view as any).problems = [problem];
    await show(manager);
    const banner = host.querySelector('.jp-CodeAct-unreadable');
    expect(banner!.textContent).toBe(problem);
    expect(banner!.getAttribute('role')).toBe('alert');
  });

  it('renders each entry with its role, the prose without its action', async () => {
    const model = withEntries([
      { id: 'u', role: 'user', time: 1, text: 'Plot <b>it</b>' },
      {
        id: 'a',
        role: 'assistant',
        time: 2,
        text: 'Loading the data.\n<execute>\nimport pandas\n</execute>'
      },
      {
        id: 'x',
        role: 'action',
        time: 3,
        code: 'import pandas',
        action_id: 'a1',
        request_id: 'r1',
        phase: 'finished',
        cell_id: 'cell-1'
      },
      {
        id: 'o',
        role: 'observation',
        time: 4,
        action_id: 'a1',
        status: 'error',
        outputs: [
          {
            output_type: 'error',
            ename: 'ModuleNotFoundError',
            evalue: "No module named 'pandas'",
            traceback: []
          }
        ],
        execution_count: 3,
        duration_ms: 12.4
      },
      {
        id: 'o2',
        role: 'observation',
        time: 4,
        action_id: 'a2',
        status: 'died',
        outputs: [],
        note: 'The kernel died while running the cell.'
      },
      { id: 'f', role: 'final', time: 5, text: 'Install pandas.' },
      { id: 'e', role: 'error', time: 6, text: 'Stopped.', kind: 'stopped' }
    ]);
    const { manager, executor } = fakeManager(model);
    await show(manager);
    const roles = [...host.querySelectorAll('[data-codeact-role]')].map(node =>
      node.getAttribute('data-codeact-role')
    );
    expect(roles).toEqual([
      'user',
      'assistant',
      'action',
      'observation',
      'observation',
      'final',
      'error'
    ]);
    const role = (name: string) =>
      host.querySelector(`[data-codeact-role="${name}"]`)!;
    expect(role('user').textContent).toBe('Plot <b>it</b>');
    expect(role('user').querySelector('b')).toBeNull();
    expect(role('assistant').textContent).toBe('Loading the data.');
    expect(role('action').textContent).toContain('import pandas');
    expect(role('action').textContent).toContain('Error');
    expect(role('observation').textContent).toContain(
      "ModuleNotFoundError: No module named 'pandas'"
    );
    expect(role('observation').textContent).toContain('[3] · 12 ms');
    // A status with no output to show says what happened.
    const died = host.querySelectorAll('[data-codeact-role="observation"]')[1];
    expect(died.textContent).toBe(
      'Kernel diedThe kernel died while running the cell.'
    );
    (
      role('action').querySelector('.jp-CodeAct-cellLink') as HTMLElement
    ).click();
    expect(executor.reveal).toHaveBeenCalledWith('work/sales.ipynb', 'cell-1');
  });

  it('shows reasoning live, then folded under how long it took', async () => {
    const model = withEntries(
      [
        { id: 'u', role: 'user', time: 1, text: 'Count them' },
        {
          id: 't',
          role: 'thinking',
          time: 2,
          text: 'Maybe <execute>rm()</execute>?',
          streaming: true
        }
      ],
      'thinking'
    );
    const { manager } = fakeManager(model);
    await show(manager);
    const entry = () => host.querySelector('[data-codeact-role="thinking"]')!;
    const toggle = () =>
      entry().querySelector('.jp-CodeAct-thinkingToggle') as HTMLButtonElement;
    const reasoning = () => entry().querySelector('[aria-label="Reasoning"]');
    // Changes close together render once, at the end of a short interval.
    const until = (condition: () => boolean) =>
      act(async () => {
        for (let i = 0; i < 200 && !condition(); i++) {
          await new Promise(resolve => setTimeout(resolve, 5));
        }
      });
    expect(toggle().textContent).toBe('Thinking…');
    // Model text, shown as text: never parsed as markup.
    expect(reasoning()!.textContent).toBe('Maybe <execute>rm()</execute>?');
    expect(reasoning()!.querySelector('execute')).toBeNull();

    await act(async () => {
      model.apply({ type: 'delta', id: 't', text: ' No.' });
    });
    await until(() => reasoning()!.textContent!.endsWith('No.'));
    expect(reasoning()!.textContent).toBe('Maybe <execute>rm()</execute>? No.');
    await act(async () => {
      model.apply({
        type: 'entry',
        entry: {
          id: 't',
          role: 'thinking',
          time: 2,
          text: 'Maybe <execute>rm()</execute>? No.',
          streaming: false,
          duration_ms: 3400
        }
      });
    });
    await until(() => toggle().textContent !== 'Thinking…');
    expect(toggle().textContent).toBe('Thought for 3 s');
    expect(toggle().getAttribute('aria-expanded')).toBe('false');
    expect(reasoning()).toBeNull();
    await act(async () => toggle().click());
    expect(toggle().getAttribute('aria-expanded')).toBe('true');
    expect(reasoning()!.textContent).toContain('No.');
  });

  it('shows the code of a tool call as it streams, and condensed steps', async () => {
    const model = withEntries(
      [
        { id: 'u', role: 'user', time: 1, text: 'Count them' },
        {
          id: 'n',
          role: 'condensed',
          time: 2,
          turn: 1,
          text: 'Older steps were condensed for the model.'
        },
        {
          id: 'a',
          role: 'assistant',
          time: 3,
          text: 'Counting.',
          code: 'len(',
          streaming: true
        }
      ],
      'thinking'
    );
    const { manager } = fakeManager(model);
    await show(manager);
    const draft = () =>
      host.querySelector('[aria-label="Code being written"]')?.textContent;
    expect(draft()).toBe('len(');
    await act(async () => {
      model.apply({ type: 'delta', id: 'a', text: 'rows)', field: 'code' });
    });
    // Changes close together render once, at the end of a short interval.
    await act(async () => {
      for (let i = 0; i < 200 && draft() !== 'len(rows)'; i++) {
        await new Promise(resolve => setTimeout(resolve, 5));
      }
    });
    expect(draft()).toBe('len(rows)');
    const note = host.querySelector('[data-codeact-role="condensed"]')!;
    expect(note.textContent).toBe('Older steps were condensed for the model.');
    expect(note.querySelector('[role="note"]')).not.toBeNull();
  });

  it('hides blank reasoning and shows the prose the server read', async () => {
    const model = withEntries([
      { id: 't', role: 'thinking', time: 1, text: '\n\n', streaming: false },
      {
        id: 'a',
        role: 'assistant',
        time: 2,
        text: 'The file:\n```\nrow one\n```',
        prose: 'The file:\n```\nrow one\n```'
      }
    ]);
    const { manager } = fakeManager(model);
    await show(manager);
    expect(host.querySelector('[data-codeact-role="thinking"]')).toBeNull();
    expect(
      host.querySelector('[data-codeact-role="assistant"]')!.textContent
    ).toBe('The file:\n```\nrow one\n```');
  });

  it('sends on Enter, adds a line on Shift+Enter', async () => {
    const { manager } = fakeManager(withEntries([]));
    const composer = await show(manager);
    const input = host.querySelector(
      'textarea[aria-label="Message CodeAct"]'
    ) as HTMLTextAreaElement;
    await act(async () => {
      composer.value = 'first line';
    });
    const key = (shiftKey: boolean) =>
      act(async () => {
        input.dispatchEvent(
          new KeyboardEvent('keydown', {
            key: 'Enter',
            shiftKey,
            bubbles: true
          })
        );
      });
    await key(true);
    expect(manager.send).not.toHaveBeenCalled();
    await key(false);
    expect(manager.send).toHaveBeenCalledWith('first line');
    expect(composer.value).toBe('');
    expect(button('Send').disabled).toBe(true);
  });

  it('offers Stop while the agent works', async () => {
    const model = withEntries([], 'running');
    const { manager } = fakeManager(model);
    await show(manager);
    expect(button('Send')).toBeNull();
    expect(host.querySelector('[role="status"]')!.textContent).toBe(
      'Running cell…'
    );
    await act(async () => button('Stop').click());
    expect(manager.stop).toHaveBeenCalled();
  });

  it('asks before running: the edited code is what runs', async () => {
    const model = withEntries(
      [
        {
          id: 'x',
          role: 'action',
          time: 1,
          code: 'print(1)',
          action_id: 'a1',
          request_id: 'r1',
          phase: 'waiting_approval'
        }
      ],
      'waiting_approval'
    );
    const { manager, executor, approvals } = fakeManager(model);
    approvals.set('r1', {
      requestId: 'r1',
      code: 'print(1)',
      path: 'p',
      kind: 'run'
    });
    await show(manager);
    const byText = (text: string) =>
      [...host.querySelectorAll('button')].find(b => b.textContent === text)!;
    expect(byText('Run')).toBeDefined();
    expect(byText('Skip')).toBeDefined();
    await act(async () => byText('Edit').click());
    const editor = host.querySelector(
      'textarea[aria-label="Code to run"]'
    ) as HTMLTextAreaElement;
    await act(async () => {
      const setter = Object.getOwnPropertyDescriptor(
        HTMLTextAreaElement.prototype,
        'value'
      )!.set!;
      setter.call(editor, 'print(2)');
      editor.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await act(async () => byText('Run').click());
    expect(executor.decide).toHaveBeenCalledWith('r1', {
      run: true,
      code: 'print(2)'
    });
  });
  it('edits an approval that waits in the notebook in the cell itself', async () => {
    const model = withEntries(
      [
        {
          id: 'x',
          role: 'action',
          time: 1,
          code: 'print(1)',
          action_id: 'a1',
          request_id: 'r1',
          phase: 'waiting_approval'
        }
      ],
      'waiting_approval'
    );
    const { manager, executor, approvals } = fakeManager(model);
    approvals.set('r1', {
      requestId: 'r1',
      code: 'print(1)',
      path: 'p',
      kind: 'run',
      cellId: 'cell-9'
    });
    await show(manager);
    const byText = (text: string) =>
      [...host.querySelectorAll('button')].find(b => b.textContent === text)!;
    await act(async () => byText('Edit').click());
    expect(executor.editPending).toHaveBeenCalledWith('r1');
    // No box of its own: the cell's editor is the one.
    expect(host.querySelector('textarea[aria-label="Code to run"]')).toBeNull();
    expect(host.textContent).toContain('Waiting in the notebook');
  });
});

describe('RulesLine', () => {
  let container: HTMLDivElement;
  let root: Root;

  beforeEach(() => {
    container = document.createElement('div');
    document.body.appendChild(container);
    root = createRoot(container);
  });

  afterEach(() => {
    act(() => root.unmount());
    container.remove();
  });

  it('names the rules, with every file on hover', () => {
    act(() =>
      root.render(
        <RulesLine
          files={[
            'c.CodeAct.instructions',
            'AGENTS.md',
            'project/sub/AGENTS.md'
          ]}
        />
      )
    );
    const line = container.querySelector('.jp-CodeAct-rules')!;
    expect(line.textContent).toBe('Rules: instructions, AGENTS.md');
    expect(line.getAttribute('title')).toBe(
      'The agent follows these rules:\nc.CodeAct.instructions\nAGENTS.md\nproject/sub/AGENTS.md'
    );
  });

  it('shows nothing when no rule applies', () => {
    act(() => root.render(<RulesLine files={[]} />));
    expect(container.querySelector('.jp-CodeAct-rules')).toBeNull();
  });
});
