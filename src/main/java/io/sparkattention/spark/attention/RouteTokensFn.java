package io.sparkattention.spark.attention;

import io.sparkattention.kernel.AttentionWeights;
import io.sparkattention.plan.AttentionPlan;
import io.sparkattention.plan.SequenceIndex;
import io.sparkattention.spark.io.TokenColumns;
import io.sparkattention.spark.validate.VectorCheck;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.PairFlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import scala.Tuple2;

/**
 * Emits each token once per tile task that needs it, as a query and/or as a key. A query goes with
 * its raw vector (projected inside the task, on canonical blocks); a key with its raw vector, or
 * with its task's share of its projected keys and values where that is fewer doubles ({@link
 * KeyShipping}: grouped-query attention, the head split), projected one row at a time so that
 * results do not depend on how the input was partitioned. A local-p plan routes each query by its
 * predicted centre, computed here from the token's vector exactly as for the plan ({@link
 * AttentionWeights#localPCentre}).
 */
final class RouteTokensFn implements PairFlatMapFunction<Iterator<Row>, RouteKey, double[]> {
  private static final long serialVersionUID = 1L;

  private final TokenColumns cols;
  private final Broadcast<AttentionPlan> plan;
  private final Broadcast<SequenceIndex> seqIndex;
  private final boolean asQueries;
  private final boolean asKeys;
  private final Broadcast<AttentionWeights> weights;
  private final KeyShipping shipping;
  private final VectorCheck check;

  /**
   * @param asQueries route the rows as queries
   * @param asKeys route the rows as keys/values (self-attention: both)
   * @param weights the projections (of keys shipped projected) and local-p's {@code wp, vp}
   * @param shipping what a key row becomes for each task
   * @param check checks the vectors, bad rows not routed (null: they were checked before)
   */
  public RouteTokensFn(
      TokenColumns cols,
      Broadcast<AttentionPlan> plan,
      Broadcast<SequenceIndex> seqIndex,
      boolean asQueries,
      boolean asKeys,
      Broadcast<AttentionWeights> weights,
      KeyShipping shipping,
      VectorCheck check) {
    this.check = check;
    this.weights = weights;
    this.shipping = shipping;
    this.cols = cols;
    this.plan = plan;
    this.seqIndex = seqIndex;
    this.asQueries = asQueries;
    this.asKeys = asKeys;
  }

  @Override
  public Iterator<Tuple2<RouteKey, double[]>> call(Iterator<Row> rows) {
    AttentionPlan p = plan.value();
    SequenceIndex index = seqIndex.value();
    AttentionWeights w = p.isLocalP() ? weights.value() : null;
    KeyShipping.Row keyRow = new KeyShipping.Row(shipping, weights.value());
    List<Tuple2<RouteKey, double[]>> out = new ArrayList<>();
    VectorCheck.Partition checked = check == null ? null : check.partition();
    return new Iterator<>() {
      int next = 0;
      // A table's rows mostly come a sequence at a time: the last id's index saves the search.
      Object lastSeq;
      int lastIndex;

      @Override
      public boolean hasNext() {
        while (next >= out.size() && rows.hasNext()) {
          out.clear();
          next = 0;
          route(rows.next());
        }
        boolean more = next < out.size();
        if (!more && checked != null) {
          checked.finish();
        }
        return more;
      }

      @Override
      public Tuple2<RouteKey, double[]> next() {
        if (!hasNext()) {
          throw new java.util.NoSuchElementException();
        }
        return out.get(next++);
      }

      private void route(Row row) {
        Object seq = cols.seqId(row);
        if (!seq.equals(lastSeq)) {
          lastIndex = index.require(seq);
          lastSeq = seq;
        }
        int s = lastIndex;
        long pos = cols.pos(row);
        double[] x = checked == null ? cols.vector(row) : checked.vector(row);
        if (x == null) {
          return; // a bad row, to be refused (VectorCheck)
        }
        if (asQueries && w != null) {
          p.forEachQueryTask(
              s,
              pos,
              w.localPCentre(x, p.keyLength(s)),
              t -> out.add(new Tuple2<>(new RouteKey(t, RouteKey.QUERY, pos), x)));
        } else if (asQueries) {
          p.forEachQueryTask(
              s, pos, t -> out.add(new Tuple2<>(new RouteKey(t, RouteKey.QUERY, pos), x)));
        }
        // A whole sequence of self-attention ships its tokens once: its task folds its queries
        // again as its keys (TileTaskFn), halving the shuffle of a corpus of short sequences.
        if (asKeys && !(p.isSelfAttention() && p.isWhole(s))) {
          keyRow.reset(x);
          p.forEachKeyTask(
              s,
              pos,
              t ->
                  out.add(
                      new Tuple2<>(new RouteKey(t, RouteKey.KEY, pos), keyRow.forTask(p.task(t)))));
        }
      }
    };
  }
}
