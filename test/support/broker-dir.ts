// A test broker's own directory: its config, every file it reads (password file, ACL, TLS
// material) and everything it writes (persistence, Unix sockets). Started as root, mosquitto
// drops to its own user before it opens any of them, and that user may not enter the checkout
// (a clone under /root or in a `mktemp -d`), so nothing a broker reads is handed to it from there:
// it is copied here, into a directory that belongs to the user the broker runs as (issue 23).
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

interface Owner {
  name: string;
  uid: number;
  gid: number;
}

let brokerOwner: Owner | null | undefined;

/** The user mosquitto runs as: started as root, its own `mosquitto` (or `nobody`, as mosquitto falls back); otherwise ours (null). */
function owner(): Owner | null {
  if (brokerOwner !== undefined) return brokerOwner;
  brokerOwner = null;
  if (process.getuid?.() === 0) {
    for (const name of ['mosquitto', 'nobody']) {
      let entry: string;
      try {
        entry = execFileSync('getent', ['passwd', name], { encoding: 'utf8' });
      } catch {
        continue;
      }
      const [, , uid, gid] = entry.split(':');
      brokerOwner = { name, uid: Number(uid), gid: Number(gid) };
      break;
    }
  }
  return brokerOwner;
}

/** Fails naming the folder on the way to `dir` that `user` may not enter (a TMPDIR inside a private home, say). */
function assertReachable(dir: string, user: Owner): void {
  for (let folder = dir; ; folder = path.dirname(folder)) {
    const { mode, uid, gid } = statSync(folder);
    const enter = uid === user.uid ? mode & 0o100 : gid === user.gid ? mode & 0o010 : mode & 0o001;
    if (!enter) throw new Error(`mosquitto, started as root, runs as ${user.name}, which may not enter ${folder}: set TMPDIR to a directory it can reach`);
    if (folder === path.dirname(folder)) return;
  }
}

export class BrokerDir {
  readonly path: string;
  private readonly owner = owner();

  constructor() {
    if (this.owner) assertReachable(os.tmpdir(), this.owner);
    this.path = mkdtempSync(path.join(os.tmpdir(), 'reservation-broker-'));
    if (this.owner) chownSync(this.path, this.owner.uid, this.owner.gid);
  }

  /** Copies `source` in for the broker to read, readable by it alone; returns the copy's path. */
  copy(source: string, name = path.basename(source)): string {
    const target = this.join(name);
    copyFileSync(source, target);
    chmodSync(target, 0o600);
    if (this.owner) chownSync(target, this.owner.uid, this.owner.gid);
    return target;
  }

  /** The path of `name` in it: for what the broker creates there itself (a Unix socket, its persistence file). */
  join(name: string): string {
    return path.join(this.path, name);
  }

  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}
