package io.sparkattention.spark.io;

import io.sparkattention.plan.SequenceIndex;
import io.sparkattention.spark.InputException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** Reading token tables and turning results back into tables. */
public final class TokenTables {
  private TokenTables() {}

  /**
   * Reads a token table with Spark's own readers.
   *
   * @throws InputException if the path does not exist or cannot be read, holds no data files, or
   *     (JSON) has malformed lines
   */
  public static Dataset<Row> read(
      SparkSession spark, String path, TableFormat format, String what) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    try {
      Path p = new Path(path);
      FileSystem fs = p.getFileSystem(conf);
      if (!fs.exists(p)) {
        throw new InputException(what + " path does not exist: " + path);
      }
      FileStatus status = fs.getFileStatus(p);
      if (status.isDirectory() && !hasDataFiles(fs, p)) {
        throw new InputException(what + " directory has no data files: " + path);
      }
      if (status.isFile() && status.getLen() == 0) {
        throw new InputException(what + " file is empty: " + path);
      }
    } catch (IOException e) {
      throw new InputException("cannot read " + what + " path " + path + ": " + e.getMessage(), e);
    }
    try {
      if (format == TableFormat.JSON) {
        Dataset<Row> df;
        try {
          df =
              spark
                  .read()
                  .option("mode", "PERMISSIVE")
                  .option("columnNameOfCorruptRecord", "_corrupt_record")
                  .json(path);
        } catch (Exception e) { // AnalysisException, undeclared (Scala)
          if (e instanceof AnalysisException
              && "COLUMN_ALREADY_EXISTS".equals(((AnalysisException) e).getErrorClass())) {
            throw duplicateKeys(spark, path, what, (AnalysisException) e);
          }
          throw e;
        }
        if (Arrays.asList(df.columns()).contains("_corrupt_record")) {
          df = df.cache();
          List<Row> bad =
              df.filter(df.col("_corrupt_record").isNotNull())
                  .select("_corrupt_record")
                  .limit(3)
                  .collectAsList();
          if (!bad.isEmpty()) {
            df.unpersist();
            List<String> lines = new ArrayList<>();
            for (Row r : bad) {
              String line = r.getString(0);
              lines.add(line.length() > 80 ? line.substring(0, 80) + "…" : line);
            }
            throw new InputException(
                what + " has malformed JSON lines, e.g. " + String.join(" | ", lines));
          }
          df = df.drop("_corrupt_record");
        }
        return df;
      }
      return spark.read().parquet(path);
    } catch (InputException e) {
      throw e;
    } catch (Exception e) {
      // The innermost cause says what is wrong with the file; the outer ones are Spark's job
      // failure, whose message carries the executor's stack trace.
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      throw new InputException(
          "cannot read "
              + what
              + " "
              + path
              + " as "
              + format
              + ": "
              + firstLine(root.getMessage()),
          e);
    }
  }

  /**
   * {@code table} with only the named columns (nulls ignored), so that every pass reads those and
   * nothing else: a table's other columns (text, metadata) are never decoded, converted to rows or
   * shuffled. The table as it is when one of them is missing, so that the column checks name it
   * beside all the table's columns.
   */
  public static Dataset<Row> keep(Dataset<Row> table, String... columns) {
    List<String> names = Arrays.asList(table.columns());
    List<String> kept = new ArrayList<>();
    for (String c : columns) {
      if (c == null || kept.contains(c)) {
        continue;
      }
      if (!names.contains(c)) {
        return table;
      }
      kept.add(c);
    }
    if (kept.size() == names.size()) {
      return table;
    }
    return table.select(kept.stream().map(c -> column(table, c)).toArray(Column[]::new));
  }

  /**
   * The column {@code name} of {@code table}, quoted, so that a name with a dot is a column, not a
   * field of a struct.
   */
  public static Column column(Dataset<Row> table, String name) {
    return table.col("`" + name.replace("`", "``") + "`");
  }

  /**
   * Spark reads a JSON object with a key twice (or two keys differing in case only) as a table with
   * two columns of one name, and refuses it naming the column only; this names a line too. Found by
   * a text scan, on this failure path only.
   */
  private static InputException duplicateKeys(
      SparkSession spark, String path, String what, AnalysisException e) {
    String column = e.getMessageParameters().getOrDefault("columnName", "").replace("`", "");
    String key = Pattern.quote("\"" + column + "\"") + "\\s*:";
    List<Row> lines =
        spark
            .read()
            .text(path)
            .filter(functions.col("value").rlike("(?i)" + key + ".*" + key))
            .limit(1)
            .collectAsList();
    String example = lines.isEmpty() ? "" : lines.get(0).getString(0);
    return new InputException(
        what
            + " has JSON lines with the key '"
            + column
            + "' twice (or two keys differing only in case), e.g. "
            + (example.length() > 80 ? example.substring(0, 80) + "…" : example),
        e);
  }

  private static boolean hasDataFiles(FileSystem fs, Path dir) throws IOException {
    for (FileStatus s : fs.listStatus(dir)) {
      String name = s.getPath().getName();
      if (name.startsWith("_") || name.startsWith(".")) {
        continue;
      }
      if (s.isFile() && s.getLen() > 0) {
        return true;
      }
      if (s.isDirectory() && hasDataFiles(fs, s.getPath())) {
        return true;
      }
    }
    return false;
  }

  static String firstLine(String s) {
    if (s == null) {
      return "unknown error";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  /** The output schema: seq_id and pos as in the input, {@code out} a vector or an array. */
  public static StructType outputSchema(TokenColumns cols, VectorType vectorType, String outName) {
    DataType outType = vectorType.dataType();
    return new StructType(
        new StructField[] {
          DataTypes.createStructField(TokenColumns.SEQ_ID, cols.seqIdType(), false),
          DataTypes.createStructField(TokenColumns.POS, cols.posType(), false),
          DataTypes.createStructField(outName, outType, false)
        });
  }

  /** Results as rows of {@link #outputSchema}, with the original seq_id values. */
  public static Dataset<Row> toTable(
      SparkSession spark,
      JavaRDD<FinishedToken> tokens,
      Broadcast<SequenceIndex> sequences,
      TokenColumns cols,
      VectorType vectorType,
      String outName) {
    StructType schema = outputSchema(cols, vectorType, outName);
    final DataType seqType = cols.seqIdType();
    final DataType posType = cols.posType();
    final boolean vector = vectorType == VectorType.VECTOR;
    JavaRDD<Row> rows =
        tokens.map(
            t -> {
              Object seq = seqIdValue(sequences.value().id(t.seqIndex()), seqType);
              Object pos = posValue(t.pos(), posType);
              Object out = vector ? Vectors.dense(t.out()) : toBoxed(t.out());
              return RowFactory.create(seq, pos, out);
            });
    return spark.createDataFrame(rows, schema);
  }

  /** A seq_id as read ({@link TokenColumns#seqId}: String or Long) back in the column's type. */
  public static Object seqIdValue(Object seq, DataType seqType) {
    if (seqType == DataTypes.IntegerType) {
      return ((Long) seq).intValue();
    } else if (seqType == DataTypes.ShortType) {
      return ((Long) seq).shortValue();
    }
    return seq;
  }

  /** A position in the pos column's type. */
  public static Object posValue(long pos, DataType posType) {
    return posType == DataTypes.LongType
        ? (Object) pos
        : posType == DataTypes.IntegerType ? (Object) (int) pos : (Object) (short) pos;
  }

  /** An array column's value: the vector boxed. */
  public static Object toBoxed(double[] v) {
    Double[] b = new Double[v.length];
    for (int i = 0; i < v.length; i++) {
      b[i] = v[i];
    }
    return b;
  }
}
