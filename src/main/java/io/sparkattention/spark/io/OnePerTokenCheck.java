package io.sparkattention.spark.io;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;

import io.sparkattention.plan.SequenceIndex;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The written table holds exactly one row per input token: per {@code seq_id} as many rows and
 * distinct positions as tokens, from 0 to n − 1, and no other {@code seq_id}. One aggregation per
 * sequence on the executors, each compared there with the input's length; the driver receives
 * counts and a few examples, never one row per sequence (a corpus has millions).
 */
final class OnePerTokenCheck {
  /** Problems quoted in the message. */
  static final int EXAMPLES = 3;

  private OnePerTokenCheck() {}

  /**
   * @return the number of rows of {@code written}
   * @throws IllegalStateException naming the first sequences whose rows are not one per token
   */
  static long check(Dataset<Row> written, List<Object> seqIds, long[] lengths, String output) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(written.sparkSession().sparkContext());
    Broadcast<SequenceIndex> index = jsc.broadcast(SequenceIndex.of(seqIds));
    Broadcast<long[]> lengthsB = jsc.broadcast(lengths);
    Summary s =
        written
            .groupBy(col(TokenColumns.SEQ_ID))
            .agg(
                count(lit(1)),
                countDistinct(col(TokenColumns.POS)),
                min(col(TokenColumns.POS)),
                max(col(TokenColumns.POS)))
            .javaRDD()
            .mapPartitions(new CompareFn(index, lengthsB))
            .fold(new Summary(), Summary::merge);
    List<String> problems = new ArrayList<>(s.examples);
    long problemCount = s.problems;
    if (s.matched < lengths.length) {
      // Only on failure: which input sequences have no rows (one pass over the written ids).
      problemCount += lengths.length - s.matched;
      Set<Object> present = new HashSet<>();
      for (Row r : written.select(TokenColumns.SEQ_ID).distinct().collectAsList()) {
        present.add(normalise(r.get(0)));
      }
      for (int i = 0; i < seqIds.size() && problems.size() < EXAMPLES + 1; i++) {
        if (!present.contains(seqIds.get(i))) {
          problems.add(
              "seq_id="
                  + TokenColumns.shown(seqIds.get(i))
                  + " has no rows for "
                  + lengths[i]
                  + " tokens");
        }
      }
    }
    if (problemCount > 0) {
      throw new IllegalStateException(
          "output check failed, not one row per input token ("
              + problemCount
              + " sequence(s)): "
              + String.join("; ", problems.subList(0, Math.min(EXAMPLES, problems.size())))
              + (problemCount > EXAMPLES ? "; …" : "")
              + "; nothing written to "
              + output);
    }
    return s.rows;
  }

  /** A seq_id as {@link TokenColumns#seqId} gives it: integers as Long. */
  static Object normalise(Object raw) {
    return raw instanceof Number ? (Object) ((Number) raw).longValue() : raw;
  }

  /** What a partition of per-sequence aggregates found: counts, and the first few problems. */
  static final class Summary implements Serializable {
    private static final long serialVersionUID = 1L;
    long rows;
    long matched;
    long problems;
    final ArrayList<String> examples = new ArrayList<>();

    void problem(String message) {
      problems++;
      if (examples.size() < EXAMPLES) {
        examples.add(message);
      }
    }

    Summary merge(Summary o) {
      rows += o.rows;
      matched += o.matched;
      problems += o.problems;
      for (String e : o.examples) {
        if (examples.size() < EXAMPLES) {
          examples.add(e);
        }
      }
      return this;
    }
  }

  /** Compares each sequence's aggregate (id, rows, distinct, min, max) with its input length. */
  static final class CompareFn implements FlatMapFunction<Iterator<Row>, Summary> {
    private static final long serialVersionUID = 1L;
    private final Broadcast<SequenceIndex> index;
    private final Broadcast<long[]> lengths;

    CompareFn(Broadcast<SequenceIndex> index, Broadcast<long[]> lengths) {
      this.index = index;
      this.lengths = lengths;
    }

    @Override
    public Iterator<Summary> call(Iterator<Row> stats) {
      SequenceIndex idx = index.value();
      long[] len = lengths.value();
      Summary s = new Summary();
      while (stats.hasNext()) {
        Row r = stats.next();
        Object id = normalise(r.get(0));
        long rows = r.getLong(1);
        long distinct = r.getLong(2);
        s.rows += rows;
        int i = idx.indexOf(id);
        if (i < 0) {
          s.problem(
              rows + " row(s) of seq_id=" + TokenColumns.shown(id) + ", which is not in the input");
          continue;
        }
        s.matched++;
        long n = len[i];
        long lo = r.isNullAt(3) ? -1 : ((Number) r.get(3)).longValue();
        long hi = r.isNullAt(4) ? -1 : ((Number) r.get(4)).longValue();
        if (rows != n || distinct != n || lo != 0 || hi != n - 1) {
          s.problem(
              "seq_id="
                  + id
                  + " has "
                  + rows
                  + " rows with "
                  + distinct
                  + " distinct positions in "
                  + lo
                  + "…"
                  + hi
                  + " for "
                  + n
                  + " tokens");
        }
      }
      return List.of(s).iterator();
    }
  }
}
