package io.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sparkattention.fixtures.ResultTables;
import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.kernel.MatrixEngine;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's sample command writes the same output bits on every Spark line: the SHA-256 of every
 * output number's IEEE-754 bits, rows in (seq_id, pos) order, is the one recorded in {@code
 * sample-output-bits.txt} beside this class (recorded on the Spark 3.5 line, whose bits must not
 * change). Both lines' test suites run this test against the same file. The bits are those of the
 * default engine on the machine that recorded them (netlib on native OpenBLAS, whose kernels depend
 * on the CPU): the surefire runs that force another engine leave this test out.
 */
class SampleOutputBitsSparkTest {
  /** The README's sample command, as the job's options. */
  static final String[] SAMPLE = {
    "--attention", "global", "--heads", "2", "--weights", "sample-data/weights.json"
  };

  @TempDir Path tmp;

  @Test
  void sampleCommandWritesTheRecordedBits() throws IOException {
    // (mvn test -Dtest=THIS also selects it in the executions that force another engine)
    assumeTrue(
        System.getProperty("sparkattention.engine") == null,
        "the recorded bits are the default engine's");
    SparkSession spark = SparkTestSession.spark();
    Path out = tmp.resolve("sample");
    JobRuns.attention("sample-data/tokens.jsonl", out, SAMPLE);
    Map<String, double[]> rows =
        new TreeMap<>(ResultTables.collect(spark.read().json(out.toString())));
    // JSON holds decimal text: Spark's writer prints the shortest text that reads back to the same
    // double, so the bits survive; the Parquet output holds them as they are.
    Path input = tmp.resolve("tokens.parquet");
    spark.read().json("sample-data/tokens.jsonl").write().parquet(input.toString());
    Path parquet = tmp.resolve("sample-parquet");
    JobRuns.attention(input.toString(), parquet, SAMPLE);
    Map<String, double[]> fromParquet =
        new TreeMap<>(ResultTables.collect(spark.read().parquet(parquet.toString())));

    // --precision fp64 named explicitly: the same bits as the default (fp64 is unchanged).
    Path explicit = tmp.resolve("sample-fp64");
    String[] fp64 = java.util.Arrays.copyOf(SAMPLE, SAMPLE.length + 2);
    fp64[SAMPLE.length] = "--precision";
    fp64[SAMPLE.length + 1] = "fp64";
    JobRuns.attention("sample-data/tokens.jsonl", explicit, fp64);
    Map<String, double[]> fromExplicit =
        new TreeMap<>(ResultTables.collect(spark.read().json(explicit.toString())));

    String recorded = recorded();
    // The bits are the engine's: recorded on the default engine of the build machine (native
    // OpenBLAS, whose kernels depend on the CPU); another engine differs in the last bits.
    String on = " on Spark " + spark.version() + ", engine " + MatrixEngine.defaultEngine().name();
    assertEquals(recorded, digest(rows), "sample output bits (JSON)" + on);
    assertEquals(recorded, digest(fromParquet), "sample output bits (Parquet)" + on);
    assertEquals(recorded, digest(fromExplicit), "sample output bits (--precision fp64)" + on);
  }

  /** "ROWS sha256:HEX" over the rows in key order, each number's raw bits big-endian. */
  static String digest(Map<String, double[]> rows) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (Map.Entry<String, double[]> e : rows.entrySet()) {
        md.update(e.getKey().getBytes(StandardCharsets.UTF_8));
        for (double v : e.getValue()) {
          long bits = Double.doubleToRawLongBits(v);
          for (int i = 7; i >= 0; i--) {
            md.update((byte) (bits >>> (8 * i)));
          }
        }
      }
      return rows.size() + " sha256:" + HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String recorded() throws IOException {
    try (InputStream in =
        SampleOutputBitsSparkTest.class.getResourceAsStream("sample-output-bits.txt")) {
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return text.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).findFirst().orElseThrow();
    }
  }
}
