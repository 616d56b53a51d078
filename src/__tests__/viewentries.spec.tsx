import { act } from 'react';

import { chatViewHarness, fakeManager, withEntries } from './viewfakes';

describe('ChatView entries', () => {
  const view = chatViewHarness();

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
    await view.show(manager);
    const roles = [...view.host.querySelectorAll('[data-codeact-role]')].map(
      node => node.getAttribute('data-codeact-role')
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
      view.host.querySelector(`[data-codeact-role="${name}"]`)!;
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
    const died = view.host.querySelectorAll(
      '[data-codeact-role="observation"]'
    )[1];
    expect(died.textContent).toBe(
      'Kernel diedThe kernel died while running the cell.'
    );
    (
      role('action').querySelector('.jp-CodeAct-cellLink') as HTMLElement
    ).click();
    expect(executor.reveal).toHaveBeenCalledWith('work/sales.ipynb', 'cell-1');
  });

  it('shows reasoning live, then folded under how long it took', async () => {
    jest.useFakeTimers();
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
    await view.show(manager);
    const entry = () =>
      view.host.querySelector('[data-codeact-role="thinking"]')!;
    const toggle = () =>
      entry().querySelector('.jp-CodeAct-thinkingToggle') as HTMLButtonElement;
    const reasoning = () => entry().querySelector('[aria-label="Reasoning"]');
    expect(toggle().textContent).toBe('Thinking…');
    // Model text, shown as text: never parsed as markup.
    expect(reasoning()!.textContent).toBe('Maybe <execute>rm()</execute>?');
    expect(reasoning()!.querySelector('execute')).toBeNull();

    await act(async () => {
      model.apply({ type: 'delta', id: 't', text: ' No.' });
    });
    // Changes close together render once, at the end of a short interval.
    await view.nextRender();
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
    await view.nextRender();
    expect(toggle().textContent).toBe('Thought for 3 s');
    expect(toggle().getAttribute('aria-expanded')).toBe('false');
    expect(reasoning()).toBeNull();
    await act(async () => toggle().click());
    expect(toggle().getAttribute('aria-expanded')).toBe('true');
    expect(reasoning()!.textContent).toContain('No.');
  });

  it('shows the code of a tool call as it streams, and condensed steps', async () => {
    jest.useFakeTimers();
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
    await view.show(manager);
    const draft = () =>
      view.host.querySelector('[aria-label="Code being written"]')?.textContent;
    expect(draft()).toBe('len(');
    await act(async () => {
      model.apply({ type: 'delta', id: 'a', text: 'rows)', field: 'code' });
    });
    // Changes close together render once, at the end of a short interval.
    await view.nextRender();
    expect(draft()).toBe('len(rows)');
    const note = view.host.querySelector('[data-codeact-role="condensed"]')!;
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
    await view.show(manager);
    expect(
      view.host.querySelector('[data-codeact-role="thinking"]')
    ).toBeNull();
    expect(
      view.host.querySelector('[data-codeact-role="assistant"]')!.textContent
    ).toBe('The file:\n```\nrow one\n```');
  });
});
