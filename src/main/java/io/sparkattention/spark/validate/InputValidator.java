package io.sparkattention.spark.validate;

import io.sparkattention.kernel.Mask;
import io.sparkattention.plan.SequenceIndex;
import io.sparkattention.spark.InputException;
import io.sparkattention.spark.io.TokenColumns;
import io.sparkattention.spark.io.TokenTables;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.execution.datasources.SchemaColumnConvertNotSupportedException;
import scala.Tuple2;

/**
 * Checks a token table before anything is computed or written: null, non-finite or zero-length
 * vectors, mixed widths, null or negative positions, duplicate or missing positions within a
 * sequence, an empty table. One pass, no shuffle; errors name the column and the first few
 * offending {@code seq_id}/{@code pos}.
 */
public final class InputValidator {
  private InputValidator() {}

  /**
   * A table that passed: its sequences in a canonical order, their lengths, the vector width, its
   * token count, and, if its vectors are still to be checked ({@link #validatePositions}), the row
   * the width was taken from (else null).
   */
  public record ValidTable(
      List<Object> seqIds, long[] lengths, int width, long tokens, String widthRow) {

    /** A table checked in full. */
    public ValidTable(List<Object> seqIds, long[] lengths, int width, long tokens) {
      this(seqIds, lengths, width, tokens, null);
    }

    /** Whether every vector was checked; else a {@link VectorCheck} must, before attention. */
    public boolean vectorsChecked() {
      return widthRow == null;
    }

    public long maxLength() {
      long m = 0;
      for (long n : lengths) {
        m = Math.max(m, n);
      }
      return m;
    }
  }

  /**
   * Validates {@code table} (columns located by {@code cols}).
   *
   * @param what "input" or "context", for messages
   * @throws InputException describing every kind of problem found, with examples
   */
  public static ValidTable validate(Dataset<Row> table, TokenColumns cols, String what) {
    JavaRDD<Row> rows = table.javaRDD();
    PositionCheck.Found found;
    try {
      found = PositionCheck.run(rows, cols, rows.getNumPartitions());
    } catch (Exception e) { // SparkException, undeclared (Scala)
      InputException bad = readFailure(e, what);
      if (bad != null) {
        throw bad;
      }
      throw e;
    }
    return check(found, cols, what);
  }

  /**
   * Validates what planning needs and nothing more: every row's {@code seq_id} and {@code pos}, and
   * every sequence's positions, reading those two columns only, and the vector width from one row.
   * The vectors are checked where attention first reads them ({@link VectorCheck}, which the
   * attention engine runs before it computes anything): one read of every vector fewer than {@link
   * #validate}. Falls back to {@link #validate} when no row has a non-empty vector (its messages
   * say what is wrong).
   *
   * @param what "input" or "context", for messages
   * @throws InputException as {@link #validate} for the ids and positions
   */
  public static ValidTable validatePositions(Dataset<Row> table, TokenColumns cols, String what) {
    // The RDD's take pulls rows one at a time from the first partition(s) until one comes (a
    // Dataset's limit may evaluate a whole partition first): (width, the row) of the first.
    List<Tuple2<Integer, String>> first =
        table
            .where(TokenTables.column(table, cols.vectorName()).isNotNull())
            .javaRDD()
            .map(row -> new Tuple2<>(cols.vector(row).length, cols.describe(row)))
            .take(1);
    if (first.isEmpty() || first.get(0)._1() == 0) {
      return validate(table, cols, what);
    }
    ValidTable valid = validate(cols.positionsOf(table), cols.positionsOnly(), what);
    return new ValidTable(
        valid.seqIds(), valid.lengths(), first.get(0)._1(), valid.tokens(), first.get(0)._2());
  }

  /**
   * Before refusing a table for its width: if its vectors are not yet checked, checks them now, so
   * that a width taken from one row of a table of mixed widths is refused as mixed widths, not as a
   * width the options do not fit. Returns if they are good (or were checked before).
   *
   * @throws InputException for bad vectors, as {@link #validate}
   */
  public static void refuseBadVectors(
      Dataset<Row> table, TokenColumns cols, ValidTable valid, String what) {
    if (!valid.vectorsChecked()) {
      validate(table, cols, what);
    }
  }

