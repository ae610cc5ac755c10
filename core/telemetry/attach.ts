// Hooks the OTLP exporter onto the proxy's decision event stream as one more sink (beside stdout
// and the audit file). The SDK is imported here, on demand: a proxy without OTLP never loads it.
// In the bundle `./otlp` is its own file (dist/otlp.js, see scripts/build.mjs).
import { createHash } from 'node:crypto';
import type { EventLog } from '../proxy/events';
import type { OtlpConfig } from './config';
import type { PolicyDigests } from './attributes';
import type { OtlpSink } from './otlp';

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export function policyDigests(texts: { config?: string; requirements?: string }): PolicyDigests {
  return {
    policy: sha256(`config.toml\0${texts.config ?? ''}\0requirements.toml\0${texts.requirements ?? ''}`),
    requirements: texts.requirements !== undefined ? sha256(texts.requirements) : '',
  };
}

export type AttachOtlp = (events: EventLog) => OtlpSink;

/** Loads the SDK (before the proxy listens, so a broken install fails the start, not a running proxy). */
export async function prepareOtlp(config: OtlpConfig, opts: { env: Record<string, string | undefined>; version: string; digests: () => PolicyDigests }): Promise<AttachOtlp> {
  const { startOtlpExport } = await import('./otlp');
  return (events) => {
    const sink = startOtlpExport({ config, env: opts.env, version: opts.version, digests: opts.digests, report: (s) => events.telemetry(s) });
    events.onEvent((e) => sink.onEvent(e));
    return sink;
  };
}
