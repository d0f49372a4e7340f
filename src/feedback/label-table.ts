import type { DuckDBConnection } from '@duckdb/node-api';
import type { FeedbackRecord } from '../metadata/loop-repositories.js';

/**
 * Loads an endpoint's numeric labels into a temporary DuckDB table
 * `(request_id varchar, value double, received_at bigint)` through the appender, so
 * the prediction log (Parquet) can be joined with them in SQL. The table dies with
 * the connection; labels without a numeric value (class names) are left out.
 */
export async function loadLabelTable(c: DuckDBConnection, table: string, labels: readonly FeedbackRecord[]): Promise<void> {
  await c.run(`create or replace temp table ${table} (request_id varchar, value double, received_at bigint)`);
  const appender = await c.createAppender(table, 'main', 'temp');
  try {
    for (const l of labels) {
      if (l.value === null) continue;
      appender.appendVarchar(l.requestId);
      appender.appendDouble(l.value);
      appender.appendBigInt(BigInt(l.receivedAt));
      appender.endRow();
    }
  } finally {
    appender.closeSync();
  }
}
