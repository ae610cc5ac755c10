// A sample decision event for client tests; override fields per case.
import type { DecisionEvent } from '../../client/logic/events';

export function ev(over: Partial<DecisionEvent> = {}): DecisionEvent {
  return {
    event: 'decision', id: 1, time: '2026-01-01T10:00:00.000Z', decision: 'allow', reason: null, proxyError: null, status: 200,
    source: 'baseline_policy', protocol: 'https', method: 'GET', host: 'api.github.com', port: 443, path: '/repos/a', client: '127.0.0.1:1',
    mitm: true, hook: 'gh_read', actions: ['bot'], headers: { strip: ['authorization'], inject: ['authorization'] },
    rule: { file: '/p/config.toml', line: 5 }, profile: 'work', mode: 'full', ...over,
  };
}
