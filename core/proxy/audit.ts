// Optional JSONL audit file. Rotation at ~10 MiB keeps 3 older files (FILE.1 … FILE.3).
// Writes are synchronous appends: an audit line is never lost to a crash after a decision.
import { appendFileSync, existsSync, renameSync, statSync, unlinkSync } from 'node:fs';
import type { ProxyEvent } from './events';

const AUDIT_MAX_BYTES = 10 * 1024 * 1024;
const AUDIT_KEEP = 3;

export class AuditFile {
  private size: number;
  constructor(private readonly file: string, private readonly maxBytes = AUDIT_MAX_BYTES, private readonly keep = AUDIT_KEEP) {
    this.size = existsSync(file) ? statSync(file).size : 0;
    appendFileSync(file, '', { mode: 0o600 });
  }

  write(e: ProxyEvent): void {
    const line = JSON.stringify(e) + '\n';
    const bytes = Buffer.byteLength(line);
    if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
    appendFileSync(this.file, line, { mode: 0o600 });
    this.size += bytes;
  }

  private rotate(): void {
    const last = `${this.file}.${this.keep}`;
    if (existsSync(last)) unlinkSync(last);
    for (let i = this.keep - 1; i >= 1; i--) {
      const from = `${this.file}.${i}`;
      if (existsSync(from)) renameSync(from, `${this.file}.${i + 1}`);
    }
    renameSync(this.file, `${this.file}.1`);
    this.size = 0;
  }
}
