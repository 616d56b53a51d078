/**
 * The message input: Enter sends, Shift+Enter adds a line, Escape stops
 * the agent (or, when it is not working, clears the draft); Send becomes
 * Stop while the agent works; the approval mode is chosen here too.
 */
import { ISignal, Signal } from '@lumino/signaling';
import React, { useEffect, useRef } from 'react';

import { ApprovalMode } from '../tokens';
import { useSignals } from './hooks';

/**
 * The draft message, shared by the view and the commands that prefill it.
 */
export class ComposerModel {
  get value(): string {
    return this._value;
  }

  set value(value: string) {
    if (value !== this._value) {
      this._value = value;
      this._changed.emit(undefined);
    }
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get focusRequested(): ISignal<this, void> {
    return this._focusRequested;
  }

  /** Move the keyboard focus to the input. */
  focus(): void {
    this._focusRequested.emit(undefined);
  }

  private _value = '';
  private _changed = new Signal<this, void>(this);
  private _focusRequested = new Signal<this, void>(this);
}

export interface IComposerProps {
  model: ComposerModel;
  busy: boolean;
  /** Nothing can be sent (no model is set up): Send is disabled. */
  disabled?: boolean;
  approvalMode: ApprovalMode;
  /** The server requires approval: running automatically is not offered. */
  approvalRequired?: boolean;
  onApprovalModeChange: (mode: ApprovalMode) => void;
  onSend: (text: string) => void;
  onStop: () => void;
}

export function Composer(props: IComposerProps): JSX.Element {
  const { model, busy } = props;
  useSignals(model.changed);
  const input = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    const focus = (): void => {
      const node = input.current;
      if (node) {
        node.focus();
        node.setSelectionRange(node.value.length, node.value.length);
      }
    };
    model.focusRequested.connect(focus);
    return () => {
      model.focusRequested.disconnect(focus);
    };
  }, [model]);

  const send = (): void => {
    const text = model.value;
    if (!text.trim() || busy || props.disabled) {
      return;
    }
    model.value = '';
    props.onSend(text);
  };

  const onKeyDown = (event: React.KeyboardEvent<HTMLTextAreaElement>): void => {
    if (event.key === 'Escape' && !event.nativeEvent.isComposing) {
      // Ours, not JupyterLab's (it would leave the panel for the notebook).
      event.preventDefault();
      event.stopPropagation();
      if (busy) {
        props.onStop();
      } else {
        model.value = '';
      }
      return;
    }
    if (
      event.key === 'Enter' &&
      !event.shiftKey &&
      !event.nativeEvent.isComposing
    ) {
      event.preventDefault();
      send();
    }
  };

  return (
    <div className="jp-CodeAct-composer">
      <textarea
        ref={input}
        className="jp-CodeAct-input"
        aria-label="Message CodeAct"
        placeholder="Ask CodeAct to work in this notebook"
        title="Enter sends, Shift+Enter adds a line, Escape stops the agent or clears the draft"
        rows={3}
        value={model.value}
        onChange={event => {
          model.value = event.target.value;
        }}
        onKeyDown={onKeyDown}
      />
      <div className="jp-CodeAct-composerBar">
        <select
          className="jp-CodeAct-approvalMode"
          aria-label="Approval mode"
          title={
            props.approvalRequired
              ? "The server requires approval of each cell (c.CodeAct.approval_mode = 'ask')"
              : "Whether the agent's cells run at once or wait for your approval"
          }
          value={props.approvalMode}
          onChange={event =>
            props.onApprovalModeChange(event.target.value as ApprovalMode)
          }
        >
          <option value="auto" disabled={props.approvalRequired}>
            Run cells automatically
          </option>
          <option value="ask">Ask before running cells</option>
        </select>
        {busy ? (
          <button
            type="button"
            className="jp-mod-styled jp-mod-warn jp-CodeAct-stop"
            aria-label="Stop"
            title="Stop the agent (cancels the reply and interrupts the running cell)"
            onClick={props.onStop}
          >
            Stop
          </button>
        ) : (
          <button
            type="button"
            className="jp-mod-styled jp-mod-accept jp-CodeAct-send"
            aria-label="Send"
            title="Send (Enter)"
            disabled={!model.value.trim() || props.disabled}
            onClick={send}
          >
            Send
          </button>
        )}
      </div>
    </div>
  );
}
