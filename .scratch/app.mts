import { DuckDBInstance } from '@duckdb/node-api';
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
await c.run('create temp table t (a varchar, v double, r bigint)');
const ap = await c.createAppender('t', 'main', 'temp');
ap.appendVarchar('x'); ap.appendDouble(1.5); ap.appendBigInt(3n); ap.endRow();
ap.closeSync();
console.log((await c.runAndReadAll('select * from t')).getRowObjectsJS());
