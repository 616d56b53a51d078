/**
 * The chat's entries, rendered from the newest back: a reopened chat of
 * hundreds of steps shows its last {@link PAGE} entries at once, and older
 * ones a page at a time as the user scrolls up to them (or presses "Show
 * earlier"). What is rendered stays rendered, so streaming touches only
 * the entry that grows.
 */
import React, { useEffect, useLayoutEffect, useRef, useState } from 'react';

import {
  actionsById,
  ChatModel,
  observationsByAction,
  repeatedAnswers,
  supersededActions
} from '../model';
import type { IChatEntry } from '../wire';
import { rewriteTargets } from './cellref';
import { EntryView, IEntryContext } from './entries';

/** Entries rendered at first, and added per step back. */
export const PAGE = 60;

/** How close to the bottom (px) counts as following the newest entry. */
const BOTTOM_SLACK = 24;

/**
 * Whether `next` differs from `previous` only in the text of entries still
 * streaming (what each streamed token changes): then nothing derived from
 * the steps changed, and a long chat does not recompute it per token.
 */
function onlyStreamed(
  previous: readonly IChatEntry[],
  next: readonly IChatEntry[]
): boolean {
  if (previous.length !== next.length) {
    return false;
  }
  for (let i = 0; i < next.length; i++) {
    const entry = next[i];
    if (
      entry !== previous[i] &&
      !(entry.streaming && entry.id === previous[i].id)
    ) {
      return false;
    }
  }
  return true;
}

/** What the entries need to know of each other (their steps, answers). */
function derive(entries: readonly IChatEntry[]) {
  return {
    entries,
    observations: observationsByAction(entries),
    actions: actionsById(entries),
    superseded: supersededActions(entries),
    repeated: repeatedAnswers(entries),
    targets: rewriteTargets(entries),
    // A chat several collaborators asked in names each request's author.
    authors:
      new Set(
        entries
          .filter(entry => entry.role === 'user' && entry.author)
          .map(entry => entry.author!.username)
      ).size > 1
  };
}

export function EntryList(props: {
  model: ChatModel;
  context: IEntryContext;
  approvalsVersion: number;
}): JSX.Element {
  const { model, context } = props;
  const list = useRef<HTMLDivElement>(null);
  const top = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  /** The list's scroll height before older entries were added above. */
  const growing = useRef<number | null>(null);
  const entries = model.entries;
  // The first entry rendered: new entries add below, older ones only when
  // asked for (a chat is keyed by its id: another chat starts afresh).
  const [start, setStart] = useState(() => Math.max(0, entries.length - PAGE));
  const derived = useRef<ReturnType<typeof derive> | null>(null);
  if (!derived.current || !onlyStreamed(derived.current.entries, entries)) {
    derived.current = derive(entries);
  }
  const { observations, actions, superseded, repeated, targets, authors } =
    derived.current;

  const showEarlier = (): void => {
    if (start > 0 && list.current) {
      growing.current = list.current.scrollHeight;
      setStart(first => Math.max(0, first - PAGE));
    }
  };

  // Older entries went in above: keep the ones on screen where they were.
  useLayoutEffect(() => {
    const node = list.current;
    if (node && growing.current !== null) {
      node.scrollTop += node.scrollHeight - growing.current;
      growing.current = null;
    }
  }, [start]);

  // Keep the newest entry in view, unless the user scrolled up to read.
  // In the next frame, where the browser lays the page out anyway: reading
  // scrollHeight right after a render forces a layout of the whole page
  // (the notebook included) on every streamed token.
  useEffect(() => {
    if (!atBottom.current) {
      return;
    }
    const frame = requestAnimationFrame(() => {
      const node = list.current;
      if (node) {
        node.scrollTop = node.scrollHeight;
      }
    });
    return () => cancelAnimationFrame(frame);
  });

  // Scrolled up to the oldest rendered entry: render a page more.
  useEffect(() => {
    const node = top.current;
    if (!node || start === 0 || typeof IntersectionObserver === 'undefined') {
      return;
    }
    const observer = new IntersectionObserver(
      found => {
        if (found.some(item => item.isIntersecting) && !atBottom.current) {
          showEarlier();
        }
      },
      { root: list.current }
    );
    observer.observe(node);
    return () => observer.disconnect();
  }, [start]);

  return (
    <div
      ref={list}
      className="jp-CodeAct-entries"
      role="log"
      aria-label="CodeAct chat"
      onScroll={event => {
        const node = event.currentTarget;
        atBottom.current =
          node.scrollHeight - node.scrollTop - node.clientHeight < BOTTOM_SLACK;
      }}
    >
      {start > 0 && (
        <div ref={top} className="jp-CodeAct-earlier">
          <button type="button" className="jp-mod-styled" onClick={showEarlier}>
            Show earlier ({start} more)
          </button>
        </div>
      )}
      {entries.slice(start).map(entry => {
        if (repeated.has(entry.id)) {
          return null; // the answer box below says it
        }
        const actionId = entry.action_id;
        const isAction = entry.role === 'action';
        const target = isAction && actionId ? targets.get(actionId) : undefined;
        return (
          <EntryView
            key={entry.id}
            entry={entry}
            observation={
              isAction && actionId ? observations.get(actionId) : undefined
            }
            action={
              entry.role === 'observation' && actionId
                ? actions.get(actionId)
                : undefined
            }
            superseded={!!actionId && superseded.has(actionId)}
            authors={entry.role === 'user' && authors}
            target={target}
            context={context}
            approvalsVersion={isAction ? props.approvalsVersion : 0}
          />
        );
      })}
    </div>
  );
}
