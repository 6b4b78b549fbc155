package io.sparkattention.spark.validate;

import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;

import io.sparkattention.spark.InputException;
import io.sparkattention.spark.io.TokenColumns;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * The segments of packed documents: a column whose value changes where one document of a sequence
 * ends and the next begins. A query attends only to keys of its own sequence with the same value,
 * so each value must hold one contiguous run of positions; the plan then knows every segment's
 * bounds and skips the block pairs that cross a boundary.
 *
 * <p>One aggregation over the table (per sequence and value: the first and last position and the
 * count), after {@link InputValidator} has checked that positions are 0 … n−1 once each.
 */
public final class SegmentValidator {
  private SegmentValidator() {}

  /**
   * Per sequence of {@code valid} (in its order) the first position of each segment, null where a
   * sequence has one segment; null if no sequence has more than one.
   *
   * @param column the segment column's name
   * @throws InputException if the column is missing, has a null value (naming the row), or a value
   *     holds positions that are not contiguous within its sequence (naming the sequence, the value
   *     and its positions)
   */
  public static long[][] segmentStarts(
      Dataset<Row> table, TokenColumns cols, String column, InputValidator.ValidTable valid) {
    TokenColumns.requireColumn(table.schema(), column, "the segment column");
    Column seq = functions.col(cols.idName());
    Column pos = functions.col(TokenColumns.POS);
    Column value = functions.col(column);
    List<Row> groups =
        table.groupBy(seq, value).agg(min(pos), max(pos), count(functions.lit(1))).collectAsList();
    Map<Object, List<Long>> bySequence = new HashMap<>();
    List<String> errors = new ArrayList<>();
    for (Row g : groups) {
      // as TokenColumns.seqId: integer ids of any width as Long
      Object id = g.get(0) instanceof Number ? (Object) ((Number) g.get(0)).longValue() : g.get(0);
      long first = ((Number) g.get(2)).longValue();
      long last = ((Number) g.get(3)).longValue();
      long rows = g.getLong(4);
      String at = cols.idName() + "=" + TokenColumns.shown(id);
      if (g.isNullAt(1)) {
        errors.add(
            rows + " row(s) of " + at + " have a null " + column + " (first at pos=" + first + ")");
      } else if (last - first + 1 != rows) {
        errors.add(
            column
                + "="
                + TokenColumns.shown(g.get(1))
                + " of "
                + at
                + " is not contiguous: its "
                + rows
                + " rows lie between pos "
                + first
                + " and "
                + last);
      }
      bySequence.computeIfAbsent(id, k -> new ArrayList<>()).add(first);
    }
    if (!errors.isEmpty()) {
      errors.sort(null); // the groups come in no particular order: show the same examples each run
      int shown = Math.min(errors.size(), ValidationSummary.EXAMPLES);
      throw new InputException(
          "invalid segment column "
              + column
              + " (each value must be one contiguous run of positions of its sequence, never"
              + " null): "
              + String.join("; ", errors.subList(0, shown))
              + (errors.size() > shown ? "; … (" + errors.size() + " in all)" : ""));
    }
    long[][] starts = new long[valid.seqIds().size()][];
    boolean any = false;
    for (int s = 0; s < starts.length; s++) {
      List<Long> firsts = bySequence.get(valid.seqIds().get(s));
      if (firsts != null && firsts.size() > 1) {
        starts[s] = firsts.stream().mapToLong(Long::longValue).sorted().toArray();
        any = true;
      }
    }
    return any ? starts : null;
  }
}
