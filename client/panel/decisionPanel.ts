// Hosts the decision log webview in two places: an editor tab (WebviewPanel) and a view in the
// panel area (WebviewView). Both mirror the DecisionStore; new events are batched every 50 ms.
import * as vscode from 'vscode';
import type { DecisionStore } from '../logic/decisionStore';
import type { DecisionEvent } from '../logic/events';
import { panelHtml } from './html';
import { isFromWebview, type FromWebview, type ToWebview } from './protocol';

const VIEW_ID = 'codexNetworkPolicy.decisionLog';

export interface PanelActions {
  handle(m: Exclude<FromWebview, { type: 'ready' }>): Promise<void> | void;
  statusText(): string;
}

export class DecisionLogPanels implements vscode.Disposable, vscode.WebviewViewProvider {
  private panel: vscode.WebviewPanel | undefined;
  private view: vscode.WebviewView | undefined;
  private readonly ready = new Set<vscode.Webview>();
  private batch: DecisionEvent[] = [];
  private updates = new Map<number, DecisionEvent>();
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly extensionUri: vscode.Uri, private readonly store: DecisionStore, private readonly actions: PanelActions) {
    this.disposables.push(
      vscode.window.registerWebviewViewProvider(VIEW_ID, this, { webviewOptions: { retainContextWhenHidden: true } }),
      store.onChange((c) => {
        if (c.cleared) {
          this.batch = [];
          this.updates.clear();
          this.post({ type: 'clear' });
        } else if (c.added) {
          this.batch.push(c.added);
          this.flushTimer ??= setTimeout(() => this.flush(), 50);
        } else if (c.updated) {
          this.updates.set(c.updated.id, c.updated);
          this.flushTimer ??= setTimeout(() => this.flush(), 50);
        }
      }),
    );
  }

  private flush(): void {
    this.flushTimer = undefined;
    const events = this.batch;
    this.batch = [];
    // An update for an event still in this batch is already in it (same object).
    const updates = [...this.updates.values()].filter((u) => !events.includes(u));
    this.updates.clear();
    if (events.length) this.post({ type: 'add', events });
    if (updates.length) this.post({ type: 'update', events: updates });
  }

  private post(m: ToWebview): void {
    for (const w of this.ready) void w.postMessage(m);
  }

  updateStatus(): void {
    this.post({ type: 'status', status: this.actions.statusText() });
  }

  private setup(webview: vscode.Webview, onDispose: (l: () => void) => vscode.Disposable): void {
    webview.options = { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist')] };
    webview.html = panelHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'panel.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'panel.css')).toString(),
    });
    const sub = webview.onDidReceiveMessage(async (m: unknown) => {
      if (!isFromWebview(m)) return;
      if (m.type === 'ready') {
        this.flush();
        this.ready.add(webview);
        void webview.postMessage({ type: 'init', events: this.store.all(), status: this.actions.statusText() } satisfies ToWebview);
        return;
      }
      try {
        await this.actions.handle(m);
      } catch (e) {
        void vscode.window.showErrorMessage(`Codex Network Policy: ${e instanceof Error ? e.message : String(e)}`);
      }
    });
    onDispose(() => {
      this.ready.delete(webview);
      sub.dispose();
    });
  }

  /** Editor-area tab. */
  showPanel(): void {
    if (this.panel) {
      this.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(VIEW_ID + '.panel', 'Codex Decision Log', vscode.ViewColumn.Active, { retainContextWhenHidden: true });
    this.panel = panel;
    this.setup(panel.webview, (l) => panel.onDidDispose(() => {
      l();
      this.panel = undefined;
    }));
  }

  /** Panel-area view. */
  async showView(): Promise<void> {
    await vscode.commands.executeCommand(`${VIEW_ID}.focus`);
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.setup(view.webview, (l) => view.onDidDispose(() => {
      l();
      this.view = undefined;
    }));
  }

  focusFilter(): void {
    this.post({ type: 'focusFilter' });
  }

  get visible(): boolean {
    return !!this.panel || !!this.view;
  }

  dispose(): void {
    clearTimeout(this.flushTimer);
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
