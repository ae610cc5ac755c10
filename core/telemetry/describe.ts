// One line for an OTLP export status event: the CLI's text output and the extension's log.
import type { TelemetryEvent } from '../proxy/protocol';

export function describeTelemetry(e: Omit<TelemetryEvent, 'event' | 'time'>): string {
  const counts = `${e.exported} exported, ${e.dropped} dropped${e.queued ? `, ${e.queued} queued` : ''}`;
  switch (e.status) {
    case 'started': return `OTLP export to ${e.endpoint} (${e.protocol})`;
    case 'failing': return `OTLP export to ${e.endpoint} failing (${e.lastError ?? 'unknown error'}): ${counts}; the local log is complete`;
    case 'ok': return `OTLP export to ${e.endpoint}: ${counts}`;
    case 'stopped': return `OTLP export stopped: ${counts}`;
  }
}
