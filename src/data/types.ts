/** Records of the data domain. */

/** Orchard's logical column types, inferred from the physical (DuckDB) type and the values. */
export type ColumnKind = 'numeric' | 'integer' | 'categorical' | 'boolean' | 'datetime' | 'text';

export interface ColumnSchema {
  readonly name: string;
  /** The physical type as DuckDB names it, e.g. BIGINT, VARCHAR, TIMESTAMP. */
  readonly physicalType: string;
  readonly kind: ColumnKind;
  readonly nullable: boolean;
}

export interface DatasetVersion {
  readonly name: string;
  readonly version: number;
  /** Digest of the Parquet snapshot in the artifact store. */
  readonly digest: string;
  /** Where the data came from, e.g. `file:/data/flights.parquet`. */
  readonly source: string;
  readonly rows: number;
  readonly bytes: number;
  readonly columns: readonly ColumnSchema[];
  /** Digest of the stored profile (JSON), when profiled. */
  readonly profileDigest: string | null;
  /** The tracked run that made this version. */
  readonly runId: string | null;
  readonly createdBy: string;
  readonly createdAt: number;
}

/** `name@3`, `name@latest` or a bare `name` (latest). */
export interface DatasetRef {
  readonly name: string;
  readonly version: number | 'latest';
}

export interface LineageEdge {
  readonly srcKind: string;
  readonly srcId: string;
  readonly dstKind: string;
  readonly dstId: string;
  /** e.g. `produced`, `consumed`, `derived_from`. */
  readonly relation: string;
  readonly createdAt: number;
}
