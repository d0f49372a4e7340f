import type { Readable } from 'node:stream';

/**
 * A bare object store: keys to bytes. Adapters implement these primitives only;
 * content addressing, hashing and integrity checks live above, in `ContentStore`.
 * Constructors do no I/O; call `init()` first.
 */
export interface BlobStore {
  /** Where the store lives, for messages. */
  readonly location: string;
  /** Prepares the store (creates the root folder or checks the bucket). Idempotent. */
  init(): Promise<void>;
  destroy(): Promise<void>;
  /**
   * Writes an object atomically: readers see either the whole new object or none of it,
   * also when the process dies midway. Overwrites an existing key. Resolves with the byte count.
   */
  put(key: string, body: Readable | Uint8Array): Promise<{ size: number }>;
  /**
   * Streams an object.
   * @throws OrchardError `NOT_FOUND` when the key does not exist.
   */
  get(key: string): Promise<Readable>;
  /** Size of an object, or undefined when absent. */
  stat(key: string): Promise<{ size: number } | undefined>;
  /** Moves an object to another key, replacing what is there; atomic where the backend allows. */
  move(from: string, to: string): Promise<void>;
  /** Deletes an object; returns false when it did not exist. */
  delete(key: string): Promise<boolean>;
  /** Every key that starts with `prefix`, in no particular order. */
  list(prefix: string): AsyncIterable<string>;
  /**
   * A local file path holding the object's bytes, for engines that read files
   * (DuckDB over Parquet). Stores without local files omit this; callers then copy.
   */
  localPath?(key: string): Promise<string | undefined>;
}
