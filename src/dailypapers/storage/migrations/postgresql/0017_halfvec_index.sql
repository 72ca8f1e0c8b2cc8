-- Each model's HNSW index now holds 2-byte vectors (halfvec), half the size of the 4-byte
-- ones it held, so that it stays in shared buffers (storage/search_postgresql.py,
-- `_ensure_vector_index`): rebuild each existing one in the new form, with the same model
-- predicate, under the name the code looks for, and drop the old. Searches cast to halfvec,
-- so without this they would scan every vector until the next vectors were saved.
DO $$
DECLARE
    old RECORD;
BEGIN
    FOR old IN
        SELECT c.relname AS name, pg_get_expr(i.indpred, i.indrelid) AS predicate,
            substring(c.relname FROM '_([0-9]+)$') AS dimension
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = 'paper_embeddings'::regclass
            AND c.relname ~ '^paper_embeddings_hnsw_[0-9a-f]{12}_[0-9]+$'
    LOOP
        EXECUTE format(
            'CREATE INDEX IF NOT EXISTS %I ON paper_embeddings'
            ' USING hnsw ((embedding::halfvec(%s)) halfvec_cosine_ops) WHERE %s',
            regexp_replace(old.name, '_([0-9]+)$', '_half_\1'), old.dimension, old.predicate
        );
        EXECUTE format('DROP INDEX %I', old.name);
    END LOOP;
END
$$;
