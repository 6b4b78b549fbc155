package io.sparkattention.spark.maps;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.min;

import io.sparkattention.spark.InputException;
import io.sparkattention.spark.io.TableFormat;
import io.sparkattention.spark.io.TokenColumns;
import io.sparkattention.spark.io.TokenTables;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Reads one attention map back from a table written by {@code --emit-weights} ({@link
 * AttentionMaps}): the rows of one (seq_id, head) as an n×n matrix, checked to be complete.
 */
public final class AttentionMapReader {
  private AttentionMapReader() {}

  /**
   * One map.
   *
   * @param seqId the sequence drawn, as written
   * @param head the head
   * @param weights n×n, row = query position, column = key position
   * @param sequences how many sequences the table holds
   */
  public record Selected(String seqId, int head, double[][] weights, long sequences) {}

  /**
   * Reads the map of {@code seqId} (null: the first seq_id in the table's order) and {@code head}.
   *
   * @param format the table's format, or null to tell from the path (a directory: from its data
   *     files' names, as Spark writes them)
   * @throws InputException for a missing or unreadable table, missing columns, an unknown seq_id or
   *     head (naming what there is), or an incomplete map
   */
  public static Selected read(
      SparkSession spark, String path, TableFormat format, String seqId, int head) {
    if (head < 0) {
      throw new InputException("--head must be >= 0, got " + head);
    }
    TableFormat fmt = format != null ? format : detect(spark, path);
    Dataset<Row> table = TokenTables.read(spark, path, fmt, "weights table");
    List<String> columns = Arrays.asList(table.columns());
    for (String c :
        List.of(TokenColumns.SEQ_ID, AttentionMaps.HEAD, TokenColumns.POS, AttentionMaps.WEIGHTS)) {
      if (!columns.contains(c)) {
        throw new InputException(
            "weights table "
                + path
                + " has no column '"
                + c
                + "' (columns: "
                + String.join(", ", columns)
                + "); expected what jobs/attention --emit-weights writes: seq_id, head, pos,"
                + " weights");
      }
    }
    Dataset<Row> ids = table.select(col(TokenColumns.SEQ_ID).cast("string").as("id"));
    long sequences = ids.distinct().count();
    String id = seqId;
    if (id == null) {
      Row first = ids.agg(min(col("id"))).first();
      id = first.isNullAt(0) ? null : first.getString(0);
      if (id == null) {
        throw new InputException("weights table " + path + " has no rows");
      }
    }
    Dataset<Row> seq = table.filter(col(TokenColumns.SEQ_ID).cast("string").equalTo(id));
    if (seq.isEmpty()) {
      List<String> some =
          ids.distinct()
              .orderBy("id")
              .limit(5)
              .as(org.apache.spark.sql.Encoders.STRING())
              .collectAsList();
      throw new InputException(
          "no seq_id '"
              + id
              + "' in weights table "
              + path
              + " ("
              + sequences
              + " sequence(s), e.g. "
              + String.join(", ", some)
              + ")");
    }
    List<Row> rows =
        seq.filter(col(AttentionMaps.HEAD).equalTo(head))
            .select(TokenColumns.POS, AttentionMaps.WEIGHTS)
            .collectAsList();
    if (rows.isEmpty()) {
      Row h = seq.agg(org.apache.spark.sql.functions.max(col(AttentionMaps.HEAD))).first();
      throw new InputException(
          "seq_id " + id + " has no head " + head + " (heads 0.." + h.get(0) + ")");
    }
    int n = rows.size();
    double[][] weights = new double[n][];
    for (Row r : rows) {
      long pos = ((Number) r.get(0)).longValue();
      List<Object> w = r.getList(1);
      if (pos < 0 || pos >= n || weights[(int) pos] != null || w.size() != n) {
        throw new InputException(
            "weights table "
                + path
                + ": seq_id "
                + id
                + ", head "
                + head
                + " is not a complete "
                + n
                + "×"
                + n
                + " map (pos "
                + pos
                + " with "
                + w.size()
                + " weights)");
      }
      double[] row = new double[n];
      for (int k = 0; k < n; k++) {
        Object v = w.get(k);
        if (!(v instanceof Number)) {
          throw new InputException(
              "weights table "
                  + path
                  + ": seq_id "
                  + id
                  + ", pos "
                  + pos
                  + ": weight "
                  + k
                  + " is "
                  + v);
        }
        row[k] = ((Number) v).doubleValue();
      }
      weights[(int) pos] = row;
    }
    return new Selected(id, head, weights, sequences);
  }

  /** The format of a table: from a directory's data file names, else from the path. */
  static TableFormat detect(SparkSession spark, String path) {
    try {
      Path p = new Path(path);
      FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (fs.exists(p) && fs.getFileStatus(p).isDirectory()) {
        for (FileStatus s : fs.listStatus(p)) {
          String name = s.getPath().getName();
          if (name.startsWith("_") || name.startsWith(".")) {
            continue;
          }
          if (name.endsWith(".parquet")) {
            return TableFormat.PARQUET;
          }
          if (name.endsWith(".json")) {
            return TableFormat.JSON;
          }
        }
      }
    } catch (IOException e) {
      // fall back to the path's name; reading reports the real problem
    }
    return TableFormat.fromPath(path);
  }
}
