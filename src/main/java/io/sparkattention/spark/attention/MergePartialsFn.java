package io.sparkattention.spark.attention;

import io.sparkattention.kernel.AttentionWeights;
import io.sparkattention.spark.io.FinishedToken;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;

/**
 * The merge stage: its input is sorted by token key, so each token's parts arrive together; they
 * are merged ({@link TokenFinisher}) one token at a time, streaming. The sort also fixes the order
 * of the output rows, whatever order the shuffle blocks were fetched in: the same bytes on every
 * run, retry or executor loss.
 */
final class MergePartialsFn
    implements FlatMapFunction<Iterator<Tuple2<Long, TokenPart>>, FinishedToken> {
  private static final long serialVersionUID = 1L;

  private final Broadcast<AttentionWeights> weights;

  public MergePartialsFn(Broadcast<AttentionWeights> weights) {
    this.weights = weights;
  }

  @Override
  public Iterator<FinishedToken> call(Iterator<Tuple2<Long, TokenPart>> input) {
    AttentionWeights w = weights.value();
    return new Iterator<>() {
      private Tuple2<Long, TokenPart> pending = input.hasNext() ? input.next() : null;

      @Override
      public boolean hasNext() {
        return pending != null;
      }

      @Override
      public FinishedToken next() {
        if (pending == null) {
          throw new NoSuchElementException();
        }
        long key = pending._1();
        List<TokenPart> parts = new ArrayList<>();
        while (pending != null && pending._1() == key) {
          parts.add(pending._2());
          pending = input.hasNext() ? input.next() : null;
        }
        return TokenFinisher.finish(parts, w);
      }
    };
  }
}
