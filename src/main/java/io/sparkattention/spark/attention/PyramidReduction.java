package io.sparkattention.spark.attention;

import io.sparkattention.kernel.PyramidOps;
import io.sparkattention.plan.SequenceIndex;
import io.sparkattention.spark.faults.FaultInjection;
import io.sparkattention.spark.io.TokenColumns;
import io.sparkattention.spark.validate.InputValidator;
import io.sparkattention.spark.validate.SpecRules;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

/**
 * The pyramidal encoder of Listen, Attend and Spell (Chan et al. 2016) over a validated token
 * table: {@code levels} times, concatenate adjacent steps, halving the length and doubling the
 * width ({@link PyramidOps}); an odd length pairs its last step with zeros.
 *
 * <p>All levels run as one shuffle: L pairwise concatenations put input step {@code p} into
 * top-level step {@code p >> L}, at columns {@code (p mod 2^L)·d …} (the binary digits of {@code p
 * mod 2^L} say which half it took at each level), and a top-level step whose later slots have no
 * input step holds zeros there, as the level-by-level zero padding leaves them. So every token is
 * shuffled once, to its top-level step, and a group holds at most 2^L vectors: no sequence is ever
 * collected in one place. Results are placed by slot, without arithmetic, so they are exact and do
 * not depend on the partitioning.
 */
public final class PyramidReduction {
  /** Levels above this are refused: the width grows as 2^L·d. */
  public static final int MAX_LEVELS = SpecRules.MAX_PYRAMID_LEVELS;

  /** Bits of a shuffle key holding the position (as {@link TokenPart}'s token key). */
  private static final int POS_BITS = 40;

  private PyramidReduction() {}

  private static long key(int seqIndex, long pos) {
    return ((long) seqIndex << POS_BITS) | pos;
  }

  /**
   * The lengths at one level.
   *
   * @param level 0 for the input, L for the top
   * @param width vector width, 2^level·d
   * @param lengths per sequence (canonical order) its number of steps
   */
  public record Level(int level, int width, long[] lengths) {
    /** Steps over all sequences. */
    public long steps() {
      long s = 0;
      for (long n : lengths) {
        s += n;
      }
      return s;
    }

    /** The longest sequence's steps. */
    public long longest() {
      long m = 0;
      for (long n : lengths) {
        m = Math.max(m, n);
      }
      return m;
    }

    /** One line for logs and the console: steps, width, longest, the first few lengths. */
    public String describe() {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < lengths.length && i < 8; i++) {
        b.append(i == 0 ? "" : ", ").append(lengths[i]);
      }
      if (lengths.length > 8) {
        b.append(", …");
      }
      return String.format(
          "pyramid level %d: %d steps of width %d in %d sequence(s), longest %d (lengths %s)",
          level, steps(), width, lengths.length, longest(), b);
    }
  }

  /**
   * The table reduced, ready for attention.
   *
   * @param table rows {@code seq_id} (string or long), {@code pos} (long), {@code x} (vector of
   *     width 2^L·d)
   * @param cols its columns
   * @param valid the reduced table's sequences, lengths, width and steps
   * @param levels level 0 (the input) to L (the top)
   */
  public record Reduced(
      Dataset<Row> table, TokenColumns cols, InputValidator.ValidTable valid, List<Level> levels) {}

  /** Every level's lengths, from the input's (level 0) to the top ({@code levels}). */
  public static List<Level> levels(long[] lengths, int width, int levels) {
    checkLevels(levels);
    List<Level> out = new ArrayList<>();
    long[] current = lengths.clone();
    for (int l = 0; l <= levels; l++) {
      out.add(new Level(l, width << l, current));
      long[] next = new long[current.length];
      for (int s = 0; s < next.length; s++) {
        next[s] = PyramidOps.reducedLength((int) current[s]);
      }
      current = next;
    }
    return out;
  }

  /**
   * @throws IllegalArgumentException unless 0 ≤ levels ≤ {@link #MAX_LEVELS} (a spec's levels are
   *     checked when it is built)
   */
  private static void checkLevels(int levels) {
    if (levels < 0 || levels > MAX_LEVELS) {
      throw new IllegalArgumentException(
          "pyramid levels must be between 0 and " + MAX_LEVELS + ", got " + levels);
    }
  }

  /**
   * Builds the reduction (lazy: nothing runs until the table is consumed).
   *
   * @param levels L ≥ 1
   */
  public static Reduced reduce(
      SparkSession spark,
      Dataset<Row> table,
      TokenColumns cols,
      InputValidator.ValidTable valid,
      int levels) {
    checkLevels(levels);
    if (!valid.vectorsChecked()) {
      // it averages the vectors before anything could check them
      throw new IllegalArgumentException("a pyramid needs a table validated in full (validate)");
    }
    List<Level> lengths = levels(valid.lengths(), valid.width(), levels);
    Level top = lengths.get(levels);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<SequenceIndex> indexB = jsc.broadcast(SequenceIndex.of(valid.seqIds()));
    final int d = valid.width();
    final int shift = levels;
    final int slots = 1 << levels;

    // The one shuffle: every token's vector, keyed by its top-level step (seq, pos >> L); a group
    // holds at most 2^L vectors.
    JavaRDD<Row> reduced =
        table
            .javaRDD()
            .mapToPair(
                row -> {
                  int s = indexB.value().require(cols.seqId(row));
                  long pos = cols.pos(row);
                  return new Tuple2<>(
                      key(s, pos >> shift),
                      new PyramidStep((int) (pos & (slots - 1)), cols.vector(row)));
                })
            .groupByKey()
            .map(
                kv -> {
                  // step p of the top level = x_{p·2^L} | … | x_{p·2^L + 2^L - 1}, zeros past the
                  // end
                  double[] y = new double[slots * d];
                  for (PyramidStep step : kv._2()) {
                    System.arraycopy(step.x, 0, y, step.slot * d, d);
                  }
                  Object seq = indexB.value().id((int) (kv._1() >>> POS_BITS));
                  return RowFactory.create(seq, kv._1() & ((1L << POS_BITS) - 1), Vectors.dense(y));
                });
    reduced = FaultInjection.of(spark).inject(FaultInjection.PYRAMID, reduced);
    StructType schema =
        new StructType()
            .add(
                TokenColumns.SEQ_ID,
                cols.seqIdType() == DataTypes.StringType
                    ? DataTypes.StringType
                    : DataTypes.LongType,
                false)
            .add(TokenColumns.POS, DataTypes.LongType, false)
            .add("x", SQLDataTypes.VectorType(), false);
    Dataset<Row> out = spark.createDataFrame(reduced, schema);
    InputValidator.ValidTable topValid =
        new InputValidator.ValidTable(valid.seqIds(), top.lengths(), top.width(), top.steps());
    return new Reduced(out, TokenColumns.of(schema, "x"), topValid, lengths);
  }

  /** One input step on its way to its top-level step: which slot it fills, and its vector. */
  public static final class PyramidStep implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    final int slot;
    final double[] x;

    PyramidStep(int slot, double[] x) {
      this.slot = slot;
      this.x = x;
    }
  }
}
