// The relay in front of the language-server worker (server/relay.ts), against a scripted worker
// whose answers are slow on purpose (seconds, ten times the budget, so a loaded machine cannot
// blur the difference): a late request is answered by the relay, cancelled in the worker, and
// the worker's late answer never reaches the editor; other traffic passes through untouched.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter, type ProtocolConnection } from 'vscode-languageserver/node';
import { startRelay, type Relay } from '../../server/relay';

const BUDGET_MS = 300;
const SLOW_MS = 3000;

// The worker: hover and the second outline answer after SLOW_MS; everything else at once. It
// reports each cancellation it receives as a notification, so the test sees it.
const WORKER = `
const { parentPort } = require('node:worker_threads');
let outlines = 0;
const answer = (id, result, ms) => setTimeout(() => parentPort.postMessage({ jsonrpc: '2.0', id, result }), ms);
parentPort.on('message', (m) => {
  if (m.method === '$/cancelRequest') return parentPort.postMessage({ jsonrpc: '2.0', method: 'test/cancelled', params: m.params });
  if (m.method === 'test/log') return parentPort.postMessage({ jsonrpc: '2.0', method: 'window/logMessage', params: { type: 3, message: m.params.text } });
  if (m.id === undefined) return;
  if (m.method === 'textDocument/hover') return answer(m.id, { contents: 'late' }, ${SLOW_MS});
  if (m.method === 'textDocument/documentSymbol') {
    const n = ++outlines;
    return answer(m.id, [{ name: 'outline ' + n }], n === 1 ? 0 : ${SLOW_MS});
  }
  if (m.method === 'test/slow') return answer(m.id, 'unbudgeted', ${BUDGET_MS * 3});
  answer(m.id, { method: m.method }, 0);
});
`;

describe('language-server relay', () => {
  let editor: ProtocolConnection;
  let worker: Relay;
  const cancelled: unknown[] = [];
  const logs: string[] = [];
  const exits: number[] = [];
  let wire = ''; // everything the relay wrote to the editor

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cnp-relay-'));
    writeFileSync(join(dir, 'worker.js'), WORKER);
    const toRelay = new PassThrough(), fromRelay = new PassThrough();
    worker = startRelay(join(dir, 'worker.js'), [new StreamMessageReader(toRelay), new StreamMessageWriter(fromRelay)], { budgetMs: BUDGET_MS, exit: (c) => exits.push(c) });
    fromRelay.on('data', (b: Buffer) => (wire += b.toString()));
    editor = createProtocolConnection(new StreamMessageReader(fromRelay), new StreamMessageWriter(toRelay));
    editor.onNotification('test/cancelled', (p) => void cancelled.push(p));
    editor.onNotification('window/logMessage', (p: { message: string }) => void logs.push(p.message));
    editor.listen();
    await editor.sendRequest('test/ready'); // the worker is up (its start is not what is measured)
  });
  after(async () => {
    editor.dispose();
    await worker.stop();
  });

  const doc = { textDocument: { uri: 'file:///w/.codex/config.toml' } };
  const timed = async <T>(p: Promise<T>): Promise<[T, number]> => {
    const start = performance.now();
    const v = await p;
    return [v, performance.now() - start];
  };

  it('answers a request the worker is slow on with the empty result, before the worker does, and cancels it there', async () => {
    const [hover, ms] = await timed(editor.sendRequest('textDocument/hover', { ...doc, position: { line: 0, character: 0 } }));
    assert.equal(hover, null);
    assert.ok(ms < SLOW_MS, `answered after ${ms} ms, the worker takes ${SLOW_MS}`);
    for (let i = 0; i < 50 && !cancelled.length; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(cancelled, [{ id: 1 }], 'the worker is told to skip it');
  });

  it('the late answer of the worker never reaches the editor; the next request gets its own answer', async () => {
    const late = new Promise<void>((r) => setTimeout(r, SLOW_MS + 200));
    const [completion] = await timed(editor.sendRequest('textDocument/completion', { ...doc, position: { line: 0, character: 0 } }));
    assert.deepEqual(completion, { method: 'textDocument/completion' }, 'a fast answer passes through');
    await late; // the hover of the previous test has now been answered by the worker: dropped
    assert.equal(wire.includes('"late"'), false, 'the worker\'s late hover is not relayed');
  });

  it('a late outline is answered with the last outline the worker gave for that document', async () => {
    await editor.sendNotification('textDocument/didOpen', { textDocument: { ...doc.textDocument, languageId: 'toml', version: 1, text: '' } });
    const first = await editor.sendRequest('textDocument/documentSymbol', doc);
    assert.deepEqual(first, [{ name: 'outline 1' }]);
    const [second, ms] = await timed(editor.sendRequest('textDocument/documentSymbol', doc));
    assert.deepEqual(second, [{ name: 'outline 1' }]);
    assert.ok(ms < SLOW_MS);
    // Closing the document forgets it: another document's late outline is empty.
    await editor.sendNotification('textDocument/didClose', doc);
    assert.equal(await editor.sendRequest('textDocument/documentSymbol', doc), null);
  });

  it('requests outside the document features (initialize, custom) and notifications pass through unbudgeted', async () => {
    assert.equal(await editor.sendRequest('test/slow'), 'unbudgeted');
    await editor.sendNotification('test/log', { text: 'hello' });
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(logs, ['hello']);
    assert.deepEqual(exits, []);
  });
});