  /**
   * The first pass over the data is where files that disagree with the table's schema show: Spark
   * takes a Parquet table's schema from one file, and a file whose column has another type (a
   * seq_id of integers in one file, of strings in another) fails its task. That is bad input, said
   * in one line naming the column, the types and the file; null for any other failure.
   */
  static InputException readFailure(Exception e, String what) {
    String file = null;
    SchemaColumnConvertNotSupportedException convert = null;
    for (Throwable c = e; c != null; c = c.getCause()) {
      String m = String.valueOf(c.getMessage());
      int at = m.indexOf("Parquet column cannot be converted in file ");
      if (at >= 0 && file == null) {
        int nl = m.indexOf('\n', at);
        file = (nl < 0 ? m.substring(at) : m.substring(at, nl)).strip();
      }
      if (c instanceof SchemaColumnConvertNotSupportedException) {
        convert = (SchemaColumnConvertNotSupportedException) c;
      }
    }
    if (convert == null) {
      return null;
    }
    return new InputException(
        what
            + " files disagree on the type of column "
            + convert.getColumn().replaceAll("[\\[\\]]", "")
            + ": one file has "
            + convert.getPhysicalType()
            + " where the table has "
            + convert.getLogicalType()
            + (file == null ? "" : " (" + file + ")")
            + "; all files of a table need the same column types",
        e);
  }

  /**
   * Refuses a window that reaches past every sequence of the table: no token's attention would
   * differ from global attention (a causal window: from plain causal attention), which is then what
   * the user should ask for; or, with {@code clip}, allows it.
   *
   * @param clip whether such a window is allowed (the caller then runs without it)
   * @return whether the window covers every sequence (only ever true with {@code clip})
   * @throws InputException naming the window and the longest sequence, without {@code clip}
   */
  public static boolean checkWindow(Mask mask, ValidTable valid, boolean clip) {
    boolean local = mask.kind() == Mask.Kind.WINDOW;
    if (!(local || mask.kind() == Mask.Kind.CAUSAL_WINDOW) || mask.window() < valid.maxLength()) {
      return false;
    }
    if (clip) {
      return true;
    }
    throw new InputException(
        "--window "
            + mask.window()
            + " is too large: the longest sequence has "
            + valid.maxLength()
            + " tokens, so every token would see its whole sequence; "
            + (local ? "use --attention global" : "drop --window for plain causal attention")
            + ", a window below "
            + valid.maxLength()
            + ", or --window-clip to run such batches without the window");
  }

  static ValidTable check(PositionCheck.Found found, TokenColumns cols, String what) {
    ValidationSummary s = found.rows;
    if (s.rows == 0) {
      throw new InputException("the " + what + " has no rows (an empty table or no data files)");
    }
    List<String> errors = rowAndWidthErrors(s, cols.vectorName());
    if (found.badSequences > 0) {
      errors.add(
          "column pos must hold 0 … n-1 once each within a sequence; "
              + found.badSequences
              + " sequence(s) do not: "
              + positionExamples(found.examples, found.badSequences));
    }
    if (!errors.isEmpty()) {
      throw new InputException("invalid " + what + ": " + String.join(". ", errors));
    }
    // Canonical order, whatever the partitioning: by seq_id (numbers numerically).
    return new ValidTable(
        found.good.ids(),
        found.good.lengths(),
        s.widths.isEmpty() ? 0 : s.widths.firstKey(),
        s.rows);
  }

  /** "seq_id=…: what is wrong" for each example (the first few by id), "…" if there are more. */
  static String positionExamples(Map<Object, String> examples, long count) {
    StringBuilder b = new StringBuilder();
    for (Map.Entry<Object, String> e : examples.entrySet()) {
      b.append(b.length() == 0 ? "" : "; ")
          .append("seq_id=")
          .append(TokenColumns.shown(e.getKey()))
          .append(": ")
          .append(e.getValue());
    }
    return b.append(count > examples.size() ? "; …" : "").toString();
  }

  /**
   * Pairs a cross-attention context with its input: both must hold the same sequences.
   *
   * @return per sequence of {@code input} (in its canonical order) the context's length
   * @throws InputException if the seq_id types differ (string against integer) or a seq_id is in
   *     one table only, listing the first few of each side
   */
  public static long[] contextLengths(ValidTable input, ValidTable context) {
    String inputType = idType(input.seqIds().get(0));
    String contextType = idType(context.seqIds().get(0));
    if (!inputType.equals(contextType)) {
      throw new InputException(
          "seq_id is "
              + inputType
              + " in the input but "
              + contextType
              + " in the context; cross-attention pairs sequences by equal seq_id");
    }
    // Binary searches in the validated (sorted) ids: no map of a corpus's ids on the driver.
    SequenceIndex contextIndex = SequenceIndex.of(context.seqIds());
    long[] lengths = new long[input.seqIds().size()];
    List<Object> noContext = new ArrayList<>();
    for (int i = 0; i < lengths.length; i++) {
      int c = contextIndex.indexOf(input.seqIds().get(i));
      if (c < 0) {
        noContext.add(input.seqIds().get(i));
      } else {
        lengths[i] = context.lengths()[c];
      }
    }
    List<Object> noInput = new ArrayList<>();
    if (lengths.length - noContext.size() < context.seqIds().size()) {
      SequenceIndex inputIndex = SequenceIndex.of(input.seqIds());
      for (Object id : context.seqIds()) {
        if (inputIndex.indexOf(id) < 0) {
          noInput.add(id);
        }
      }
      noInput.sort(seqIdOrder());
    }
    List<String> errors = new ArrayList<>();
    if (!noContext.isEmpty()) {
      errors.add(
          noContext.size() + " seq_id(s) of the input are not in the context: " + first(noContext));
    }
    if (!noInput.isEmpty()) {
      errors.add(
          noInput.size() + " seq_id(s) of the context are not in the input: " + first(noInput));
    }
    if (!errors.isEmpty()) {
      throw new InputException(
          "cross-attention needs the same seq_ids in the input and the context: "
              + String.join("; ", errors));
    }
    return lengths;
  }

