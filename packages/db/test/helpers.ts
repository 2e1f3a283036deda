import pg from 'pg'

export interface SchemaShape { columns: unknown[], indexes: unknown[], constraints: unknown[] }

/**
 * Tables, columns, indexes and constraints of the public schema, minus Prisma's bookkeeping table and the partitions
 * of partitioned tables (customer_message's months: Prisma's schema cannot describe partitioning, so the parent is
 * compared, and an index on a partitioned table reads as one on a plain table).
 */
export async function describeSchema (url: string): Promise<SchemaShape> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const columns = await client.query(`SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default,
        character_maximum_length, numeric_precision, datetime_precision
      FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'
      AND NOT ${partition('table_name')} ORDER BY table_name, column_name`)
    const indexes = await client.query(`SELECT tablename, indexname, indexdef FROM pg_indexes
      WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' AND NOT ${partition('tablename')} ORDER BY indexname`)
    const constraints = await client.query(`SELECT conrelid::regclass::text AS table_name, conname, pg_get_constraintdef(oid) AS def
      FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> '"_prisma_migrations"'
      AND conrelid::regclass::text <> '_prisma_migrations' AND NOT coalesce((SELECT relispartition FROM pg_class WHERE oid = conrelid), false)
      ORDER BY conname`)
    const plain = (rows: Array<{ indexdef: string }>): unknown[] => rows.map((r) => ({ ...r, indexdef: r.indexdef.replace(' ON ONLY ', ' ON ') }))
    return { columns: columns.rows, indexes: plain(indexes.rows), constraints: constraints.rows }
  } finally {
    await client.end()
  }
}

function partition (column: string): string {
  return `coalesce((SELECT relispartition FROM pg_class WHERE oid = to_regclass(quote_ident(${column}))), false)`
}

export async function query<T extends pg.QueryResultRow = Record<string, unknown>> (url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<T>(sql, params)).rows
  } finally {
    await client.end()
  }
}
