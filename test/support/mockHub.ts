/**
 * A stand-in for the Hugging Face Hub on 127.0.0.1, in the hub's real URL layout, for tests
 * that must not touch the network: model info (`/api/models/ORG/NAME/revision/REV`), the file
 * tree (`/api/models/ORG/NAME/tree/REV`), and `/ORG/NAME/resolve/REV/FILE`, which serves small
 * files itself (ETag: git blob sha1) and redirects LFS files (*.safetensors) with 302 to a
 * content URL (X-Linked-Etag: their sha256), as the hub does. Both honour Range. Every request
 * is recorded, and faults can be armed: a connection cut mid-file, wrong bytes, a stall.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { etagOf, gitBlobSha1, isLfs, sha256 } from './hubHashes';

export interface MockRepo {
  files: Record<string, Buffer>;
  /** Files, even the model info, need the token (a private repo). */
  private?: boolean;
  /** The model info and tree are public, the files need the token (a gated repo). */
  gated?: boolean;
  /** Sizes the tree claims instead of the true ones (a model too large for the disk). */
  listedSizes?: Record<string, number>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  range?: string;
  authorization?: string;
}

/** The token the mock accepts for private and gated repos. */
export const MOCK_TOKEN = 'hf_mocktoken';

export const commitOf = (repo: string): string => createHash('sha1').update(`commit of ${repo}`).digest('hex');

/** The URL of a port nothing listens on: a hub out of reach. */
export async function unreachableUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** Every file of a model folder written by tinyModels, as a repo's files. */
export function repoFiles(folder: string): Record<string, Buffer> {
  return Object.fromEntries(fs.readdirSync(folder).map((name) => [name, fs.readFileSync(path.join(folder, name))]));
}

export class MockHub {
  readonly requests: RecordedRequest[] = [];
  /** Files whose next transfer sends half its bytes, then drops the connection. */
  readonly cutOnce = new Set<string>();
  /** Files always served with one byte changed (the ETag stays the true one). */
  readonly corrupt = new Set<string>();
  /** Files whose next transfer sends half its bytes and then hangs; `onStall` hears when. */
  readonly stallOnce = new Set<string>();
  onStall: (file: string) => void = () => {};
  /** Bytes a second for file contents (0: as fast as possible), to watch progress. */
  bytesPerSecond = 0;
  private readonly sockets = new Set<import('node:net').Socket>();

  private constructor(
    private readonly server: http.Server,
    readonly repos: Record<string, MockRepo>,
  ) {
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(repos: Record<string, MockRepo>): Promise<MockHub> {
    let hub: MockHub | undefined;
    const server = http.createServer((request, response) => hub!.handle(request, response));
    hub = new MockHub(server, repos);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return hub;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Requests whose path contains `fragment`. */
  requestsFor(fragment: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path.includes(fragment));
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const url = new URL(request.url ?? '/', this.url);
    this.requests.push({ method: request.method ?? 'GET', path: url.pathname, range: request.headers.range, authorization: request.headers.authorization });
    const authorized = request.headers.authorization === `Bearer ${MOCK_TOKEN}`;
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/(revision|tree)\/([^/]+)$/.exec(url.pathname);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const content = /^\/lfs-content\/([^/]+\/[^/]+)\/(.+)$/.exec(url.pathname);
    const repoName = api?.[1] ?? resolve?.[1] ?? content?.[1];
    const repo = repoName ? this.repos[repoName] : undefined;
    if (!repo || !repoName) return json(response, 404, { error: 'Repository not found' }, 'RepoNotFound');
    if (repo.private && !authorized) return json(response, 401, { error: 'Invalid credentials in Authorization header' }, 'RepoNotFound');
    const revision = decodeURIComponent(api?.[3] ?? resolve?.[2] ?? 'main');
    if (revision !== 'main' && revision !== commitOf(repoName)) return json(response, 404, { error: `Invalid rev id: ${revision}` }, 'RevisionNotFound');
    if (api?.[2] === 'revision') return json(response, 200, modelInfo(repoName, repo));
    if (api) return json(response, 200, tree(repo));
    if (repo.gated && !authorized) return json(response, 401, { error: `Access to model ${repoName} is restricted.` }, 'GatedRepo');
    const name = decodeURIComponent((resolve?.[3] ?? content?.[2])!);
    const data = repo.files[name];
    if (!data) return json(response, 404, { error: 'Entry not found' }, 'EntryNotFound');
    const common = { 'X-Repo-Commit': commitOf(repoName) };
    if (resolve && isLfs(name)) {
      response.writeHead(302, { ...common, Location: `/lfs-content/${repoName}/${encodeURIComponent(name)}`, ETag: `"${sha256(data)}"`, 'X-Linked-Etag': `"${sha256(data)}"`, 'X-Linked-Size': String(data.length) });
      return void response.end();
    }
    this.serveBytes(request, response, name, data, { ...common, ETag: `"${etagOf(name, data)}"` });
  }

  private serveBytes(request: http.IncomingMessage, response: http.ServerResponse, name: string, original: Buffer, headers: Record<string, string>): void {
    const data = this.corrupt.has(name) ? Buffer.from(original.map((byte, i) => (i === 7 ? byte ^ 0xff : byte))) : original;
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    if (start >= data.length && range) {
      response.writeHead(416, { 'Content-Range': `bytes */${data.length}` });
      return void response.end();
    }
    const body = data.subarray(start);
    response.writeHead(range ? 206 : 200, {
      ...headers,
      'Content-Length': String(body.length),
      'Accept-Ranges': 'bytes',
      ...(range ? { 'Content-Range': `bytes ${start}-${data.length - 1}/${data.length}` } : {}),
    });
    const half = Math.floor(body.length / 2);
    // The cut waits a moment, so the client has the first half when the connection drops.
    if (this.cutOnce.delete(name)) return void response.write(body.subarray(0, half), () => setTimeout(() => response.socket?.destroy(), 100));
    if (this.stallOnce.delete(name)) return void response.write(body.subarray(0, half), () => this.onStall(name));
    this.send(response, body);
  }

  /** The body, paced to bytesPerSecond in tenth-of-a-second slices when that is set. */
  private send(response: http.ServerResponse, body: Buffer): void {
    if (!this.bytesPerSecond) return void response.end(body);
    const slice = Math.max(1, Math.round(this.bytesPerSecond / 10));
    let offset = 0;
    const next = (): void => {
      if (response.destroyed) return;
      response.write(body.subarray(offset, offset + slice));
      offset += slice;
      if (offset >= body.length) response.end();
      else setTimeout(next, 100);
    };
    next();
  }
}

function json(response: http.ServerResponse, status: number, body: unknown, errorCode?: string): void {
  response.writeHead(status, { 'Content-Type': 'application/json', ...(errorCode ? { 'X-Error-Code': errorCode } : {}) });
  response.end(JSON.stringify(body));
}

function modelInfo(name: string, repo: MockRepo): unknown {
  return { _id: `id-${name}`, id: name, sha: commitOf(name), private: !!repo.private, gated: repo.gated ? 'auto' : false, siblings: Object.keys(repo.files).map((rfilename) => ({ rfilename })) };
}

function tree(repo: MockRepo): unknown {
  return Object.entries(repo.files).map(([name, data]) => {
    const size = repo.listedSizes?.[name] ?? data.length;
    return { type: 'file', path: name, size, oid: gitBlobSha1(data), ...(isLfs(name) ? { lfs: { oid: sha256(data), size, pointerSize: 134 } } : {}) };
  });
}
