package io.sparkattention.spark.ml;

import io.sparkattention.spark.io.TokenColumns;
import io.sparkattention.spark.io.TokenTables;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * An {@link AttentionTransformer}'s input as the job's token table, and the job's result joined
 * back to the input rows.
 */
final class TransformerTable {
  /** Columns of the attention result while it is joined back to the input rows. */
  private static final String JOIN_SEQ = "__attention_seq_id";

  private static final String JOIN_POS = "__attention_pos";

  /** The segment column's name in the job's table when its own name is one of the job's. */
  private static final String SEGMENT = "__attention_segment";

  /** The global-token column's name in the job's table when its own name is one of the job's. */
  private static final String GLOBAL = "__attention_global";

  private TransformerTable() {}

  /**
   * The segment column's name in the table of {@link #of}: its own (so the job's messages name it)
   * unless that is one of the job's column names; null when {@code segmentCol} is not set.
   */
  static String segmentColumn(AttentionTransformer t) {
    return ownName(t.getSegmentCol(), SEGMENT);
  }

  /** As {@link #segmentColumn}, for the global-token column {@code globalCol}. */
  static String globalColumn(AttentionTransformer t) {
    return ownName(t.getGlobalCol(), GLOBAL);
  }

  private static String ownName(String name, String instead) {
    if (name == null) {
      return null;
    }
    for (String taken : new String[] {TokenColumns.SEQ_ID, TokenColumns.POS, "x"}) {
      if (taken.equalsIgnoreCase(name)) {
        return instead;
      }
    }
    return name;
  }

  /**
   * The job's table shape ({@code seq_id}, {@code pos}, {@code x}, and the segment column when
   * set), whatever the columns are called in {@code input}.
   */
  static Dataset<Row> of(AttentionTransformer t, Dataset<Row> input) {
    List<Column> cols = new ArrayList<>();
    cols.add(TokenTables.column(input, t.getSeqIdCol()).as(TokenColumns.SEQ_ID));
    cols.add(TokenTables.column(input, t.getPosCol()).as(TokenColumns.POS));
    cols.add(TokenTables.column(input, t.getInputCol()).as("x"));
    String segment = segmentColumn(t);
    if (segment != null) {
      cols.add(TokenTables.column(input, t.getSegmentCol()).as(segment));
    }
    String global = globalColumn(t);
    if (global != null) {
      cols.add(TokenTables.column(input, t.getGlobalCol()).as(global));
    }
    return input.select(cols.toArray(new Column[0]));
  }

  /**
   * The rows of {@code input} with the output column of {@code result} (the job's {@code seq_id},
   * {@code pos}, {@code out}) added.
   */
  static Dataset<Row> joinBack(AttentionTransformer t, Dataset<Row> input, Dataset<Row> result) {
    Dataset<Row> out =
        result
            .withColumnRenamed("out", t.getOutputCol())
            .withColumnRenamed(TokenColumns.SEQ_ID, JOIN_SEQ)
            .withColumnRenamed(TokenColumns.POS, JOIN_POS);
    // One output per (seq_id, pos), and validation proved (seq_id, pos) unique in the input: the
    // join gives every input row exactly one output, carrying all its other columns along.
    Dataset<Row> joined =
        input.join(
            out,
            TokenTables.column(input, t.getSeqIdCol())
                .equalTo(out.col(JOIN_SEQ))
                .and(TokenTables.column(input, t.getPosCol()).equalTo(out.col(JOIN_POS))));
    List<Column> keep = new ArrayList<>();
    for (String name : input.columns()) {
      keep.add(TokenTables.column(input, name));
    }
    keep.add(out.col(t.getOutputCol()));
    return joined.select(keep.toArray(new Column[0]));
  }
}
