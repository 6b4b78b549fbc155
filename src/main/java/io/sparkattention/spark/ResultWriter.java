package io.sparkattention.spark;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Writes a result table so that a failed job leaves nothing at the output path: Spark writes into a
 * staging directory beside it, the row count is checked against the input, and only then is the
 * staging directory renamed into place (replacing an old output only with {@code overwrite}).
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
      table.write().mode(SaveMode.ErrorIfExists).format(format.toString()).save(staging.toString());
      long written = spark.read().format(format.toString()).load(staging.toString()).count();
      if (written != expectedRows) {
        throw new IllegalStateException(
            "wrote "
                + written
                + " rows for "
                + expectedRows
                + " input tokens; nothing written to "
                + output);
      }
      if (fs.exists(out)) {
        fs.delete(out, true);
      }
      if (!fs.rename(staging, out)) {
        throw new IOException("rename of " + staging + " to " + out + " failed");
      }
      done = true;
      return written;
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
