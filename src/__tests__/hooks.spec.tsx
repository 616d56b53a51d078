import { Signal } from '@lumino/signaling';
import React, { act } from 'react';
import { createRoot, Root } from 'react-dom/client';

import { useSignals, useThrottledSignals } from '../panel/hooks';

(globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;

describe('signal-driven renders', () => {
  let host: HTMLDivElement;
  let root: Root;
  const owner = {};

  beforeEach(() => {
    jest.useFakeTimers();
    host = document.createElement('div');
    document.body.appendChild(host);
    root = createRoot(host);
  });

  afterEach(() => {
    act(() => root.unmount());
    host.remove();
    jest.useRealTimers();
  });

  function mount(Component: () => JSX.Element): void {
    act(() => root.render(<Component />));
  }

  it('renders at once, in the task that emitted the change', () => {
    const changed = new Signal<object, void>(owner);
    let renders = 0;
    mount(() => {
      useSignals(changed);
      renders += 1;
      return <span />;
    });
    const before = renders;
    changed.emit();
    expect(renders).toBe(before + 1);
    changed.emit();
    expect(renders).toBe(before + 2);
  });

  it('renders a lone change at once and a burst once at its end', () => {
    const changed = new Signal<object, void>(owner);
    let renders = 0;
    mount(() => {
      useThrottledSignals(16, changed);
      renders += 1;
      return <span />;
    });
    jest.advanceTimersByTime(100);
    const before = renders;
    changed.emit(); // a lone change: at once
    expect(renders).toBe(before + 1);
    changed.emit(); // a burst within the interval: held back...
    changed.emit();
    changed.emit();
    expect(renders).toBe(before + 1);
    act(() => {
      jest.advanceTimersByTime(16);
    });
    expect(renders).toBe(before + 2); // ...and drawn once
    jest.advanceTimersByTime(100);
    changed.emit();
    expect(renders).toBe(before + 3);
  });
});
