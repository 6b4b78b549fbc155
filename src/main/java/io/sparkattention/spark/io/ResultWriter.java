package io.sparkattention.spark.io;

import io.sparkattention.spark.InputException;
import java.io.IOException;
import java.util.List;
import java.util.function.LongSupplier;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetOutputFormat;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Writes a result table (or several, as subdirectories) so that a failed job leaves nothing at the
 * output path: Spark writes into a staging directory beside it, what was written is checked against
 * the input (the row count; for token results, one row per token), and only then is the staging
 * directory renamed into place (replacing an old output only with {@code overwrite}).
 */
public final class ResultWriter {
  /** How long a failed write waits for its other tasks to end before deleting its staging. */
  private static final long DRAIN_MILLIS = 30_000;

  private ResultWriter() {}

  /**
   * Claims {@code output} for this job, before any work: takes its lock (so no other job writes
   * there until {@link #release}), cleans up what killed runs left beside it ({@link OutputClaim}),
   * and fails if something is at the path and {@code overwrite} is off. Claiming a path this JVM
   * holds returns the held claim.
   *
   * @throws InputException naming the path: it exists (without overwrite), another job is writing
   *     it, or its directory cannot be written
   */
  public static OutputClaim checkOutput(SparkSession spark, String output, boolean overwrite) {
    FileSystem fs = fileSystem(spark, output);
    return OutputClaim.claim(fs, qualified(fs, output), output, appId(spark), overwrite);
  }

  /** Releases this JVM's claim on {@code output}, if it holds one ({@link #checkOutput}). */
  public static void release(SparkSession spark, String output) {
    try {
      FileSystem fs = fileSystem(spark, output);
      OutputClaim held = OutputClaim.held(qualified(fs, output));
      if (held != null) {
        held.close();
      }
    } catch (InputException e) {
      // nothing was claimed: the path's file system cannot even be opened
    }
  }

