import type { Readable } from 'node:stream';
import { FormDataEncoder, type FileLike, type FormDataEntryValue, type FormDataLike } from 'form-data-encoder';

/**
 * A file to upload to the Cloud API, read as a stream: a 100 MB document is never held in memory. `open` is called
 * once per attempt (a retried upload reads the bytes afresh); `size` is the exact byte count it yields, so the
 * request carries a Content-Length rather than chunked encoding.
 */
export interface MediaSource {
  open: () => Readable;
  /** Bytes. */
  size: number;
  /** The MIME type, as Meta's supported media types table writes it (also sent as the `type` field). */
  mimeType: string;
  /** The file name the part carries (a document's name as the customer will see it). */
  filename: string;
}

/** A File as form-data-encoder reads it: name, type, size and a stream opened only when the body is sent. */
class StreamedFile implements FileLike {
  readonly [Symbol.toStringTag] = 'File';
  readonly lastModified = 0;
  constructor(private readonly source: MediaSource) {}
  get name(): string {
    return this.source.filename;
  }
  get type(): string {
    return this.source.mimeType;
  }
  get size(): number {
    return this.source.size;
  }
  stream(): AsyncIterable<Uint8Array> {
    return atMost64KiB(this.source.open());
  }
}

const ENCODER_CHUNK = 64 * 1024;

/**
 * The same bytes in views of at most 64 KiB, none copied. form-data-encoder 4.1.0 splits a larger chunk by slicing
 * its `buffer` from 0, ignoring `byteOffset`: GridFS yields 255 KB views into larger buffers, and those went out as
 * other bytes (caught by test/simulator/media-upload.unit.test.ts). Chunks of 64 KiB or less it passes through as given.
 */
async function* atMost64KiB(source: Readable): AsyncIterable<Uint8Array> {
  for await (const chunk of source) {
    const bytes = chunk as Uint8Array;
    for (let start = 0; start < bytes.byteLength; start += ENCODER_CHUNK) yield bytes.subarray(start, start + ENCODER_CHUNK);
  }
}

/** The few form fields of one upload, in the order given (a FormData without Node's Blob-only file values). */
class Fields implements FormDataLike {
  readonly [Symbol.toStringTag] = 'FormData';
  private readonly list: [string, FormDataEntryValue][] = [];
  append(name: string, value: unknown): void {
    this.list.push([name, value as FormDataEntryValue]);
  }
  getAll(name: string): FormDataEntryValue[] {
    return this.list.filter(([n]) => n === name).map(([, v]) => v);
  }
  entries(): IterableIterator<[string, FormDataEntryValue]> {
    return this.list[Symbol.iterator]();
  }
  [Symbol.iterator](): IterableIterator<[string, FormDataEntryValue]> {
    return this.entries();
  }
}

/**
 * The `multipart/form-data` body of `POST /{phone-number-id}/media`: `messaging_product`, `type` (the MIME type) and
 * `file`, as Meta's media reference lists them
 * (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media#upload-media). Answers the headers
 * (content type with its boundary, exact content length) and the body as an async iterable for `fetch`.
 */
export function mediaUploadBody(source: MediaSource): { headers: Record<string, string>; body: AsyncIterable<Uint8Array> } {
  const form = new Fields();
  form.append('messaging_product', 'whatsapp');
  form.append('type', source.mimeType);
  form.append('file', new StreamedFile(source));
  const encoder = new FormDataEncoder(form);
  return { headers: { ...encoder.headers }, body: encoder.encode() };
}
