package io.sparkattention.spark.validate;

import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.when;

import io.sparkattention.spark.InputException;
import io.sparkattention.spark.io.TokenColumns;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The global tokens of a boolean column ({@code --global-col}, {@code globalColumn}): the rows
 * where it is true attend to every key and every key attends to them. One aggregation per sequence
 * on the executors gathers its global positions and counts its null values; the driver receives a
 * row only for a sequence with a global token or a null (the positions, and a few numbers), after
 * {@link InputValidator} has checked that positions are 0 … n−1 once each.
 */
public final class GlobalValidator {
  private static final Logger LOG = LoggerFactory.getLogger(GlobalValidator.class);

  private GlobalValidator() {}

  /**
   * Per sequence of {@code valid} (in its order) its global positions, increasing, null where a
   * sequence has none; null if no sequence has one.
   *
   * @param column the global-token column's name
   * @throws InputException if the column is missing or not boolean (naming {@code globalColumn}),
   *     or has a null value (naming the sequence and the position)
   */
  public static long[][] globalPositions(
      Dataset<Row> table, TokenColumns cols, String column, InputValidator.ValidTable valid) {
    TokenColumns.requireColumn(table.schema(), column, "the global-token column");
    StructField field = table.schema().apply(column);
    if (!field.dataType().equals(DataTypes.BooleanType)) {
      throw InputException.forParameter(
          "globalColumn",
          "names column "
              + column
              + " of type "
              + field.dataType().simpleString()
              + ": a global-token column must be boolean (true marks a global token)");
    }
    Column seq = functions.col(cols.idName());
    Column pos = functions.col(TokenColumns.POS);
    Column flag = functions.col(column);
    Column globals = collect_list(when(flag.equalTo(true), pos)).as("globals");
    Column nulls = count(when(flag.isNull(), 1)).as("nulls");
    Column firstNull = min(when(flag.isNull(), pos)).as("firstNull");
    List<Row> rows =
        table
            .groupBy(seq)
            .agg(globals, nulls, firstNull)
            .where(size(functions.col("globals")).gt(0).or(functions.col("nulls").gt(0)))
            .collectAsList();
    Map<Object, long[]> bySequence = new HashMap<>();
    List<String> errors = new ArrayList<>();
    long nullRows = 0;
    for (Row r : rows) {
      // as TokenColumns.seqId: integer ids of any width as Long
      Object id = r.get(0) instanceof Number ? (Object) ((Number) r.get(0)).longValue() : r.get(0);
      long n = r.getLong(2);
      if (n > 0) {
        nullRows += n;
        errors.add(
            cols.idName()
                + "="
                + TokenColumns.shown(id)
                + " pos="
                + ((Number) r.get(3)).longValue()
                + (n > 1 ? " (and " + (n - 1) + " more of that sequence)" : ""));
        continue;
      }
      List<Object> list = r.getList(1);
      long[] p = new long[list.size()];
      for (int i = 0; i < p.length; i++) {
        p[i] = ((Number) list.get(i)).longValue();
      }
      Arrays.sort(p);
      bySequence.put(id, p);
    }
    if (!errors.isEmpty()) {
      errors.sort(null); // the groups come in no particular order: show the same examples each run
      int shown = Math.min(errors.size(), ValidationSummary.EXAMPLES);
      throw new InputException(
          nullRows
              + " row(s) have a null "
              + column
              + " (the global-token column must be true or false): "
              + String.join("; ", errors.subList(0, shown))
              + (errors.size() > shown ? "; … (" + errors.size() + " sequences in all)" : ""));
    }
    long[][] positions = new long[valid.seqIds().size()][];
    long count = 0;
    for (int s = 0; s < positions.length; s++) {
      positions[s] = bySequence.get(valid.seqIds().get(s));
      count += positions[s] == null ? 0 : positions[s].length;
    }
    LOG.info(
        "global tokens of {}: {} in {} of {} sequences",
        column,
        count,
        bySequence.size(),
        positions.length);
    return bySequence.isEmpty() ? null : positions;
  }
}
