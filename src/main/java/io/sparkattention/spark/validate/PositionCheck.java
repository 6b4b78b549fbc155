package io.sparkattention.spark.validate;

import io.sparkattention.plan.IdLengths;
import io.sparkattention.spark.InputException;
import io.sparkattention.spark.io.TokenColumns;
import io.sparkattention.spark.metrics.StageMetricsListener;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeMap;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.PairFlatMapFunction;
import org.apache.spark.sql.Row;
import scala.Tuple2;

/**
 * One pass over a token table that checks every row and, per sequence, that its positions are 0 …
 * n−1 once each, with the per-sequence work on the executors: each good row's position is combined
 * by {@code seq_id} in one shuffle (a count and a bit set of positions per sequence, combined on
 * the map side first), each sequence is judged in the task it lands in, and a task sends the driver
 * counts, the first few problems and its sequences' ids and lengths ({@link IdLengths}: 16 bytes a
 * sequence with integer ids). The driver never holds a summary per sequence, so a corpus of
 * millions of sequences validates in a small driver.
 */
final class PositionCheck {
  private PositionCheck() {}

  /**
   * What the pass found: the rows' summary (counts, bad rows, widths), the sequences with bad
   * positions (how many, the first few by id with what is wrong), and the good sequences' lengths.
   */
  static final class Found implements Serializable {
    private static final long serialVersionUID = 1L;
    ValidationSummary rows = new ValidationSummary();
    long badSequences;

    /**
     * The first few bad sequences by id → what is wrong (natural order, the ids' canonical one; no
     * comparator object, so that the map ships with any serializer).
     */
    final TreeMap<Object, String> examples = new TreeMap<>();

    IdLengths good;

    void bad(Object id, String problem) {
      badSequences++;
      examples.put(id, problem);
      if (examples.size() > ValidationSummary.EXAMPLES) {
        examples.pollLastEntry();
      }
    }

    /** The tasks' findings as one: the good sequences' ids merged in order. */
    static Found merge(List<Found> parts) {
      Found all = new Found();
      List<IdLengths> good = new ArrayList<>();
      for (Found p : parts) {
        all.rows.merge(p.rows);
        all.badSequences += p.badSequences;
        for (Map.Entry<Object, String> e : p.examples.entrySet()) {
          all.examples.put(e.getKey(), e.getValue());
          if (all.examples.size() > ValidationSummary.EXAMPLES) {
            all.examples.pollLastEntry();
          }
        }
        good.add(p.good);
      }
      try {
        all.good = IdLengths.merge(good);
      } catch (OutOfMemoryError e) {
        // The merge allocates its arrays first, so nothing is half done: the parts are intact and
        // the new arrays unreachable; say what would fit rather than die.
        long count = good.stream().mapToLong(p -> p.ids().size()).sum();
        long bytes = good.stream().mapToLong(IdLengths::bytes).sum();
        throw new InputException(
            String.format(
                "the table has %,d sequences, whose ids and lengths (%,d MiB, twice that while"
                    + " they are put in order) do not fit the driver's heap of %,d MiB: give the"
                    + " driver more memory (--driver-memory; about 16 bytes a sequence with"
                    + " integer ids, 12 plus 2 a character with string ids)",
                count, bytes >> 20, Runtime.getRuntime().maxMemory() >> 20),
            e);
      }
      return all;
    }
  }

  /**
   * Checks every row of {@code rows} with {@code cols} and the positions of every sequence.
   *
   * @param partitions tasks of the per-sequence stage
   */
  static Found run(JavaRDD<Row> rows, TokenColumns cols, int partitions) {
    return Found.merge(taskResults(rows, cols, partitions));
  }

  /** What each task of the per-sequence stage sends the driver. */
  static List<Found> taskResults(JavaRDD<Row> rows, TokenColumns cols, int partitions) {
    SparkContext sc = rows.context();
    String before = sc.getLocalProperty(StageMetricsListener.OUTSIDE_SHUFFLE_MODEL);
    sc.setLocalProperty(StageMetricsListener.OUTSIDE_SHUFFLE_MODEL, "validation");
    try {
      return judged(rows, cols, partitions).collect();
    } finally {
      sc.setLocalProperty(StageMetricsListener.OUTSIDE_SHUFFLE_MODEL, before);
    }
  }

  private static JavaRDD<Found> judged(JavaRDD<Row> rows, TokenColumns cols, int partitions) {
    return rows.mapPartitionsToPair(new TokenPositionsFn(cols))
        .combineByKey(
            PositionCheck::combiner,
            PositionCheck::add,
            PositionCheck::mergeCombiners,
            Math.max(1, partitions))
        .mapPartitions(new JudgeSequencesFn());
  }

