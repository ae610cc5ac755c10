// Runs `codex-netpolicy proxy --json` as a child of the extension host and keeps it alive:
// unexpected exits restart with backoff (logic/backoff.ts); exit 2 (invalid policy) waits for the
// next save of a policy file. Editor-free (a Logger instead of vscode), so tests drive a real child.
import { spawn, type ChildProcess } from 'node:child_process';
import { redactCredentials } from '../core/env';
import { RestartPolicy } from './logic/backoff';
import { describeTelemetry } from '../core/telemetry/describe';
import { eventStream, LineSplitter, type DecisionEvent, type ListeningEvent, type OutcomeEvent, type PolicyEvent, type ProxyEvent } from './logic/events';
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

/** One child process and what it has announced so far. */
interface Run {
  child: ChildProcess;
  listening?: ListeningEvent;
  policy: PolicyEvent | null;
  /** The first 200 stderr lines (redacted), for the error state and the log. */
  stderr: string[];
  /** Kills a child that never reports `listening`. */
  timeout: NodeJS.Timeout;
}

const DEFAULT_DRAIN_MS = 5000;
/** Beyond the drain, how long a stopping child may take before SIGKILL. */
const KILL_GRACE_MS = 2000;

export class ProxySupervisor {
  private run: Run | undefined;
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
    if (this.run) return this.current.kind === 'starting' ? this.settled() : Promise.resolve(this.current);
    const done = this.settled();
    this.stopping = false;
    this.set({ kind: 'starting' });
    this.run = this.spawn();
    this.restart.started();
    return done;
  }

  /** Resolves with the next state that is not `starting`. */
  private settled(): Promise<ProxyState> {
    return new Promise((r) => this.waiters.push(r));
  }

  /** Starts the child and wires its stdout (events), stderr (kept for error reports) and exit. */
  private spawn(): Run {
    const argv = [this.opts.cliPath, 'proxy', '--json', '--drain-timeout', String(this.drainMs), ...this.opts.args()];
    this.opts.log.info(`Starting proxy: ${argv.slice(1).map((a) => redactCredentials(a)).join(' ')}`);
    const child = spawn(this.opts.nodePath, argv, { env: { ...cleanChildEnv(this.opts.env()), ...this.opts.upstreamEnv?.() }, stdio: ['ignore', 'pipe', 'pipe'] });
    const startMs = this.opts.startTimeoutMs ?? 15000;
    const run: Run = {
      child, policy: null, stderr: [],
      timeout: setTimeout(() => {
        if (run.listening || this.run !== run) return;
        this.opts.log.error(`Proxy did not report "listening" within ${startMs} ms; stopping it.`);
        child.kill('SIGKILL');
      }, startMs),
    };
    const stdout = eventStream((e) => this.run === run && this.onLine(run, e));
    const stderr = new LineSplitter((line) => {
      const clean = redactCredentials(line);
      if (run.stderr.length < 200) run.stderr.push(clean);
      this.opts.log.warn(`[proxy stderr] ${clean}`);
    });
    child.stdout!.setEncoding('utf8').on('data', (c: string) => stdout.push(c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => stderr.push(c));
    child.on('error', (err) => this.opts.log.error(`Proxy process error: ${err.message}`));
    child.on('close', (code, signal) => {
      clearTimeout(run.timeout);
      stdout.end();
      stderr.end();
      if (this.run !== run) return;
      this.run = undefined;
      this.onExit(code, signal, run.stderr, !!run.listening);
    });
    return run;
  }

  private onLine(run: Run, e: ProxyEvent): void {
    const pid = run.child.pid ?? 0;
    switch (e.event) {
      case 'listening':
        run.listening = e;
        clearTimeout(run.timeout);
        this.opts.log.info(`Proxy listening on ${e.http}${e.socks ? `, SOCKS5 ${e.socks}` : ''} (${redactCredentials(e.proxyUrl)})${e.profile ? `, profile ${e.profile}` : ''}${e.mode ? ` (${e.mode} mode)` : ''}; CA ${e.caCert}${e.upstreamProxy ? `; upstream proxy ${e.upstreamProxy}` : ''}`);
        return this.set({ kind: 'running', listening: e, pid, policy: run.policy });
      case 'decision':
        return this.opts.onDecision(e);
      case 'outcome':
        return this.opts.onOutcome?.(e);
      case 'policy':
        run.policy = e;
        if (e.status === 'loaded') this.opts.log.info(`Policy loaded (profile ${e.profile ?? 'none'}): ${e.files.join(', ')}`);
        else this.opts.log.warn(`Policy reload rejected, previous policy stays in force:\n${e.diagnostics.map((d) => `  ${d.file}:${d.line}:${d.col}: ${d.message}`).join('\n')}`);
        if (run.listening) this.set({ kind: 'running', listening: run.listening, pid, policy: e });
        return;
      case 'error':
        return this.opts.log.error(`Proxy: ${redactCredentials(e.message)}`);
      case 'telemetry':
        return (e.status === 'failing' || e.dropped > 0 ? this.opts.log.warn : this.opts.log.info).call(this.opts.log, describeTelemetry(e));
    }
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
    if (this.current.kind === 'error' && this.current.invalidPolicy && !this.run) {
      this.opts.log.info('Policy file saved; retrying the proxy.');
      void this.launch();
    }
  }

  async stop(): Promise<void> {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.run?.child;
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
