/**
 * Which process listens on a TCP port, from /proc: /proc/net/tcp and tcp6 list
 * the sockets of the reader's network namespace with their inode, and
 * /proc/<pid>/fd/* links to `socket:[<inode>]` name the processes holding them.
 * The parsing is pure; ProcSockets does the reads.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import path from "node:path";
import { CaptureParseError } from "../sources/parse-values";

/** A socket in the LISTEN state. */
export interface ListeningSocket {
  /** Dotted IPv4 or full IPv6 (lower-case hex groups) address it is bound to. */
  address: string;
  port: number;
  inode: number;
}

const TCP_LISTEN = "0A";

/** "0100007F" (IPv4, host byte order of a little-endian kernel) → "127.0.0.1". */
function decodeIpv4(hex: string): string {
  return [6, 4, 2, 0].map((offset) => parseInt(hex.slice(offset, offset + 2), 16)).join(".");
}

/** 32 hex digits, four little-endian 32-bit words → "0000:0000:...:0001". */
function decodeIpv6(hex: string): string {
  const bytes: string[] = [];
  for (let word = 0; word < 4; word++) {
    const chunk = hex.slice(word * 8, word * 8 + 8);
    for (const offset of [6, 4, 2, 0]) bytes.push(chunk.slice(offset, offset + 2));
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(`${bytes[i]}${bytes[i + 1]}`.toLowerCase());
  return groups.join(":");
}

/**
 * The listening sockets of a /proc/net/tcp or /proc/net/tcp6 text. `file` names
 * it in errors; a line that is not a socket entry is an error naming the line
 * and field.
 */
export function parseProcNetTcp(text: string, file: string): ListeningSocket[] {
  const sockets: ListeningSocket[] = [];
  const lines = text.split("\n");
  lines.forEach((rawLine, index) => {
    const line = rawLine.trim();
    if (index === 0 || line === "") return; // the header
    const fields = line.split(/\s+/);
    const fail = (field: string, problem: string): never => {
      throw new CaptureParseError({ source: file, line: index + 1, field }, problem);
    };
    if (fields.length < 10) fail("line", `expected at least 10 fields, got ${fields.length}`);
    const local = /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/.exec(fields[1]);
    if (!local) return fail("local_address", `${JSON.stringify(fields[1])} is not ADDRESS:PORT in hex`);
    if (!/^[0-9A-Fa-f]{2}$/.test(fields[3])) fail("st", `${JSON.stringify(fields[3])} is not a hex state`);
    if (!/^\d+$/.test(fields[9])) fail("inode", `${JSON.stringify(fields[9])} is not a number`);
    if (fields[3].toUpperCase() !== TCP_LISTEN) return;
    sockets.push({
      address: local[1].length === 8 ? decodeIpv4(local[1]) : decodeIpv6(local[1]),
      port: parseInt(local[2], 16),
      inode: Number(fields[9]),
    });
  });
  return sockets;
}

/** The inode of a `/proc/<pid>/fd/N` link target `socket:[12345]`; null for anything else. */
export function socketInode(linkTarget: string): number | null {
  const match = /^socket:\[(\d+)\]$/.exec(linkTarget);
  return match ? Number(match[1]) : null;
}

/**
 * Finds the process listening on a port, under a /proc root. Only sockets of
 * the collector's network namespace are listed (/proc/net is the reader's), so
 * a server inside a pod's own namespace is found through its pod instead (see
 * pod-annotations.ts). Socket inodes are remembered with their process, so the
 * full scan of /proc/<pid>/fd runs only when a socket is new.
 */
export class ProcSockets {
  private readonly ownerByInode = new Map<number, number>();

  constructor(
    private readonly procRoot: string,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /** The pid listening on `port`, or null when no listening socket or no owner is found. */
  listeningPid(port: number): number | null {
    const inodes = this.listeningInodes(port);
    for (const inode of inodes) {
      const known = this.ownerByInode.get(inode);
      if (known !== undefined && this.holds(known, inode)) return known;
    }
    if (inodes.length === 0) return null;
    this.scanOwners();
    for (const inode of inodes) {
      const owner = this.ownerByInode.get(inode);
      if (owner !== undefined) return owner;
    }
    return null;
  }

  private listeningInodes(port: number): number[] {
    const inodes: number[] = [];
    for (const name of ["tcp", "tcp6"]) {
      const file = path.join(this.procRoot, "net", name);
      let text: string;
      try {
        text = readFileSync(file, "latin1");
      } catch {
        continue; // no IPv6, or no /proc/net at this root
      }
      try {
        for (const socket of parseProcNetTcp(text, file)) if (socket.port === port) inodes.push(socket.inode);
      } catch (error) {
        this.log(`work: ${(error as Error).message}`);
      }
    }
    return inodes;
  }

  private fdLinks(pid: number): string[] {
    const dir = path.join(this.procRoot, String(pid), "fd");
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return []; // gone, or another user's process without the privilege to look
    }
    const links: string[] = [];
    for (const name of names) {
      try {
        links.push(readlinkSync(path.join(dir, name)));
      } catch {
        /* closed meanwhile */
      }
    }
    return links;
  }

  private holds(pid: number, inode: number): boolean {
    return this.fdLinks(pid).some((link) => socketInode(link) === inode);
  }

  private scanOwners(): void {
    this.ownerByInode.clear();
    let entries: string[];
    try {
      entries = readdirSync(this.procRoot);
    } catch {
      return;
    }
    for (const entry of entries) {
      if (!/^\d+$/.test(entry)) continue;
      const pid = Number(entry);
      for (const link of this.fdLinks(pid)) {
        const inode = socketInode(link);
        if (inode !== null && !this.ownerByInode.has(inode)) this.ownerByInode.set(inode, pid);
      }
    }
  }
}
