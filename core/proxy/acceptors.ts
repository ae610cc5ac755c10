// More accepting handles on the proxy's listening socket. Node 20's libuv (1.46) accepts one
// connection per handle per event-loop turn. Under saturation a turn carries the work of every
// admitted connection (~75 ms with 200 busy clients on a loaded 2-core machine), so connections
// over the cap waited seconds in the kernel's accept queue before the proxy could even refuse
// them. Each extra handle is another descriptor of the same listening socket in the same loop:
// one more accept per turn. Node has no dup(), so a short-lived child echoes the listener's raw
// handle back over IPC (SCM_RIGHTS hands us a new descriptor each time), then exits. The raw
// handle is never listened on in the child, so the child accepts nothing.
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';

/** Extra handles: with the listener, 16 accepts per loop turn. */
export const EXTRA_ACCEPTORS = 15;
const ECHO_TIMEOUT_MS = 10_000;

const ECHO = `process.on('message', (m, h) => { if (h) process.send(m, h, () => h.close()); });
process.on('disconnect', () => process.exit(0));`;

export interface Acceptors {
  /** Stops every extra handle (the listener itself is closed by its owner). */
  close(): void;
}

/**
 * Adds `count` accepting handles on `listener` (listened with `backlog`), each calling
 * `onConnection` like the listener's own. Runs in the background; if the child cannot start, the
 * listener keeps accepting alone and `problem` says so.
 */
export function addAcceptors(listener: Server, backlog: number, count: number, onConnection: (socket: Socket) => void, problem: (message: string) => void): Acceptors {
  // The raw handle (not the Server): sent as a Server, Node would listen on it on arrival, in the
  // child too, with its default backlog of 511 (which the kernel applies to the shared socket).
  const raw = (listener as unknown as { _handle?: object })._handle;
  if (count <= 0 || !raw) return { close: () => undefined };
  const extra: Server[] = [];
  let closed = false;
  const child = spawn(process.execPath, ['-e', ECHO], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  const finish = (): void => {
    clearTimeout(timer);
    if (child.connected) child.disconnect();
  };
  const timer = setTimeout(() => {
    problem(`extra accept handles: ${extra.length} of ${count} within ${ECHO_TIMEOUT_MS / 1000} s`);
    finish();
    child.kill();
  }, ECHO_TIMEOUT_MS);
  timer.unref();
  const unavailable = (e: unknown): void => {
    problem(`extra accept handles unavailable: ${e instanceof Error ? e.message : String(e)}`);
    finish();
  };
  child.on('error', unavailable);
  // One handle at a time, the next when the last came back: a handle queued for sending when the
  // listener closes trips an internal assertion in Node; the one on the wire is already a descriptor.
  let sent = 0;
  function sendNext(): void {
    if (closed || sent >= count || !listener.listening || !child.connected) return;
    try {
      child.send('listener', raw as Parameters<typeof child.send>[1]);
      sent++;
    } catch (e) {
      unavailable(e);
    }
  }
  child.on('message', (m: unknown, handle: { close(): void } | undefined) => {
    if (m !== 'listener' || !handle) return;
    if (closed) return handle.close();
    const server = createServer({ noDelay: true }, onConnection);
    server.on('error', (e) => problem(`extra accept handle: ${e.message}`));
    server.listen(handle, backlog);
    extra.push(server);
    if (extra.length === count) finish();
    else sendNext();
  });
  sendNext();
  return {
    close: () => {
      closed = true;
      finish();
      for (const s of extra) s.close();
    },
  };
}
