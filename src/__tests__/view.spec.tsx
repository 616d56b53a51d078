import { act } from 'react';

import { chatViewHarness, fakeManager, withEntries } from './viewfakes';

describe('ChatView', () => {
  const view = chatViewHarness();

  it('offers no automatic runs when the server requires approval', async () => {
    const { manager } = fakeManager(withEntries([]), { approval_mode: 'ask' });
    await view.show({
      ...manager,
      approvalMode: 'ask',
      approvalRequired: true
    });
    const select = view.host.querySelector(
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
    await view.show(configured);
    const picker = view.host.querySelector(
      'select[aria-label="Model"]'
    ) as HTMLSelectElement;
    expect(picker.value).toBe('scripted-model');
    expect(picker.title).toContain('http://127.0.0.1:9/v1');

    const problem = 'No model is configured: set OPENAI_API_KEY, then restart.';
    const { manager } = fakeManager(withEntries([]), {
      configured: false,
      problem
    });
    await view.show(manager);
    // No model is claimed that is not set up, and nothing can be sent.
    expect(view.host.querySelector('.jp-CodeAct-model')!.textContent).toBe(
      'No model set up'
    );
    expect(view.host.querySelector('select[aria-label="Model"]')).toBeNull();
    expect(view.host.querySelector('[role="alert"]')!.textContent).toBe(
      problem
    );
    expect(view.button('Send').disabled).toBe(true);
    expect(view.host.querySelector('.jp-CodeAct-notebook')!.textContent).toBe(
      'sales.ipynb'
    );
  });

  it('says which chat files of the notebook could not be read', async () => {
    const { manager } = fakeManager(withEntries([]));
    const problem =
      'A chat of this notebook could not be read (not valid JSON): its file was moved to /c/x.json.corrupt.';
    (manager.view as any).problems = [problem];
    await view.show(manager);
    const banner = view.host.querySelector('.jp-CodeAct-unreadable');
    expect(banner!.textContent).toBe(problem);
    expect(banner!.getAttribute('role')).toBe('alert');
  });

  it('sends on Enter, adds a line on Shift+Enter', async () => {
    const { manager } = fakeManager(withEntries([]));
    const composer = await view.show(manager);
    const input = view.host.querySelector(
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
    expect(view.button('Send').disabled).toBe(true);
  });

  it('offers Stop while the agent works', async () => {
    const model = withEntries([], 'running');
    const { manager } = fakeManager(model);
    await view.show(manager);
    expect(view.button('Send')).toBeNull();
    expect(view.host.querySelector('[role="status"]')!.textContent).toBe(
      'Running cell…'
    );
    await act(async () => view.button('Stop').click());
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
    await view.show(manager);
    const byText = (text: string) =>
      [...view.host.querySelectorAll('button')].find(
        b => b.textContent === text
      )!;
    expect(byText('Run')).toBeDefined();
    expect(byText('Skip')).toBeDefined();
    await act(async () => byText('Edit').click());
    const editor = view.host.querySelector(
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
    await view.show(manager);
    const edit = [...view.host.querySelectorAll('button')].find(
      b => b.textContent === 'Edit'
    )!;
    await act(async () => edit.click());
    expect(executor.editPending).toHaveBeenCalledWith('r1');
    // No box of its own: the cell's editor is the one.
    expect(
      view.host.querySelector('textarea[aria-label="Code to run"]')
    ).toBeNull();
    expect(view.host.textContent).toContain('Waiting in the notebook');
  });
});
