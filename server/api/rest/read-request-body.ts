import { gunzipSync } from "node:zlib";
import { ServiceError } from "../../services/service-error";
import { jsonShapeLimitsFor, jsonShapeViolation, type JsonShapeLimits } from "./json-shape-limits";

/**
 * Reads a request body of at most `maxBytes` (after gzip decompression, when the
 * body is gzip-encoded) and parses it as JSON. Stops reading as soon as the limit
 * is passed, so an oversized upload costs no more than the limit; and refuses
 * JSON nested too deep (400) or with too many elements (413) before parsing it,
 * so a small body cannot make JSON.parse build millions of arrays.
 */
export async function readJsonBody(request: Request, maxBytes: number, shapeLimits: JsonShapeLimits = jsonShapeLimitsFor(maxBytes)): Promise<unknown> {
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

  // Invalid UTF-8 is refused rather than silently replaced with U+FFFD, so what is
  // stored is exactly what was sent.
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    throw new ServiceError(400, "body: not valid UTF-8");
  }
  const violation = jsonShapeViolation(text, shapeLimits);
  if (violation?.kind === "depth") throw new ServiceError(400, `body: JSON nested deeper than ${violation.limit} levels`);
  if (violation?.kind === "elements") {
    throw new ServiceError(413, `body: more than ${violation.limit} JSON elements (arrays, objects and the items in them)`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ServiceError(400, `body: not valid JSON (${(error as Error).message})`);
  }
}

/**
 * Refuses a body declared as something other than JSON (415): `application/json`
 * or a `+json` type, with any parameters, or no Content-Type at all. A form or a
 * text body is a client mistake, and refusing it keeps what the server accepts
 * exactly what the docs say.
 */
export function requireJsonContentType(request: Request): void {
  const declared = request.headers.get("content-type");
  if (declared === null) return;
  const type = declared.split(";")[0].trim().toLowerCase();
  if (type === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(type)) return;
  throw new ServiceError(415, `content-type: "${declared.slice(0, 100)}" is not JSON (send application/json)`, "content-type");
}
