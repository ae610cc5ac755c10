// A raw tunnel's download side without Node's per-read buffers. The dialled socket reads into
// memory the relay hands it (net's `onread`) and each chunk goes straight to the client.
// Why (#8): on the default stream path every read is at most 64 KiB into a fresh buffer, then
// through Readable and pipe(); for a bulk download the relay cost about as much CPU as the client
// and the server together, which on 2 cores held a tunnel near 50% of direct.
//
// Memory stays that of an idle tunnel: idle sockets share one 64 KiB read buffer and copy what
// they read (as Node's own path does). A socket whose read fills it gets a buffer of its own,
// written without a copy; it reads nothing more until that write has left for the kernel, and it
// gives the buffer back once its reads are small again.
import { connect, type NetConnectOpts, type Socket } from 'node:net';

const SHARED_SIZE = 64 * 1024;
const OWN_SIZE = 1024 * 1024;
const shared = Buffer.allocUnsafe(SHARED_SIZE);

const readers = new WeakMap<Socket, RelayReader>();

/** A TCP connection whose reads a relay takes over (relayTo); until then they are held. */
export function connectForRelay(options: NetConnectOpts): Socket {
  const reader = new RelayReader();
  const socket = connect(Object.assign({}, options, { onread: { buffer: () => reader.buffer, callback: (n: number, buf: Uint8Array) => reader.read(n, buf) } }));
  reader.socket = socket;
  readers.set(socket, reader);
  return socket;
}

/**
 * Sends what `from` reads to `to`, with backpressure; ends `to` when `from` ends. False when
 * `from` was not made by connectForRelay (then pipe() it). `onFirstByte` runs at its first read.
 */
export function relayTo(from: Socket, to: Socket, onFirstByte: () => void): boolean {
  const reader = readers.get(from);
  if (!reader) return false;
  reader.start(to, onFirstByte);
  return true;
}

class RelayReader {
  buffer: Buffer = shared;
  socket!: Socket;
  private sink: Socket | null = null;
  private held: Buffer[] = [];
  private onFirstByte: (() => void) | null = null;

  start(sink: Socket, onFirstByte: () => void): void {
    this.sink = sink;
    this.onFirstByte = onFirstByte;
    this.socket.once('end', () => sink.end());
    const held = this.held;
    this.held = [];
    if (held.length) this.firstByte();
    for (const chunk of held) sink.write(chunk);
    if (this.socket.isPaused()) this.socket.resume();
  }

  /** One read of `n` bytes into `buf`; false stops reading (Node calls readStop). */
  read(n: number, buf: Uint8Array): boolean {
    const sink = this.sink;
    const own = buf !== shared;
    this.buffer = this.nextBuffer(n, own);
    if (!sink) {
      // Before the relay starts (data the server sent first): keep a copy, read no more.
      this.held.push(Buffer.from(buf.subarray(0, n)));
      this.socket.pause();
      return false;
    }
    this.firstByte();
    if (!own) return this.forward(sink, Buffer.from(buf.subarray(0, n)));
    // Our own buffer is written as is, so nothing may read into it before the kernel has it.
    let waiting = false;
    sink.write(buf.subarray(0, n), () => waiting && this.socket.resume());
    if (sink.writableLength === 0) return true;
    waiting = true;
    this.socket.pause();
    return false;
  }

  private forward(sink: Socket, chunk: Buffer): boolean {
    if (sink.write(chunk)) return true;
    this.socket.pause();
    sink.once('drain', () => this.socket.resume());
    return false;
  }

  /** The buffer for the next read: our own after a full shared read, shared again after a small one. */
  private nextBuffer(n: number, own: boolean): Buffer {
    if (!own) return n === SHARED_SIZE ? Buffer.allocUnsafe(OWN_SIZE) : shared;
    return n < SHARED_SIZE ? shared : this.buffer;
  }

  private firstByte(): void {
    const f = this.onFirstByte;
    this.onFirstByte = null;
    f?.();
  }
}
