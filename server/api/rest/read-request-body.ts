import { gunzipSync } from "node:zlib";
import { ServiceError } from "../../services/service-error";

/**
 * Reads a request body of at most `maxBytes` (after gzip decompression, when the
 * body is gzip-encoded) and parses it as JSON. Stops reading as soon as the limit
 * is passed, so an oversized upload costs no more than the limit.
 */
export async function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  const declaredLength = Number(request.headers.get("content-length") ?? "0");
  if (declaredLength > maxBytes) throw new ServiceError(413, `body: larger than the limit of ${maxBytes} bytes`);

  const chunks: Uint8Array[] = [];
  let receivedBytes = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      receivedBytes += value.byteLength;
      if (receivedBytes > maxBytes) {
        await reader.cancel();
        throw new ServiceError(413, `body: larger than the limit of ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  }
  let body = Buffer.concat(chunks);

  const encoding = (request.headers.get("content-encoding") ?? "identity").toLowerCase();
  if (encoding === "gzip") {
    try {
      body = gunzipSync(body, { maxOutputLength: maxBytes });
    } catch (error) {
      if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
        throw new ServiceError(413, `body: larger than the limit of ${maxBytes} bytes once decompressed`);
      }
      throw new ServiceError(400, "body: not valid gzip data");
    }
  } else if (encoding !== "identity") {
    throw new ServiceError(415, `content-encoding: "${encoding}" is not supported (use gzip or none)`, "content-encoding");
  }

  try {
    return JSON.parse(body.toString("utf8"));
  } catch (error) {
    throw new ServiceError(400, `body: not valid JSON (${(error as Error).message})`);
  }
}
