import React, { act } from 'react';
import { createRoot, Root } from 'react-dom/client';

import { RulesLine } from '../panel/view';

(globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;

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
