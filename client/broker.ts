// Brokered credentials in the extension (opt-in, codexNetworkPolicy.broker.*): real values come
// from the extension host's environment, VS Code SecretStorage or a file; proxied terminals get
// dummies; the proxy child gets the set through its environment (core/broker BROKER_ENV_KEY),
// never its command line. Only variable names and hosts are ever logged.
import * as vscode from 'vscode';
import { readFile } from 'node:fs/promises';
import {
  brokerCredentials, BROKER_ENV_KEY, defaultBindings, dummyEnv, encodeBrokerSpec, type BrokeredCredential, type CredentialBinding,
} from '../core/broker/credentials';
import { expandPath, SECTION } from './settings';

type CredentialSource = 'env' | 'secretStorage' | 'file';

export interface CredentialSetting {
  env: string;
  hosts: string[];
  source?: CredentialSource;
  file?: string;
}

const SECRET_PREFIX = 'codexNetworkPolicy.broker.';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function settings(): { enabled: boolean; credentials: CredentialSetting[] } {
  const c = vscode.workspace.getConfiguration(SECTION);
  const list = c.get<unknown[]>('broker.credentials') ?? [];
  const credentials = list.filter((x): x is CredentialSetting => {
    const o = x as Partial<CredentialSetting> | null;
    return !!o && typeof o.env === 'string' && ENV_NAME.test(o.env) && Array.isArray(o.hosts) && o.hosts.every((h) => typeof h === 'string');
  });
  return { enabled: c.get<boolean>('broker.enabled') === true, credentials };
}

export class CredentialBroker {
  private creds: BrokeredCredential[] = [];

  constructor(private readonly secrets: vscode.SecretStorage, private readonly log: vscode.LogOutputChannel) {}

  get enabled(): boolean {
    return settings().enabled;
  }

  /** Re-reads the sources; keeps each dummy while its real value is unchanged (open terminals stay valid). */
  async refresh(): Promise<void> {
    const s = settings();
    if (!s.enabled) {
      this.creds = [];
      return;
    }
    const configured = new Map(s.credentials.map((c) => [c.env, c]));
    const bindings: CredentialBinding[] = [
      ...defaultBindings(process.env).filter((b) => !configured.has(b.envVar)),
      ...s.credentials.map((c) => ({ envVar: c.env, hosts: c.hosts })),
    ];
    const reals = new Map<string, string>();
    for (const b of bindings) {
      const value = await this.realValue(b.envVar, configured.get(b.envVar));
      if (value) reals.set(b.envVar, value);
    }
    this.creds = brokerCredentials(bindings, (k) => reals.get(k), this.creds);
    this.log.info(`Brokered credentials: ${this.creds.length ? this.creds.map((c) => `${c.envVar} → ${c.hosts.join(', ')}`).join('; ') : 'none found'}`);
  }

  private async realValue(envVar: string, c: CredentialSetting | undefined): Promise<string | undefined> {
    const source = c?.source ?? 'env';
    try {
      if (source === 'file') return c?.file ? (await readFile(expandPath(c.file), 'utf8')).trim() : undefined;
      const stored = await this.secrets.get(SECRET_PREFIX + envVar);
      if (source === 'secretStorage' || stored) return stored ?? undefined;
      return process.env[envVar];
    } catch (e) {
      this.log.warn(`Brokered credential ${envVar}: cannot read its ${source} source (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      return undefined;
    }
  }

  /** Overlay for the proxy child's environment. */
  childEnv(): Record<string, string> {
    return this.creds.length ? { [BROKER_ENV_KEY]: encodeBrokerSpec(this.creds) } : {};
  }

  /** Overlay for proxied terminals: dummies only. */
  terminalEnv(): Record<string, string> {
    return dummyEnv(this.creds);
  }

  /** Real values, for defensive redaction of exports. */
  realValues(): string[] {
    return this.creds.map((c) => c.real);
  }

  /** Command: store a value in SecretStorage for a variable name. */
  async storeCommand(): Promise<void> {
    const env = await vscode.window.showInputBox({ title: 'Brokered credential: variable name', placeHolder: 'GH_TOKEN', validateInput: (v) => (ENV_NAME.test(v.trim()) ? undefined : 'An environment variable name') });
    if (!env) return;
    const value = await vscode.window.showInputBox({ title: `Brokered credential: value of ${env.trim()}`, password: true, ignoreFocusOut: true });
    if (!value) return;
    await this.secrets.store(SECRET_PREFIX + env.trim(), value.trim());
    void vscode.window.showInformationMessage(`Stored ${env.trim()} in VS Code's secret storage. Restart the proxy and open a new proxied terminal to use it.`);
  }
}