  /**
   * Refuses an output that is one of {@code inputs}, inside one, or holds one: replacing it would
   * delete the input, and an output inside an input becomes part of it.
   *
   * @param inputs paths read by the job (nulls skipped)
   * @throws InputException naming both paths
   */
  public static void checkApart(SparkSession spark, String output, String... inputs) {
    FileSystem fs = fileSystem(spark, output);
    String out = qualified(fs, output).toString();
    for (String input : inputs) {
      if (input == null) {
        continue;
      }
      String in;
      try {
        in = qualified(fileSystem(spark, input), input).toString();
      } catch (InputException e) {
        continue; // an input on no file system here: its reader says so, in its own words
      }
      OutputClaim.checkApart(out, output, in, input);
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
   * input token ({@link OutputTally}, which counted the rows on their way to the writer). A
   * mismatch fails the job and writes nothing.
   *
   * @param check run once the table is written, before it is put in place: the number of rows
   *     written, or an {@link IllegalStateException} naming what is not one row per token
   * @return the number of rows written
   */
  public static long writeTokens(
      SparkSession spark,
      Dataset<Row> table,
      String output,
      TableFormat format,
      boolean overwrite,
      LongSupplier check) {
    return staged(
        spark,
        output,
        overwrite,
        staging -> {
          DataFrameWriter<Row> writer =
              table.write().mode(SaveMode.ErrorIfExists).format(format.toString());
          if (format == TableFormat.PARQUET) {
            writer = withoutDictionaries(writer, table.schema());
          }
          writer.save(staging.toString());
          return check.getAsLong();
        });
  }

  /**
   * {@code writer} told not to try dictionary encoding on the doubles of vector and array columns:
   * attention outputs hardly ever repeat a value, so Parquet would build a dictionary for every
   * page only to throw it away (a tenth of the write stage's time in a corpus profile). Other
   * columns (seq_id, pos) keep theirs.
   */
  static DataFrameWriter<Row> withoutDictionaries(DataFrameWriter<Row> writer, StructType schema) {
    for (StructField f : schema.fields()) {
      String path = null;
      if (f.dataType() instanceof VectorUDT) {
        path = f.name() + ".values.list.element";
      } else if (f.dataType() instanceof ArrayType a && a.elementType() == DataTypes.DoubleType) {
        path = f.name() + ".list.element";
      }
      if (path != null) {
        writer = writer.option(ParquetOutputFormat.ENABLE_DICTIONARY + "#" + path, "false");
      }
    }
    return writer;
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
   * Runs {@code body} on a staging directory beside {@code output}, then puts it in place; on any
   * failure the staging directory is deleted and the path keeps what it had.
   *
   * <p>Replacing an old output takes three renames, never a delete before the new output is in
   * place: the old output aside ({@code OUT.old-APP}), the new one in, then the old one deleted. A
   * run killed at any step leaves the old output or the new one complete at the path, except
   * between the first two renames, when the old output is complete aside; the next run on the path
   * puts it back ({@link OutputClaim}). The path's claim, held from {@link #checkOutput} on (or
   * taken here), keeps other jobs out meanwhile.
   */
  private static <T> T staged(
      SparkSession spark, String output, boolean overwrite, StagedWrite<T> body) {
    FileSystem fs = fileSystem(spark, output);
    boolean heldBefore = OutputClaim.held(qualified(fs, output)) != null;
    OutputClaim claim = checkOutput(spark, output, overwrite);
    Path out = claim.path();
    String app = appId(spark);
    Path staging = new Path(out.getParent(), out.getName() + OutputClaim.STAGING + app);
    Path aside = new Path(out.getParent(), out.getName() + OutputClaim.ASIDE + app);
    boolean done = false;
    try {
      WritePause.at(spark, WritePause.CLAIMED);
      T result = body.writeInto(staging);
      WritePause.at(spark, WritePause.STAGED);
      boolean replacing = fs.exists(out);
      if (replacing) {
        rename(fs, out, aside);
        WritePause.at(spark, WritePause.ASIDE);
      }
      try {
        rename(fs, staging, out);
      } catch (IOException e) {
        if (replacing) {
          rename(fs, aside, out); // the old output back: the path never stays empty
        }
        throw e;
      }
      done = true;
      WritePause.at(spark, WritePause.IN);
      if (replacing) {
        fs.delete(aside, true);
        WritePause.at(spark, WritePause.CLEANED);
      }
      return result;
    } catch (IOException e) {
      throw new IllegalStateException("writing " + output + " failed: " + e.getMessage(), e);
    } finally {
      if (!done) {
        TaskDrain.awaitNoRunningTasks(spark, DRAIN_MILLIS);
        try {
          fs.delete(staging, true);
        } catch (IOException ignored) {
          // best effort: the next run on the path removes it (OutputClaim)
        }
      }
      if (!heldBefore) {
        claim.close();
      }
    }
  }

  /**
   * Renames {@code from} to {@code to}, which must not exist (the claim keeps other writers out):
   * Hadoop's local rename would otherwise copy into an existing directory.
   */
  private static void rename(FileSystem fs, Path from, Path to) throws IOException {
    if (fs.exists(to) || !fs.rename(from, to)) {
      throw new IOException("rename of " + from + " to " + to + " failed");
    }
  }

  private static FileSystem fileSystem(SparkSession spark, String path) {
    try {
      return new Path(path).getFileSystem(conf(spark));
    } catch (IOException | IllegalArgumentException e) {
      throw new InputException("cannot open the file system of " + path + ": " + e.getMessage(), e);
    }
  }

  private static Path qualified(FileSystem fs, String path) {
    return fs.makeQualified(new Path(path));
  }

  private static String appId(SparkSession spark) {
    return spark.sparkContext().applicationId();
  }

  private static Configuration conf(SparkSession spark) {
    return spark.sparkContext().hadoopConfiguration();
  }
}
