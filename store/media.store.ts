import { GridFSBucket } from 'mongodb';
import type { CheckedImage } from '../lib/image-check';
import type { Store } from './db';

export interface MediaMetadata extends CheckedImage {
  direction: 'inbound' | 'outbound';
  /** The broker's id for the same bytes, per business number, so a resend needs no second upload. */
  brokerIds?: Record<string, string>;
}

export interface StoredMedia {
  mediaId: string;
  metadata: MediaMetadata;
}

const bucket = (store: Store) => new GridFSBucket(store.db, { bucketName: 'media' });

/**
 * Stores bytes under `mediaId` once. GridFS writes chunks before the file document, so a crash mid-upload leaves
 * no visible file; a retry removes the orphaned chunks and writes again.
 */
export async function putMedia(store: Store, mediaId: string, bytes: Buffer, metadata: MediaMetadata): Promise<void> {
  if (await findMedia(store, mediaId)) return;
  await store.db.collection('media.chunks').deleteMany({ files_id: mediaId });
  await new Promise<void>((resolve, reject) => {
    const upload = bucket(store).openUploadStreamWithId(mediaId as never, mediaId, { metadata, contentType: metadata.mimeType } as never);
    upload.once('finish', () => resolve()).once('error', reject);
    upload.end(bytes);
  });
}

export async function findMedia(store: Store, mediaId: string): Promise<StoredMedia | null> {
  const file = await store.db.collection<{ _id: string; metadata: MediaMetadata }>('media.files').findOne({ _id: mediaId });
  return file ? { mediaId, metadata: file.metadata } : null;
}

export async function readMedia(store: Store, mediaId: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of bucket(store).openDownloadStream(mediaId as never)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function rememberBrokerId(store: Store, mediaId: string, businessNumberId: string, brokerMediaId: string): Promise<void> {
  await store.db.collection('media.files').updateOne({ _id: mediaId as never }, { $set: { [`metadata.brokerIds.${businessNumberId}`]: brokerMediaId } });
}
