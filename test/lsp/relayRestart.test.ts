// The relay (server/relay.ts) when its worker dies (#11, memory cap), against a scripted worker
// that crashes on any document text containing CRASH: in-flight requests are answered, a new
// worker gets the client's original initialize params and the open documents (not the culprit),
// the culprit is skipped until it is small, and a crash loop ends in relay-only mode.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { CancellationTokenSource, createProtocolConnection, LSPErrorCodes, StreamMessageReader, StreamMessageWriter, type ProtocolConnection, type PublishDiagnosticsParams } from 'vscode-languageserver/node';
import { startRelay, type Relay } from '../../server/relay';
import { MAX_RESTARTS } from '../../server/relayWorker';
import { MAX_DOCUMENT_CHARS } from '../../server/relayState';

// Reports what it receives (with its thread id, so the test sees which worker got it); never
// answers hover or rename (they are in flight when it crashes); registers a capability once started.
const WORKER = `
const { parentPort, threadId } = require('node:worker_threads');
const send = (m) => parentPort.postMessage({ jsonrpc: '2.0', ...m });
const report = (what, params) => send({ method: 'test/' + what, params: { thread: threadId, ...params } });
const crashOn = (text) => { if (text.includes('CRASH')) setImmediate(() => { throw new Error('scripted crash'); }); };
parentPort.on('message', (m) => {
  if (m.method === 'initialize') return report('initialize', { params: m.params }), send({ id: m.id, result: { capabilities: {} } });
  if (m.method === 'initialized') return send({ id: 'reg-' + threadId, method: 'client/registerCapability', params: { registrations: [{ id: 'c', method: 'workspace/didChangeConfiguration' }] } });
  if (m.method === 'textDocument/didOpen') return report('opened', { uri: m.params.textDocument.uri, text: m.params.textDocument.text }), crashOn(m.params.textDocument.text);
  if (m.method === 'textDocument/didClose') return report('closed', { uri: m.params.textDocument.uri });
  if (m.method === 'textDocument/didChange') return report('changed', { uri: m.params.textDocument.uri }), crashOn(m.params.contentChanges[0].text);
  if (m.method === 'textDocument/hover' || m.method === 'textDocument/rename' || m.id === undefined) return;
  send({ id: m.id, result: { thread: threadId } });
});
`;

interface Seen { method: string; params: { thread?: number; uri?: string; text?: string; params?: unknown; message?: string } }