  /**
   * The key of the rows' summary, one per input task, beside the sequences' keys (Longs or
   * Strings): equal to itself only, with a hash that is the same in every JVM.
   */
  static final class RowsKey implements Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public boolean equals(Object o) {
      return o instanceof RowsKey;
    }

    @Override
    public int hashCode() {
      return 0x5eed;
    }
  }

  // Values are a Long position or the rows' ValidationSummary; combiners a SeqStats or the summary.
  private static Object combiner(Object value) {
    if (value instanceof ValidationSummary) {
      return value;
    }
    ValidationSummary.SeqStats s = new ValidationSummary.SeqStats();
    s.add((Long) value);
    return s;
  }

  private static Object add(Object combiner, Object value) {
    if (combiner instanceof ValidationSummary rowsSummary) {
      return rowsSummary.merge((ValidationSummary) value);
    }
    ((ValidationSummary.SeqStats) combiner).add((Long) value);
    return combiner;
  }

  private static Object mergeCombiners(Object a, Object b) {
    if (a instanceof ValidationSummary rowsSummary) {
      return rowsSummary.merge((ValidationSummary) b);
    }
    ((ValidationSummary.SeqStats) a).merge((ValidationSummary.SeqStats) b);
    return a;
  }

  /**
   * Checks one input task's rows (their vectors too, unless {@code cols} are {@link
   * TokenColumns#positionsOnly}): yields (seq_id, pos) for each row with a usable id and position,
   * then (RowsKey, the rows' summary). Lazily, row by row: the partition is never held.
   */
  static final class TokenPositionsFn
      implements PairFlatMapFunction<Iterator<Row>, Object, Object> {
    private static final long serialVersionUID = 1L;
    private final TokenColumns cols;

    TokenPositionsFn(TokenColumns cols) {
      this.cols = cols;
    }

    @Override
    public Iterator<Tuple2<Object, Object>> call(Iterator<Row> rows) {
      ValidationSummary summary = new ValidationSummary();
      return new Iterator<>() {
        private boolean summarised; // the rows' summary was yielded: the partition is done
        private Tuple2<Object, Object> next = advance();

        private Tuple2<Object, Object> advance() {
          while (rows.hasNext()) {
            Row row = rows.next();
            summary.rows++;
            String problem = InputValidator.positionProblem(cols, row);
            if (problem == null) {
              Object seq = cols.seqId(row);
              long pos = cols.pos(row);
              problem =
                  cols.hasVector()
                      ? InputValidator.vectorProblem(
                          cols,
                          row,
                          summary,
                          () -> "seq_id=" + TokenColumns.shown(seq) + ", pos=" + pos)
                      : null;
              if (problem != null) {
                summary.problem(problem);
              }
              return new Tuple2<>(seq, pos);
            }
            summary.problem(problem);
          }
          if (summarised) {
            return null;
          }
          summarised = true;
          return new Tuple2<>(new RowsKey(), summary);
        }

        @Override
        public boolean hasNext() {
          return next != null;
        }

        @Override
        public Tuple2<Object, Object> next() {
          if (next == null) {
            throw new NoSuchElementException();
          }
          Tuple2<Object, Object> out = next;
          next = advance();
          return out;
        }
      };
    }
  }

  /** Judges the sequences of one task of the per-sequence stage, sending one {@link Found}. */
  static final class JudgeSequencesFn
      implements FlatMapFunction<Iterator<Tuple2<Object, Object>>, Found> {
    private static final long serialVersionUID = 1L;

    @Override
    public Iterator<Found> call(Iterator<Tuple2<Object, Object>> sequences) {
      Found found = new Found();
      Object[] ids = new Object[16];
      long[] lengths = new long[16];
      int n = 0;
      while (sequences.hasNext()) {
        Tuple2<Object, Object> t = sequences.next();
        if (t._2() instanceof ValidationSummary rowsSummary) {
          found.rows.merge(rowsSummary);
          continue;
        }
        ValidationSummary.SeqStats s = (ValidationSummary.SeqStats) t._2();
        String problem = s.problem();
        if (problem != null) {
          found.bad(t._1(), problem);
        } else {
          if (n == ids.length) {
            ids = Arrays.copyOf(ids, 2 * n);
            lengths = Arrays.copyOf(lengths, 2 * n);
          }
          ids[n] = t._1();
          lengths[n++] = s.count;
        }
      }
      found.good = IdLengths.sort(ids, lengths, n);
      return List.of(found).iterator();
    }
  }
}
