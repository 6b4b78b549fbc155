package io.sparkattention.spark.io;

import io.sparkattention.spark.InputException;
import java.io.IOException;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Writes a result table (or several, as subdirectories) so that a failed job leaves nothing at the
 * output path: Spark writes into a staging directory beside it, what was written is checked against
 * the input (the row count; for token results, one row per token), and only then is the staging
 * directory renamed into place (replacing an old output only with {@code overwrite}).
 */
public final class ResultWriter {
  private ResultWriter() {}

  /**
   * Fails early, before any work, if {@code output} exists and {@code overwrite} is off.
   *
   * @throws InputException naming the path
   */
  public static void checkOutput(SparkSession spark, String output, boolean overwrite) {
    try {
      Path p = new Path(output);
      FileSystem fs = p.getFileSystem(conf(spark));
      if (fs.exists(p) && !overwrite) {
        throw new InputException(
            "output path already exists: " + output + " (use --overwrite to replace it)");
      }
    } catch (IOException e) {
      throw new InputException("cannot check output path " + output + ": " + e.getMessage(), e);
    }
  }

  /**
   * Writes {@code table} to {@code output} in {@code format}.
   *
   * @param expectedRows the number of input tokens; a different number of written rows fails the
   *     job and writes nothing
   * @return the number of rows written
   */
  public static long write(
      SparkSession spark,
      Dataset<Row> table,
      String output,
      TableFormat format,
      boolean overwrite,
      long expectedRows) {
    return staged(
        spark,
        output,
        overwrite,
        staging ->
            writeChecked(spark, table, staging, format, expectedRows, "input tokens", output));
  }

  /**
   * Writes a table of one row per token ({@code seq_id}, {@code pos}, …) to {@code output} in
   * {@code format}, and checks before it becomes visible that it holds exactly one row for every
   * input token: per {@code seq_id} as many rows and as many distinct positions as tokens, from 0
   * to n − 1, and no other {@code seq_id}. A mismatch fails the job and writes nothing.
   *
   * @param seqIds the input's sequences (Strings or Longs, as {@link TokenColumns#seqId})
   * @param lengths their token counts, in the same order
   * @return the number of rows written
   */
  public static long writeTokens(
      SparkSession spark,
      Dataset<Row> table,
      String output,
      TableFormat format,
      boolean overwrite,
      List<Object> seqIds,
      long[] lengths) {
    return staged(
        spark,
        output,
        overwrite,
        staging -> {
          table
              .write()
              .mode(SaveMode.ErrorIfExists)
              .format(format.toString())
              .save(staging.toString());
          // Read back with the written schema: no second pass to infer it (JSON).
          Dataset<Row> written =
              spark
                  .read()
                  .schema(table.schema())
                  .format(format.toString())
                  .load(staging.toString());
          return checkOnePerToken(written, seqIds, lengths, output);
        });
  }

  /**
   * @return the number of rows of {@code written}
   * @throws IllegalStateException naming the first sequences whose rows are not one per token
   */
  static long checkOnePerToken(
      Dataset<Row> written, List<Object> seqIds, long[] lengths, String output) {
    return OnePerTokenCheck.check(written, seqIds, lengths, output);
  }

  /**
   * A table to write as subdirectory {@code name} of the output.
   *
   * @param expectedRows the rows it must have; another count fails the job and writes nothing
   * @param what what one row stands for, for the message (e.g. "sentences")
   */
  public record NamedTable(String name, Dataset<Row> table, long expectedRows, String what) {}

  /**
   * Writes several tables as subdirectories {@code output/NAME} all or nothing: every table goes
   * into one staging directory and has its row count checked, and only then is the staging
   * directory renamed into place (replacing an old output only with {@code overwrite}).
   *
   * @return rows written, per table in order
   */
  public static long[] writeTables(
      SparkSession spark,
      List<NamedTable> tables,
      String output,
      TableFormat format,
      boolean overwrite) {
    return staged(
        spark,
        output,
        overwrite,
        staging -> {
          long[] written = new long[tables.size()];
          for (int i = 0; i < written.length; i++) {
            NamedTable t = tables.get(i);
            written[i] =
                writeChecked(
                    spark,
                    t.table(),
                    new Path(staging, t.name()),
                    format,
                    t.expectedRows(),
                    t.what(),
                    output);
          }
          return written;
        });
  }

  /** Writes {@code table} to {@code path} and checks its row count. */
  private static long writeChecked(
      SparkSession spark,
      Dataset<Row> table,
      Path path,
      TableFormat format,
      long expectedRows,
      String what,
      String output) {
    table.write().mode(SaveMode.ErrorIfExists).format(format.toString()).save(path.toString());
    long written = spark.read().format(format.toString()).load(path.toString()).count();
    if (written != expectedRows) {
      throw new IllegalStateException(
          "wrote "
              + written
              + " rows for "
              + expectedRows
              + " "
              + what
              + "; nothing written to "
              + output);
    }
    return written;
  }

  /** What goes into the staging directory before it is renamed into place. */
  private interface StagedWrite<T> {
    T writeInto(Path staging) throws IOException;
  }

  /**
   * Runs {@code body} on a staging directory beside {@code output}, then renames it into place; on
   * any failure the staging directory is deleted and nothing appears at {@code output}.
   */
  private static <T> T staged(
      SparkSession spark, String output, boolean overwrite, StagedWrite<T> body) {
    checkOutput(spark, output, overwrite);
    Path out = new Path(output);
    Path staging =
        new Path(
            out.getParent(), out.getName() + ".staging-" + spark.sparkContext().applicationId());
    FileSystem fs;
    try {
      fs = out.getFileSystem(conf(spark));
    } catch (IOException e) {
      throw new InputException(
          "cannot open output file system for " + output + ": " + e.getMessage(), e);
    }
    boolean done = false;
    try {
      T result = body.writeInto(staging);
      if (fs.exists(out)) {
        fs.delete(out, true);
      }
      if (!fs.rename(staging, out)) {
        throw new IOException("rename of " + staging + " to " + out + " failed");
      }
      done = true;
      return result;
    } catch (IOException e) {
      throw new IllegalStateException("writing " + output + " failed: " + e.getMessage(), e);
    } finally {
      if (!done) {
        try {
          fs.delete(staging, true);
        } catch (IOException ignored) {
          // best effort: the staging directory is hidden and named after the application
        }
      }
    }
  }

  private static Configuration conf(SparkSession spark) {
    return spark.sparkContext().hadoopConfiguration();
  }
}
