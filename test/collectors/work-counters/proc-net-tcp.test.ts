import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { parseProcNetTcp, ProcSockets, socketInode } from "../../../collectors/work-counters/proc-net-tcp";

const fixturesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "fixtures", "proc-net");
const readFixture = (name: string) => readFileSync(path.join(fixturesDir, name), "utf8");

describe("parseProcNetTcp", () => {
  it("lists the listening IPv4 sockets with address, port and inode, leaving out connections", () => {
    expect(parseProcNetTcp(readFixture("linux-x86_64__tcp.txt"), "/proc/net/tcp")).toEqual([
      { address: "127.0.0.1", port: 25672, inode: 7015 },
      { address: "0.0.0.0", port: 2024, inode: 1170 },
      { address: "127.0.0.1", port: 3306, inode: 9875 },
    ]);
  });

  it("decodes IPv6 addresses of /proc/net/tcp6", () => {
    expect(parseProcNetTcp(readFixture("linux-x86_64__tcp6.txt"), "/proc/net/tcp6")).toEqual([
      { address: "0000:0000:0000:0000:0000:0000:0000:0001", port: 4369, inode: 5768 },
      { address: "0000:0000:0000:0000:0000:0000:0000:0001", port: 6379, inode: 5230 },
    ]);
  });

  it("names the file, line and field of a malformed entry", () => {
    const text = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:XYZW 00000000:0000 0A 00000000:00000000 00:00000000 00000000   106        0 7015 1\n";
    expect(() => parseProcNetTcp(text, "/proc/net/tcp")).toThrow('/proc/net/tcp line 2, field local_address: "0100007F:XYZW" is not ADDRESS:PORT in hex');
  });
});

describe("socketInode", () => {
  it("reads the inode of a socket link and nothing else", () => {
    expect(socketInode("socket:[7015]")).toBe(7015);
    expect(socketInode("pipe:[7015]")).toBeNull();
    expect(socketInode("/dev/null")).toBeNull();
  });
});

describe("ProcSockets", () => {
  let root: string | null = null;
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
    root = null;
  });

  /** A /proc copy: net/tcp from the fixture, and processes whose fd links point at sockets. */
  function fakeProc(processes: Record<number, string[]>): string {
    root = mkdtempSync(path.join(tmpdir(), "gpu-roi-proc-"));
    mkdirSync(path.join(root, "net"));
    writeFileSync(path.join(root, "net", "tcp"), readFixture("linux-x86_64__tcp.txt"));
    for (const [pid, links] of Object.entries(processes)) {
      mkdirSync(path.join(root, pid, "fd"), { recursive: true });
      links.forEach((link, fd) => symlinkSync(link, path.join(root!, pid, "fd", String(fd))));
    }
    return root;
  }

  it("finds the process holding the socket that listens on a port", () => {
    const sockets = new ProcSockets(fakeProc({ 41: ["/dev/null", "socket:[9875]"], 42: ["socket:[7015]", "pipe:[3]"] }));
    expect(sockets.listeningPid(25672)).toBe(42);
    expect(sockets.listeningPid(3306)).toBe(41);
  });

  it("finds nothing for a port nobody listens on, or a socket no visible process holds", () => {
    const sockets = new ProcSockets(fakeProc({ 42: ["socket:[7015]"] }));
    expect(sockets.listeningPid(8000)).toBeNull();
    expect(sockets.listeningPid(2024)).toBeNull();
  });
});
