// More accepting handles on the proxy's listening socket. Node 20's libuv (1.46) accepts one
// connection per handle per event-loop turn. Under saturation a turn carries the work of every
// admitted connection (~75 ms with 200 busy clients on a loaded 2-core machine), so connections
// over the cap waited seconds in the kernel's accept queue before the proxy could even refuse
// them. Each extra handle is another descriptor of the same listening socket in the same loop:
// one more accept per turn. Node has no dup(), so a short-lived child echoes the listener back
// over IPC (SCM_RIGHTS hands us a new descriptor each time), then exits.
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';

/** Extra handles: with the listener, 16 accepts per loop turn. */
export const EXTRA_ACCEPTORS = 15;
const ECHO_TIMEOUT_MS = 10_000;

// The child: echo every listener back, close its own copy once sent; a connection it happened to
// accept on its copy meanwhile is handed back too, so none is lost.
const ECHO = `process.on('message', (m, h) => {
  if (!h) return;
  h.on('connection', (c) => process.send('connection', c));
  process.send('listener', h, () => h.close());
});
process.on('disconnect', () => process.exit(0));`;

export interface Acceptors {
  /** Stops every extra handle (the listener itself is closed by its owner). */
  close(): void;
}

/**
 * Adds `count` accepting handles on `listener`, each calling `onConnection` like the listener's own.
 * Runs in the background; if the child cannot start, the listener keeps accepting alone (`problem`).
 */
export function addAcceptors(listener: Server, backlog: number, count: number, onConnection: (socket: Socket) => void, problem: (message: string) => void): Acceptors {
  const extra: Server[] = [];
  // The listener sets TCP_NODELAY on what it accepts (server.ts); servers rebuilt from a handle do not.
  const accepted = (socket: Socket): void => {
    socket.setNoDelay(true);
    onConnection(socket);
  };
  let closed = false;
  const child = spawn(process.execPath, ['-e', ECHO], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  const finish = (): void => {
    clearTimeout(timer);
    if (child.connected) child.disconnect();
  };
  /**
   * Every received listener was listened again with Node's default backlog (511), which the kernel
   * applies to the shared socket: the last one is listened once more, on our backlog.
   */
  const restoreBacklog = (last: Server): void => {
    const relisten = createServer({ noDelay: true }, onConnection);
    relisten.listen(last, backlog);
    extra[extra.length - 1] = relisten;
  };
  const timer = setTimeout(() => {
    problem(`extra accept handles: ${extra.length} of ${count} within ${ECHO_TIMEOUT_MS / 1000} s`);
    finish();
    child.kill();
  }, ECHO_TIMEOUT_MS);
  timer.unref();
  child.on('error', (e) => {
    problem(`extra accept handles unavailable: ${e.message}`);
    finish();
  });
  child.on('message', (m: unknown, handle: Server | Socket | undefined) => {
    if (m === 'connection' && handle) return accepted(handle as Socket);
    if (m !== 'listener' || !handle) return;
    const server = handle as Server;
    if (closed) return void server.close();
    server.on('connection', accepted);
    extra.push(server);
    if (extra.length === count) {
      restoreBacklog(server);
      finish();
    }
  });
  try {
    for (let i = 0; i < count; i++) child.send('listener', listener);
  } catch (e) {
    problem(`extra accept handles unavailable: ${e instanceof Error ? e.message : String(e)}`);
    finish();
  }
  return {
    close: () => {
      closed = true;
      finish();
      for (const s of extra) s.close();
    },
  };
}
