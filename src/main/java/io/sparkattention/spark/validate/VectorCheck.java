package io.sparkattention.spark.validate;

import io.sparkattention.spark.InputException;
import io.sparkattention.spark.io.TokenColumns;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.apache.spark.ShuffleDependency;
import org.apache.spark.SparkContext;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.util.CollectionAccumulator;
import scala.Tuple2;

/**
 * The vector half of validation, done where attention first reads the vectors: a table validated by
 * {@link InputValidator#validatePositions} (its ids and positions only, which planning needs) has
 * its vectors checked row by row as they are routed, instead of in a pass of their own: one read of
 * every vector fewer. Each routing task skips bad rows and sends the driver the summary of its
 * partition only if it found a problem; the routing stage runs on its own first ({@link
 * #runFirst}), and the driver refuses the table, with the same messages as {@link
 * InputValidator#validate}, before any attention is computed or anything written.
 */
public final class VectorCheck implements Serializable {
  private static final long serialVersionUID = 1L;

  private final TokenColumns cols;
  private final int width;
  private final String widthRow;
  private final String what;

  /** Partition → its summary, from tasks that found a problem (retries send the same one). */
  private final CollectionAccumulator<Tuple2<Integer, ValidationSummary>> problems;

  private VectorCheck(
      TokenColumns cols,
      int width,
      String widthRow,
      String what,
      CollectionAccumulator<Tuple2<Integer, ValidationSummary>> problems) {
    this.cols = cols;
    this.width = width;
    this.widthRow = widthRow;
    this.what = what;
    this.problems = problems;
  }

  /**
   * The check of a table whose vectors are not yet checked, or null if they are.
   *
   * @param what "input" or "context", for messages
   */
  public static VectorCheck of(
      SparkContext sc, TokenColumns cols, InputValidator.ValidTable valid, String what) {
    if (valid.vectorsChecked()) {
      return null;
    }
    return new VectorCheck(
        cols,
        valid.width(),
        valid.widthRow(),
        what,
        sc.collectionAccumulator("sparkattention.vectorCheck." + what));
  }

  /** One partition's check: feed it every row, then {@link Partition#finish()}. */
  public Partition partition() {
    return new Partition();
  }

  /** The rows of one routing task. */
  public final class Partition {
    private final ValidationSummary summary = new ValidationSummary();
    private boolean finished;

    private Partition() {
      summary.widths.put(width, widthRow);
    }

    /**
     * The row's vector, or null if it is not usable (null, empty, not finite, or of another width
     * than the table's): then recorded, to be refused, and the row must not be routed.
     */
    public double[] vector(Row row) {
      String name = cols.vectorName();
      Supplier<String> at = () -> cols.describe(row);
      if (cols.vectorIsNull(row)) {
        summary.problem("null " + name + " at " + at.get());
        return null;
      }
      double[] x = cols.vector(row);
      String problem = InputValidator.vectorProblem(name, x, summary, at);
      if (problem != null) {
        summary.problem(problem);
        return null;
      }
      return x.length == width ? x : null; // another width: in summary.widths
    }

    /** Sends the driver this partition's problems, if any; once, whatever is called after. */
    public void finish() {
      if (finished) {
        return;
      }
      finished = true;
      if (summary.badRows > 0 || summary.widths.size() > 1) {
        problems.add(new Tuple2<>(TaskContext.getPartitionId(), summary));
      }
    }
  }

  /**
   * Runs the map stage of {@code routed}'s shuffle now, if any of {@code checks} is not null (a
   * later job over {@code routed} reuses its output), then refuses the tables whose checks found
   * bad rows.
   *
   * @param routed the shuffle whose map side routes (and checks) the rows
   * @param checks the tables' checks, null for a table checked before
   * @throws InputException naming the bad rows and mixed widths found, as {@link
   *     InputValidator#validate} would, or the files that disagree on a column's type
   */
  public static void runFirst(JavaPairRDD<?, ?> routed, VectorCheck... checks) {
    List<VectorCheck> pending = new ArrayList<>();
    for (VectorCheck c : checks) {
      if (c != null) {
        pending.add(c);
      }
    }
    if (pending.isEmpty()) {
      return;
    }
    ShuffleDependency<?, ?, ?> shuffle =
        (ShuffleDependency<?, ?, ?>) routed.rdd().dependencies().head();
    try {
      // Spark's own way (adaptive execution's) to run one shuffle's map stage as a job: public in
      // the bytecode, package-private to Scala.
      routed.context().submitMapStage(shuffle).get();
    } catch (Exception e) { // SparkException, undeclared (Scala)
      InputException bad = InputValidator.readFailure(e, pending.get(0).what);
      if (bad != null) {
        throw bad;
      }
      throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
    }
    for (VectorCheck c : pending) {
      c.refuseBad();
    }
  }

  /**
   * Throws if any routing task found a bad row.
   *
   * @throws InputException as {@link InputValidator#validate} would for the same rows
   */
  void refuseBad() {
    List<Tuple2<Integer, ValidationSummary>> found = problems.value();
    if (found.isEmpty()) {
      return;
    }
    TreeMap<Integer, ValidationSummary> byPartition = new TreeMap<>();
    for (Tuple2<Integer, ValidationSummary> t : found) {
      byPartition.put(t._1(), t._2());
    }
    ValidationSummary all = new ValidationSummary();
    byPartition.values().forEach(all::merge);
    throw new InputException(
        "invalid "
            + what
            + ": "
            + String.join(". ", InputValidator.rowAndWidthErrors(all, cols.vectorName())));
  }
}
