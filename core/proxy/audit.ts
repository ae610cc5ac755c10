// Optional JSONL audit file. Rotation at ~10 MiB keeps 3 older files (FILE.1 … FILE.3).
// Writes are synchronous appends: an audit line is never lost to a crash after a decision. The
// file stays open between writes (an open/close per event was ~5% of the proxy's CPU under load).
import { closeSync, existsSync, fstatSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { eventLine } from './eventLine';
import type { ProxyEvent } from './events';

const AUDIT_MAX_BYTES = 10 * 1024 * 1024;
const AUDIT_KEEP = 3;

export class AuditFile {
  private fd: number;
  private size: number;
  constructor(private readonly file: string, private readonly maxBytes = AUDIT_MAX_BYTES, private readonly keep = AUDIT_KEEP) {
    this.fd = openSync(file, 'a', 0o600);
    this.size = fstatSync(this.fd).size;
  }

  write(e: ProxyEvent): void {
    if (this.fd < 0) return;
    const line = Buffer.from(eventLine(e) + '\n');
    if (this.size > 0 && this.size + line.length > this.maxBytes) this.rotate();
    writeSync(this.fd, line);
    this.size += line.length;
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }

  private rotate(): void {
    closeSync(this.fd);
    const last = `${this.file}.${this.keep}`;
    if (existsSync(last)) unlinkSync(last);
    for (let i = this.keep - 1; i >= 1; i--) {
      const from = `${this.file}.${i}`;
      if (existsSync(from)) renameSync(from, `${this.file}.${i + 1}`);
    }
    renameSync(this.file, `${this.file}.1`);
    this.fd = openSync(this.file, 'a', 0o600);
    this.size = 0;
  }
}
