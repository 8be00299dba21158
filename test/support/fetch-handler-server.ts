/**
 * A real HTTP server on 127.0.0.1 in front of a fetch-style handler
 * (Request → Response), for tests that drive gpu-roi's handlers over HTTP
 * (cookies, redirects) without building the Next.js app.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface FetchHandlerServer {
  url: string;
  close(): Promise<void>;
}

export async function startFetchHandlerServer(handler: (request: Request, baseUrl: string) => Promise<Response>): Promise<FetchHandlerServer> {
  let baseUrl = "";
  const server = http.createServer(async (incoming, outgoing) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [name, value] of Object.entries(incoming.headers)) {
      if (typeof value === "string") headers.set(name, value);
      else if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    }
    const body = Buffer.concat(chunks);
    let response: Response;
    try {
      response = await handler(new Request(`${baseUrl}${incoming.url ?? "/"}`, { method: incoming.method, headers, body: body.length > 0 ? body : undefined }), baseUrl);
    } catch (error) {
      response = new Response(`test server: ${(error as Error).stack}`, { status: 500 });
    }
    const outHeaders: Record<string, string | string[]> = {};
    response.headers.forEach((value, name) => {
      if (name !== "set-cookie") outHeaders[name] = value;
    });
    const cookies = response.headers.getSetCookie();
    if (cookies.length > 0) outHeaders["set-cookie"] = cookies;
    outgoing.writeHead(response.status, outHeaders);
    outgoing.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: baseUrl, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
