import type { Readable } from 'node:stream';
import { GridFSBucket, type GridFSBucketWriteStream } from 'mongodb';
import type { MediaType } from '../lib/inbound-message.schema';
import type { Store } from './db';

export interface MediaMetadata {
  /** What the bytes really are (checked with the file-type library), as Meta's media table writes it. */
  mimeType: string;
  /** Bytes. */
  size: number;
  /** Hex sha256 of the bytes. */
  sha256: string;
  direction: 'inbound' | 'outbound';
  /** The WhatsApp message type it is (or is sent as); absent on images stored before other types existed. */
  type?: MediaType;
  /** A document's name as the customer or agent gave it, for `Content-Disposition`. */
  filename?: string;
  /**
   * The broker's id for the same bytes, per business number, and when it was uploaded, so a resend needs no second
   * upload while Meta keeps it (see brokerIdFor). A bare string: remembered before upload times were kept.
   */
  brokerIds?: Record<string, string | { id: string; uploadedAt: Date }>;
}

export interface StoredMedia {
  mediaId: string;
  metadata: MediaMetadata;
  /** Bytes GridFS holds (its file document's `length`): what a download of it yields, exactly. */
  length: number;
}

const bucket = (store: Store) => new GridFSBucket(store.db, { bucketName: 'media' });

/**
 * A GridFS upload under `mediaId`, for streaming bytes in (after removing chunks a crashed attempt left behind).
 * GridFS writes its file document only after the last chunk, from `metadata` as it is then: fill it in before the
 * stream ends, and nothing half-checked is ever visible; a destroyed upload leaves only chunks, which
 * {@link discardMedia} removes.
 */
export async function openMediaUpload(store: Store, mediaId: string, metadata: Partial<MediaMetadata>): Promise<GridFSBucketWriteStream> {
  await store.db.collection('media.chunks').deleteMany({ files_id: mediaId });
  return bucket(store).openUploadStreamWithId(mediaId as never, mediaId, { metadata } as never);
}

/** Removes whatever an upload of `mediaId` left: its chunks and, if it got that far, its file document. */
/** Stores bytes already in memory under `mediaId` in one go (small files; uploads and fetches stream instead). */
export async function putMedia(store: Store, mediaId: string, bytes: Buffer, metadata: MediaMetadata): Promise<void> {
  const upload = await openMediaUpload(store, mediaId, metadata);
  await new Promise<void>((done, fail) => {
    upload.once('finish', () => done());
    upload.once('error', fail);
    upload.end(bytes);
  });
}

export async function discardMedia(store: Store, mediaId: string): Promise<void> {
  await store.db.collection('media.chunks').deleteMany({ files_id: mediaId });
  await store.db.collection('media.files').deleteOne({ _id: mediaId as never });
}

export async function findMedia(store: Store, mediaId: string): Promise<StoredMedia | null> {
  const file = await store.db.collection<{ _id: string; metadata: MediaMetadata; length: number }>('media.files').findOne({ _id: mediaId });
  return file ? { mediaId, metadata: file.metadata, length: file.length } : null;
}

/** The stored bytes as a stream (a 100 MB document is never held in memory). */
export function openMediaDownload(store: Store, mediaId: string): Readable {
  return bucket(store).openDownloadStream(mediaId as never);
}

/** The stored bytes in one buffer: only a template's header sample uses it (messages' media stream: {@link openMediaDownload}). */
export async function readMedia(store: Store, mediaId: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of openMediaDownload(store, mediaId)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function rememberBrokerId(store: Store, mediaId: string, businessNumberId: string, brokerMediaId: string, uploadedAt: Date): Promise<void> {
  await store.db.collection('media.files').updateOne({ _id: mediaId as never }, { $set: { [`metadata.brokerIds.${businessNumberId}`]: { id: brokerMediaId, uploadedAt } } });
}

/**
 * Meta keeps an upload 30 days ("All media files sent through this endpoint are encrypted and persist for 30 days,
 * unless they are deleted earlier": https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media); an id
 * is reused for a day less, so a send queued or retried near the end does not name an id already gone.
 */
export const BROKER_MEDIA_REUSE_MS = 29 * 24 * 60 * 60 * 1000;

/** The broker's id for this number that may still be sent at `now`, or undefined (none, expired, or of unknown age). */
export function brokerIdFor(metadata: MediaMetadata, businessNumberId: string, now: Date): string | undefined {
  const remembered = metadata.brokerIds?.[businessNumberId];
  if (remembered === undefined || typeof remembered === 'string') return undefined;
  return now.getTime() - new Date(remembered.uploadedAt).getTime() < BROKER_MEDIA_REUSE_MS ? remembered.id : undefined;
}