  private static String idType(Object id) {
    return id instanceof String ? "a string" : "an integer";
  }

  /** The first few ids, then "…". */
  private static String first(List<Object> ids) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < ids.size(); i++) {
      if (i == ValidationSummary.EXAMPLES) {
        b.append(", …");
        break;
      }
      b.append(i == 0 ? "" : ", ").append(ids.get(i));
    }
    return b.toString();
  }

  /** The bad rows and mixed vector widths a summary found, one message each. */
  static List<String> rowAndWidthErrors(ValidationSummary s, String vectorName) {
    List<String> errors = new ArrayList<>();
    if (s.badRows > 0) {
      errors.add(s.badRows + " bad row(s), e.g. " + String.join("; ", s.problems));
    }
    if (s.widths.size() > 1) {
      StringBuilder b = new StringBuilder();
      s.widths.forEach(
          (w, row) -> b.append(b.length() == 0 ? "" : "; ").append(w).append(" at ").append(row));
      errors.add("column " + vectorName + " has mixed vector lengths: " + b);
    }
    return errors;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  static Comparator<Object> seqIdOrder() {
    return (a, b) -> ((Comparable) a).compareTo(b);
  }

  /**
   * What is wrong with a row's vector (null, zero-length, non-finite), or null; records its width
   * in {@code s}. {@code at} names the row in the message; it is asked only for a message (a good
   * row of a width seen before costs no string: validation reads millions).
   */
  static String vectorProblem(
      TokenColumns cols, Row row, ValidationSummary s, Supplier<String> at) {
    if (cols.vectorIsNull(row)) {
      return "null " + cols.vectorName() + " at " + at.get();
    }
    return vectorProblem(cols.vectorName(), cols.vector(row), s, at);
  }

  /** What is wrong with the vector {@code x} of column {@code name}, as above. */
  static String vectorProblem(String name, double[] x, ValidationSummary s, Supplier<String> at) {
    if (x.length == 0) {
      return "zero-length " + name + " at " + at.get();
    }
    if (!s.widths.containsKey(x.length)) {
      s.widths.put(x.length, at.get());
    }
    for (int i = 0; i < x.length; i++) {
      if (!Double.isFinite(x[i])) {
        return name
            + "["
            + i
            + "] is "
            + (Double.isNaN(x[i]) ? "NaN or null" : x[i])
            + " at "
            + at.get();
      }
    }
    return null;
  }

  /** Finds a row's problem, or null for a good row (whose position it adds to {@code s}). */
  interface RowCheck extends Serializable {
    String problem(Row row, ValidationSummary s);
  }

  /**
   * Summarises one partition into a {@link ValidationSummary}: counts the rows and records each
   * row's problem, which its {@link RowCheck} finds.
   */
  static final class PartitionSummaryFn
      implements FlatMapFunction<Iterator<Row>, ValidationSummary> {
    private static final long serialVersionUID = 2L;
    private final RowCheck check;

    PartitionSummaryFn(RowCheck check) {
      this.check = check;
    }

    @Override
    public Iterator<ValidationSummary> call(Iterator<Row> it) {
      ValidationSummary s = new ValidationSummary();
      while (it.hasNext()) {
        Row row = it.next();
        s.rows++;
        String problem = check.problem(row, s);
        if (problem != null) {
          s.problem(problem);
        }
      }
      return Collections.singletonList(s).iterator();
    }
  }

  /**
   * What is wrong with a row's {@code seq_id} or {@code pos} (null, negative, too large), or null
   * when the row has a usable sequence and position.
   */
  static String positionProblem(TokenColumns cols, Row row) {
    Object seq = cols.seqId(row);
    if (seq == null) {
      return "null seq_id (pos=" + (cols.posIsNull(row) ? "null" : cols.pos(row)) + ")";
    }
    if (cols.posIsNull(row)) {
      return "null pos (seq_id=" + TokenColumns.shown(seq) + ")";
    }
    long pos = cols.pos(row);
    String at = "seq_id=" + TokenColumns.shown(seq) + ", pos=" + pos;
    if (pos < 0) {
      return "negative pos at " + at;
    }
    if (pos >= ValidationSummary.MAX_POSITION) {
      return "pos " + pos + " is too large (limit " + ValidationSummary.MAX_POSITION + ") at " + at;
    }
    return null;
  }
}
