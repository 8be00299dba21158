/**
 * Bounds on the shape of a JSON body, checked on its text before JSON.parse.
 *
 * Why: the byte limit alone lets a small gzip body expand to millions of nested
 * or empty arrays, which JSON.parse builds in one blocking call (seconds of a
 * stalled event loop, over a gigabyte of memory). Counting brackets and commas
 * first costs one pass over the bytes, and refuses such a body before any of it
 * is built.
 */

export interface JsonShapeLimits {
  /** Deepest nesting of arrays and objects: `[]` is depth 1. */
  maxDepth: number;
  /** Most elements: arrays and objects opened, plus array items and object members after the first (commas). */
  maxElements: number;
}

/** Far deeper than any body gpu-roi reads (an ingest batch nests 4 levels: batch, gpuWindows, window; labels). */
export const DEFAULT_MAX_JSON_DEPTH = 64;

/**
 * A body of `maxBytes` may hold one element per 8 bytes: a legitimate ingest
 * window spends 15 to 25 bytes on each of its fields, and every other body is
 * small. Bodies denser than that are lists of tiny values that no endpoint takes.
 */
export function jsonShapeLimitsFor(maxBytes: number): JsonShapeLimits {
  return { maxDepth: DEFAULT_MAX_JSON_DEPTH, maxElements: Math.max(1024, Math.floor(maxBytes / 8)) };
}

export type JsonShapeViolation = { kind: "depth"; limit: number } | { kind: "elements"; limit: number };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const COMMA = 0x2c;

/**
 * The first limit the JSON text passes, or null. Brackets and commas inside
 * strings are skipped. Malformed text is not this function's concern: JSON.parse
 * refuses it afterwards. One pass of charCodeAt over the text, nothing
 * allocated: on ingest batches, about a fifth to two fifths of what decoding and
 * JSON.parse spend on the same body (about 1 µs a window on a busy 2-core machine).
 */
export function jsonShapeViolation(text: string, limits: JsonShapeLimits): JsonShapeViolation | null {
  const { maxDepth, maxElements } = limits;
  const length = text.length;
  let depth = 0;
  let elements = 0;
  for (let index = 0; index < length; index++) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) {
      for (index++; index < length; index++) {
        const inString = text.charCodeAt(index);
        if (inString === QUOTE) break;
        if (inString === BACKSLASH) index++;
      }
    } else if (code === OPEN_ARRAY || code === OPEN_OBJECT) {
      if (++depth > maxDepth) return { kind: "depth", limit: maxDepth };
      if (++elements > maxElements) return { kind: "elements", limit: maxElements };
    } else if (code === CLOSE_ARRAY || code === CLOSE_OBJECT) {
      depth--;
    } else if (code === COMMA) {
      if (++elements > maxElements) return { kind: "elements", limit: maxElements };
    }
  }
  return null;
}