describe('language-server relay: worker crashes', () => {
  let editor: ProtocolConnection;
  let relay: Relay;
  const seen: Seen[] = [];
  const diagnostics: PublishDiagnosticsParams[] = [];
  let registrations = 0;
  const exits: number[] = [];
  const INIT = { processId: null, rootUri: 'file:///w', capabilities: {}, initializationOptions: { settings: { strict: true } }, workspaceFolders: [{ uri: 'file:///w', name: 'w' }] };

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cnp-relay-restart-'));
    writeFileSync(join(dir, 'worker.js'), WORKER);
    const toRelay = new PassThrough(), fromRelay = new PassThrough();
    // A budget far beyond the test: every fallback seen here comes from the crash, not the clock.
    relay = startRelay(join(dir, 'worker.js'), [new StreamMessageReader(toRelay), new StreamMessageWriter(fromRelay)], { budgetMs: 600_000, exit: (c) => exits.push(c) });
    editor = createProtocolConnection(new StreamMessageReader(fromRelay), new StreamMessageWriter(toRelay));
    for (const method of ['test/initialize', 'test/opened', 'test/changed', 'test/closed', 'window/logMessage', 'window/showMessage']) editor.onNotification(method, (params: Seen['params']) => void seen.push({ method, params }));
    editor.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => void diagnostics.push(p));
    editor.onRequest('client/registerCapability', () => void registrations++);
    editor.listen();
    await editor.sendRequest('initialize', INIT);
    await editor.sendNotification('initialized', {});
  });
  after(async () => {
    editor.dispose();
    await relay.stop();
  });

  const until = async (what: string, ok: () => boolean) => {
    for (let i = 0; i < 300 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(ok(), `waited 15 s for ${what}`);
  };
  const of = (method: string) => seen.filter((s) => s.method === method);
  const open = (uri: string, text: string) => editor.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'toml', version: 1, text } });
  const threadOf = async () => ((await editor.sendRequest('test/thread')) as { thread: number }).thread;

  it('in-flight requests are answered, the new worker gets the original initialize and the open documents, the culprit is skipped', async () => {
    const first = await threadOf();
    await open('file:///w/a.toml', 'a = 1');
    const hover = editor.sendRequest('textDocument/hover', { textDocument: { uri: 'file:///w/a.toml' }, position: { line: 0, character: 0 } });
    const rename = editor.sendRequest('textDocument/rename', { textDocument: { uri: 'file:///w/a.toml' }, position: { line: 0, character: 0 }, newName: 'b' }).then(() => 'answered', (e: { code?: number; message: string }) => [e.code, e.message]);
    await until('the worker to have document a', () => of('test/opened').length === 1);
    await open('file:///w/b.toml', `CRASH ${'x'.repeat(100)}`);
    assert.equal(await hover, null, 'a document request gets its empty result');
    assert.deepEqual(await rename, [LSPErrorCodes.RequestFailed, 'the language server restarted before answering']);
    await until('the new worker to have document a', () => of('test/opened').length === 3);
    const [, , reopened] = of('test/opened');
    assert.notEqual(reopened!.params.thread, first);
    assert.deepEqual([reopened!.params.uri, reopened!.params.text], ['file:///w/a.toml', 'a = 1'], 'the culprit b is not sent to the new worker');
    assert.deepEqual(of('test/initialize').map((s) => s.params.params), [INIT, INIT]);
    const skip = diagnostics.find((d) => d.uri === 'file:///w/b.toml')!;
    assert.equal(skip.diagnostics[0]!.code, 'memory-limit');
    assert.ok(of('window/logMessage').some((s) => /worker ended \(it failed: scripted crash\); restarted it; file:\/\/\/w\/b\.toml is skipped/.test(s.params.message!)));
    assert.notEqual(await threadOf(), first, 'requests reach the new worker');
    assert.equal(registrations, 1, 'the repeated registration of the new worker is answered by the relay');
  });

  it('the skipped document: requests answered without the worker, edits dropped until it is a quarter smaller', async () => {
    const b = { uri: 'file:///w/b.toml' };
    assert.equal(await editor.sendRequest('textDocument/hover', { textDocument: b, position: { line: 0, character: 0 } }), null);
    await editor.sendNotification('textDocument/didChange', { textDocument: { ...b, version: 2 }, contentChanges: [{ text: `CRASH ${'y'.repeat(90)}` }] });
    await editor.sendNotification('textDocument/didChange', { textDocument: { ...b, version: 3 }, contentChanges: [{ text: 'b = 2' }] });
    await until('b to be opened again', () => of('test/opened').some((s) => s.params.uri === b.uri && s.params.text === 'b = 2'));
    assert.equal(of('test/changed').filter((s) => s.params.uri === b.uri).length, 0, 'no edit of b reached a worker');
    assert.equal(of('test/opened').filter((s) => s.params.uri === b.uri).length, 2, 'the large edit was not sent');
  });

  it('a document over the size limit is never sent to the worker; an edit over it closes it there', async () => {
    const big = 'x'.repeat(MAX_DOCUMENT_CHARS + 1);
    await open('file:///w/big.toml', big);
    await open('file:///w/c.toml', 'c = 1');
    await until('c to be opened', () => of('test/opened').some((s) => s.params.uri === 'file:///w/c.toml'));
    assert.equal(of('test/opened').some((s) => s.params.uri === 'file:///w/big.toml'), false);
    await editor.sendNotification('textDocument/didChange', { textDocument: { uri: 'file:///w/c.toml', version: 2 }, contentChanges: [{ text: big }] });
    await until('c to be closed in the worker', () => of('test/closed').some((s) => s.params.uri === 'file:///w/c.toml'));
    const skips = diagnostics.filter((d) => d.uri === 'file:///w/big.toml' || d.uri === 'file:///w/c.toml').map((d) => [d.uri, d.diagnostics[0]?.code, new RegExp(`over ${MAX_DOCUMENT_CHARS.toLocaleString('en')} characters`).test(String(d.diagnostics[0]?.message))]);
    assert.deepEqual(skips, [['file:///w/big.toml', 'memory-limit', true], ['file:///w/c.toml', 'memory-limit', true]]);
    await editor.sendNotification('textDocument/didChange', { textDocument: { uri: 'file:///w/big.toml', version: 2 }, contentChanges: [{ text: 'big = 1' }] });
    await until('big to be opened once small', () => of('test/opened').some((s) => s.params.uri === 'file:///w/big.toml' && s.params.text === 'big = 1'));
    assert.equal(of('window/logMessage').length, 1, 'no crash, no restart');
  });

  it('a request the editor cancels is answered with RequestCancelled at once, while the worker never answers it', async () => {
    const source = new CancellationTokenSource();
    const hover = editor.sendRequest('textDocument/hover', { textDocument: { uri: 'file:///w/a.toml' }, position: { line: 0, character: 0 } }, source.token);
    source.cancel();
    await assert.rejects(hover, (e: { code?: number }) => e.code === LSPErrorCodes.RequestCancelled);
  });

  it(`after ${MAX_RESTARTS} restarts within a minute, one more crash leaves the relay answering alone`, async () => {
    for (let i = 2; i <= MAX_RESTARTS + 1; i++) {
      await open(`file:///w/crash${i}.toml`, 'CRASH');
      await until(`crash ${i}`, () => of('window/logMessage').length === i);
    }
    const [stopped] = of('window/showMessage');
    assert.match(stopped!.params.message!, /stopped: its worker ended 5 times within a minute .*Reload the window/);
    assert.equal(relay.worker, undefined);
    assert.equal(await editor.sendRequest('textDocument/hover', { textDocument: { uri: 'file:///w/a.toml' }, position: { line: 0, character: 0 } }), null);
    await assert.rejects(editor.sendRequest('test/thread'), /the language server is stopped/);
    assert.deepEqual(exits, [], 'the process stays up for the editor');
  });

  it('relay-only: shutdown is answered and exit ends the process', async () => {
    assert.equal(await editor.sendRequest('shutdown'), null);
    await editor.sendNotification('exit');
    await until('the exit', () => exits.length === 1);
    assert.deepEqual(exits, [0]);
  });
});
