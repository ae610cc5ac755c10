// Runs `codex-netpolicy proxy --json` as a child of the extension host and keeps it alive:
// unexpected exits restart with backoff (logic/backoff.ts); exit 2 (invalid policy) waits for the
// next save of a policy file. Editor-free (a Logger instead of vscode), so tests drive a real child.
import { spawn, type ChildProcess } from 'node:child_process';
import { redactCredentials } from '../core/env';
import { RestartPolicy } from './logic/backoff';
import { describeTelemetry } from '../core/telemetry/describe';
import { eventStream, LineSplitter, type DecisionEvent, type ListeningEvent, type OutcomeEvent, type PolicyEvent } from './logic/events';
import { cleanChildEnv } from './logic/terminalEnv';

interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export type ProxyState =
  | { kind: 'stopped' }
  | { kind: 'starting' }
  | { kind: 'running'; listening: ListeningEvent; pid: number; policy: PolicyEvent | null }
  | { kind: 'error'; message: string; invalidPolicy: boolean; details: string[]; retryInMs?: number };

export interface SupervisorOptions {
  nodePath: string;
  cliPath: string;
  /** Extra CLI arguments, computed afresh for every start (settings may have changed). */
  args: () => string[];
  env: () => Record<string, string | undefined>;
  /** The upstream proxy variables for the child, added after its env is cleaned of proxy variables. */
  upstreamEnv?: () => Record<string, string>;
  log: Logger;
  onDecision: (e: DecisionEvent) => void;
  /** How an allowed request ended (status, bytes, duration); optional. */
  onOutcome?: (e: OutcomeEvent) => void;
  startTimeoutMs?: number;
  /** Stop and restart let in-flight requests finish this long (the child's --drain-timeout). */
  drainTimeoutMs?: number;
  now?: () => number;
}

const DEFAULT_DRAIN_MS = 5000;
/** Beyond the drain, how long a stopping child may take before SIGKILL. */
const KILL_GRACE_MS = 2000;

export class ProxySupervisor {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly restart: RestartPolicy;
  private current: ProxyState = { kind: 'stopped' };
  private readonly listeners = new Set<(s: ProxyState) => void>();
  private waiters: ((s: ProxyState) => void)[] = [];

  constructor(private readonly opts: SupervisorOptions) {
    this.restart = new RestartPolicy(opts.now);
  }

  get state(): ProxyState {
    return this.current;
  }

  onDidChangeState(l: (s: ProxyState) => void): { dispose(): void } {
    this.listeners.add(l);
    return { dispose: () => this.listeners.delete(l) };
  }

  private set(s: ProxyState): void {
    this.current = s;
    for (const l of this.listeners) l(s);
    if (s.kind !== 'starting') {
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f(s);
    }
  }

  /** Starts (no-op when running); resolves with the state once running or failed. */
  start(): Promise<ProxyState> {
    this.restart.reset();
    return this.launch();
  }

