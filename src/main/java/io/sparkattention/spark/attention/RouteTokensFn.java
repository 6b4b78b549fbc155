package io.sparkattention.spark.attention;

import io.sparkattention.kernel.AttentionWeights;
import io.sparkattention.plan.AttentionPlan;
import io.sparkattention.plan.SequenceIndex;
import io.sparkattention.spark.io.TokenColumns;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.PairFlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import scala.Tuple2;

/**
 * Emits each token once per tile task that needs it, as a query and/or as a key, with its raw
 * vector (projections happen inside the task, on canonical blocks, so results do not depend on how
 * the input was partitioned). A local-p plan routes each query by its predicted centre, computed
 * here from the token's vector exactly as for the plan ({@link AttentionWeights#localPCentre}).
 */
final class RouteTokensFn implements PairFlatMapFunction<Iterator<Row>, RouteKey, double[]> {
  private static final long serialVersionUID = 1L;

  private final TokenColumns cols;
  private final Broadcast<AttentionPlan> plan;
  private final Broadcast<SequenceIndex> seqIndex;
  private final boolean asQueries;
  private final boolean asKeys;
  private final Broadcast<AttentionWeights> weights;

  /**
   * @param asQueries route the rows as queries
   * @param asKeys route the rows as keys/values (self-attention: both)
   */
  public RouteTokensFn(
      TokenColumns cols,
      Broadcast<AttentionPlan> plan,
      Broadcast<SequenceIndex> seqIndex,
      boolean asQueries,
      boolean asKeys) {
    this(cols, plan, seqIndex, asQueries, asKeys, null);
  }

  /**
   * @param weights the weights whose {@code wp, vp} give local-p centres (required for a local-p
   *     plan, else unused)
   */
  public RouteTokensFn(
      TokenColumns cols,
      Broadcast<AttentionPlan> plan,
      Broadcast<SequenceIndex> seqIndex,
      boolean asQueries,
      boolean asKeys,
      Broadcast<AttentionWeights> weights) {
    this.weights = weights;
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
    List<Tuple2<RouteKey, double[]>> out = new ArrayList<>();
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
        return next < out.size();
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
        double[] x = cols.vector(row);
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
          p.forEachKeyTask(
              s, pos, t -> out.add(new Tuple2<>(new RouteKey(t, RouteKey.KEY, pos), x)));
        }
      }
    };
  }
}
