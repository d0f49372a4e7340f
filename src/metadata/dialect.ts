/** The SQL dialects the metadata store speaks. */
export type SqlDialectName = 'sqlite' | 'postgres';
