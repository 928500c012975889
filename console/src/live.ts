import { EventSourceParserStream } from 'eventsource-parser/stream';
import { useEffect, useState } from 'react';
import { ApiError, apiStream, enc } from './api';

/**
 * Live updates from GET /v1/live (server-sent events). EventSource cannot send the Bearer
 * header, so the stream is read with fetch and parsed with eventsource-parser. One connection
 * per scope (the tenant, or one workflow) is shared by every component that asks for it; a
 * dropped connection is retried with backoff, and while it is down pages fall back to polling.
 */
export interface Live {
  /** The stream is open: pages may poll slowly and refetch on `tick`. */
  connected: boolean;
  /** Bumped (at most every `throttleMs`) when a change in scope arrives. */
  tick: number;
}

/** While the stream is open, pages still poll this slowly: a change lost with Redis is picked up. */
export const LIVE_FALLBACK_POLL_MS = 30_000;

type Listener = (live: Live) => void;

interface Connection {
  listeners: Set<Listener>;
  state: Live;
  abort?: AbortController;
  retryMs: number;
  stopped: boolean;
}

const connections = new Map<string, Connection>();

function publish(c: Connection, next: Partial<Live>): void {
  c.state = { ...c.state, ...next };
  for (const l of c.listeners) l(c.state);
}

async function run(scope: string, c: Connection, throttleMs: number): Promise<void> {
  while (!c.stopped) {
    c.abort = new AbortController();
    try {
      const res = await apiStream(`/v1/live${scope ? `?workflowId=${enc(scope)}` : ''}`, 'text/event-stream', c.abort.signal);
      const reader = res.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
      let last = 0;
      let trailing: ReturnType<typeof setTimeout> | undefined;
      const bump = () => {
        const now = Date.now();
        if (now - last >= throttleMs) {
          last = now;
          publish(c, { tick: c.state.tick + 1 });
        } else {
          trailing ??= setTimeout(() => {
            trailing = undefined;
            last = Date.now();
            publish(c, { tick: c.state.tick + 1 });
          }, throttleMs - (now - last));
        }
      };
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        if (value.event === 'ready') {
          c.retryMs = 1000;
          publish(c, { connected: true });
        } else if (value.event === 'changes') bump();
      }
      if (trailing) clearTimeout(trailing);
    } catch (err) {
      // Signed out, or the workflow is not this tenant's: polling alone will say so.
      if (err instanceof ApiError && [401, 403, 404, 406].includes(err.problem.status)) c.stopped = true;
    }
    publish(c, { connected: false });
    if (c.stopped) return;
    await new Promise((r) => setTimeout(r, c.retryMs));
    c.retryMs = Math.min(c.retryMs * 2, 30_000);
  }
}

/** Subscribes the calling component to the live stream of `workflowId` (and its children), or of the whole tenant when null. */
export function useLive(workflowId: string | null, throttleMs = workflowId ? 250 : 1000): Live {
  const scope = workflowId ?? '';
  const [live, setLive] = useState<Live>(() => connections.get(scope)?.state ?? { connected: false, tick: 0 });
  useEffect(() => {
    let c = connections.get(scope);
    if (!c) {
      c = { listeners: new Set(), state: { connected: false, tick: 0 }, retryMs: 1000, stopped: false };
      connections.set(scope, c);
      void run(scope, c, throttleMs);
    }
    const conn = c;
    conn.listeners.add(setLive);
    setLive(conn.state);
    return () => {
      conn.listeners.delete(setLive);
      if (conn.listeners.size === 0) {
        conn.stopped = true;
        conn.abort?.abort();
        connections.delete(scope);
      }
    };
  }, [scope, throttleMs]);
  return live;
}