  private launch(): Promise<ProxyState> {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    if (this.child) return this.current.kind === 'starting' ? new Promise((r) => this.waiters.push(r)) : Promise.resolve(this.current);
    const done = new Promise<ProxyState>((r) => this.waiters.push(r));
    this.stopping = false;
    this.set({ kind: 'starting' });
    const argv = [this.opts.cliPath, 'proxy', '--json', '--drain-timeout', String(this.drainMs), ...this.opts.args()];
    this.opts.log.info(`Starting proxy: ${argv.slice(1).map((a) => redactCredentials(a)).join(' ')}`);
    const child = spawn(this.opts.nodePath, argv, { env: { ...cleanChildEnv(this.opts.env()), ...this.opts.upstreamEnv?.() }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.restart.started();
    const stderrLines: string[] = [];
    let listening: ListeningEvent | undefined;
    let policy: PolicyEvent | null = null;
    const timeout = setTimeout(() => {
      if (listening || this.child !== child) return;
      this.opts.log.error(`Proxy did not report "listening" within ${this.opts.startTimeoutMs ?? 15000} ms; stopping it.`);
      child.kill('SIGKILL');
    }, this.opts.startTimeoutMs ?? 15000);

    const stdout = eventStream((e) => {
      if (this.child !== child) return;
      switch (e.event) {
        case 'listening':
          listening = e;
          clearTimeout(timeout);
          this.opts.log.info(`Proxy listening on ${e.http}${e.socks ? `, SOCKS5 ${e.socks}` : ''} (${redactCredentials(e.proxyUrl)})${e.profile ? `, profile ${e.profile}` : ''}${e.mode ? ` (${e.mode} mode)` : ''}; CA ${e.caCert}${e.upstreamProxy ? `; upstream proxy ${e.upstreamProxy}` : ''}`);
          this.set({ kind: 'running', listening: e, pid: child.pid ?? 0, policy });
          return;
        case 'decision':
          this.opts.onDecision(e);
          return;
        case 'outcome':
          this.opts.onOutcome?.(e);
          return;
        case 'policy':
          policy = e;
          if (e.status === 'loaded') this.opts.log.info(`Policy loaded (profile ${e.profile ?? 'none'}): ${e.files.join(', ')}`);
          else this.opts.log.warn(`Policy reload rejected, previous policy stays in force:\n${e.diagnostics.map((d) => `  ${d.file}:${d.line}:${d.col}: ${d.message}`).join('\n')}`);
          if (listening) this.set({ kind: 'running', listening, pid: child.pid ?? 0, policy: e });
          return;
        case 'error':
          this.opts.log.error(`Proxy: ${redactCredentials(e.message)}`);
          return;
        case 'telemetry':
          (e.status === 'failing' || e.dropped > 0 ? this.opts.log.warn : this.opts.log.info).call(this.opts.log, describeTelemetry(e));
          return;
      }
    });
    const stderr = new LineSplitter((line) => {
      const clean = redactCredentials(line);
      if (stderrLines.length < 200) stderrLines.push(clean);
      this.opts.log.warn(`[proxy stderr] ${clean}`);
    });
    child.stdout!.setEncoding('utf8').on('data', (c: string) => stdout.push(c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => stderr.push(c));
    child.on('error', (err) => this.opts.log.error(`Proxy process error: ${err.message}`));
    child.on('close', (code, signal) => {
      clearTimeout(timeout);
      stdout.end();
      stderr.end();
      if (this.child !== child) return;
      this.child = undefined;
      this.onExit(code, signal, stderrLines, !!listening);
    });
    return done;
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, stderrLines: string[], wasListening: boolean): void {
    const verdict = this.restart.onExit(code, this.stopping);
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (verdict.kind === 'stopped') {
      this.opts.log.info(`Proxy stopped (${how}).`);
      this.set({ kind: 'stopped' });
      return;
    }
    if (verdict.kind === 'invalid-policy') {
      this.opts.log.error(`Proxy refused to start: the policy is invalid. Fix it and save; the proxy retries on save.\n${stderrLines.join('\n')}`);
      this.set({ kind: 'error', message: 'The network policy is invalid', invalidPolicy: true, details: stderrLines.slice(0, 20) });
      return;
    }
    if (verdict.kind === 'usage-error') {
      const why = stderrLines.join(' ') || `exit ${how}`;
      this.opts.log.error(`Proxy refused its arguments: ${why}`);
      this.set({ kind: 'error', message: `Proxy refused its settings: ${why}`, invalidPolicy: false, details: stderrLines.slice(0, 20) });
      return;
    }
    const last = stderrLines.at(-1);
    const message = `Proxy ${wasListening ? 'exited unexpectedly' : 'failed to start'} (${how})${last ? `: ${last}` : ''}`;
    this.opts.log.error(`${message}; restarting in ${verdict.delayMs / 1000} s.`);
    this.set({ kind: 'error', message, invalidPolicy: false, details: stderrLines.slice(-20), retryInMs: verdict.delayMs });
    this.restartTimer = setTimeout(() => void this.launch(), verdict.delayMs);
  }

  /** A policy file was saved: retry if we were waiting for a fix. The proxy hot-reloads otherwise. */
  policySaved(): void {
    if (this.current.kind === 'error' && this.current.invalidPolicy && !this.child) {
      this.opts.log.info('Policy file saved; retrying the proxy.');
      void this.launch();
    }
  }

  async stop(): Promise<void> {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.child;
    if (!child) {
      if (this.current.kind !== 'stopped') this.set({ kind: 'stopped' });
      return;
    }
    this.stopping = true;
    const closed = new Promise<void>((r) => child.once('close', () => r()));
    // SIGTERM: the proxy stops accepting and lets in-flight requests finish (bounded drain).
    child.kill('SIGTERM');
    const kill = setTimeout(() => child.kill('SIGKILL'), this.drainMs + KILL_GRACE_MS);
    await closed;
    clearTimeout(kill);
  }

  private get drainMs(): number {
    return this.opts.drainTimeoutMs ?? DEFAULT_DRAIN_MS;
  }

  async restartNow(): Promise<ProxyState> {
    await this.stop();
    return this.start();
  }

  dispose(): void {
    void this.stop();
  }
}
