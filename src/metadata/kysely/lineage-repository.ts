import type { Kysely } from 'kysely';
import type { LineageEdge } from '../../data/types.js';
import type { LineageRepository } from '../metadata-store.js';
import type { Database } from '../schema.js';

export class KyselyLineageRepository implements LineageRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async add(edges: readonly LineageEdge[]): Promise<void> {
    if (edges.length === 0) return;
    await this.#db
      .insertInto('lineage_edges')
      .values(edges.map((e) => ({ src_kind: e.srcKind, src_id: e.srcId, dst_kind: e.dstKind, dst_id: e.dstId, relation: e.relation, created_at: e.createdAt })))
      .execute();
  }

  async edges(kind: string, id: string, direction: 'upstream' | 'downstream'): Promise<LineageEdge[]> {
    const [kindCol, idCol] = direction === 'upstream' ? (['dst_kind', 'dst_id'] as const) : (['src_kind', 'src_id'] as const);
    const rows = await this.#db.selectFrom('lineage_edges').selectAll().where(kindCol, '=', kind).where(idCol, '=', id).orderBy('edge_id').execute();
    return rows.map((r) => ({ srcKind: r.src_kind, srcId: r.src_id, dstKind: r.dst_kind, dstId: r.dst_id, relation: r.relation, createdAt: Number(r.created_at) }));
  }
}
