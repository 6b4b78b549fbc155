package io.sparkattention.job;

import static io.sparkattention.fixtures.Json.line;
import static io.sparkattention.fixtures.ResultTables.collect;
import static io.sparkattention.fixtures.ResultTables.key;
import static io.sparkattention.fixtures.ResultTables.vector;
import static io.sparkattention.job.JobRuns.withIo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.ResultTables;
import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.spark.io.TableFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * The attention job end to end ({@link AttentionJob#run} on files in a temporary directory): round
 * trips in both formats, string and integer ids, strategies and masks, against the plain-loop
 * reference; the output's columns and types per format; the same table from either format.
 */
class AttentionJobRoundTripSparkTest {
  static SparkSession spark;
  @TempDir static Path tmp;
  static AttentionJobSample sample;

  @BeforeAll
  static void setUp() throws IOException {
    spark = SparkTestSession.spark();
    sample = new AttentionJobSample(tmp);
  }

  static Stream<Arguments> roundTrips() {
    return Stream.of(
        Arguments.of(
            TableFormat.PARQUET, false, new String[] {"--attention", "global", "--heads", "2"}),
        Arguments.of(
            TableFormat.PARQUET,
            true,
            new String[] {
              "--attention",
              "causal",
              "--window",
              "20",
              "--strategy",
              "window",
              "--block-size",
              "16"
            }),
        Arguments.of(
            TableFormat.JSON,
            false,
            new String[] {
              "--attention",
              "local",
              "--window",
              "3",
              "--heads",
              "4",
              "--strategy",
              "blocks",
              "--block-size",
              "16",
              "--query-tile-blocks",
              "2",
              "--key-tile-blocks",
              "2"
            }),
        Arguments.of(
            TableFormat.JSON,
            true,
            new String[] {
              "--attention", "causal", "--heads", "2", "--strategy", "heads", "--block-size", "32"
            }));
  }

  @ParameterizedTest(name = "{0} integerIds={1} {2}")
  @MethodSource("roundTrips")
  void roundTrip(TableFormat format, boolean integerIds, String[] options) throws IOException {
    Path dir = Files.createTempDirectory(tmp, "roundtrip");
    String input =
        format == TableFormat.PARQUET
            ? sample.writeParquet(dir.resolve("in.parquet"), integerIds, 11, 3)
            : sample.writeJson(dir.resolve("in.jsonl"), integerIds, 11);
    Path out = dir.resolve("out");
    long written = JobRuns.attention(input, out, options);
    int tokens = sample.tokens.tokens();
    assertEquals(tokens, written);

    Dataset<Row> result = spark.read().format(format.toString()).load(out.toString());
    if (format == TableFormat.PARQUET) {
      assertEquals(List.of("seq_id", "pos", "out"), Arrays.asList(result.columns()));
    } else {
      // Spark's JSON reader sorts the columns; the lines themselves keep the order.
      assertEquals(List.of("out", "pos", "seq_id"), Arrays.asList(result.columns()));
      String first = spark.read().textFile(out.toString()).first();
      assertTrue(first.matches("\\{\"seq_id\":.*,\"pos\":\\d+,\"out\":\\[.*\\]}"), first);
    }
    StructType schema = result.schema();
    DataType seqType = schema.apply("seq_id").dataType();
    DataType posType = schema.apply("pos").dataType();
    if (format == TableFormat.PARQUET) {
      assertEquals(integerIds ? DataTypes.IntegerType : DataTypes.StringType, seqType);
      assertEquals(integerIds ? DataTypes.LongType : DataTypes.IntegerType, posType);
      assertEquals(SQLDataTypes.VectorType(), schema.apply("out").dataType());
    } else {
      // JSON has no int: the reader infers long for both, and the job keeps what it read.
      assertEquals(integerIds ? DataTypes.LongType : DataTypes.StringType, seqType);
      assertEquals(DataTypes.LongType, posType);
      assertEquals(
          DataTypes.createArrayType(DataTypes.DoubleType, true), schema.apply("out").dataType());
    }
    Map<String, double[]> got = collect(result);
    assertEquals(tokens, got.size(), "exactly one row per token (no duplicates)");
    Object firstId = sample.tokens(integerIds).ids[0];
    assertTrue(got.containsKey(key(firstId, 0)), "the one-token sequence is there");

    CommandLine.ParseResult parsed =
        new CommandLine(new AttentionJob()).parseArgs(withIo(input, out, options));
    String kind = parsed.matchedOptionValue("--attention", "global");
    Integer window = parsed.matchedOptionValue("--window", null);
    int heads = parsed.matchedOptionValue("--heads", 1);
    sample.assertMatchesReference(result, integerIds, null, heads, kind, window);
  }

  /** The same sequences and options from a JSON and a Parquet input: the same rows. */
  @Test
  void jsonAndParquetGiveTheSameTable() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "formats");
    String[] options = {
      "--attention", "causal", "--heads", "2", "--strategy", "blocks", "--block-size", "16"
    };
    Path json = dir.resolve("out-json");
    Path parquet = dir.resolve("out-parquet");
    JobRuns.attention(sample.writeJson(dir.resolve("in.jsonl"), true, 4), json, options);
    JobRuns.attention(sample.writeParquet(dir.resolve("in.parquet"), true, 9, 2), parquet, options);
    ResultTables.assertSameRows(
        spark.read().json(json.toString()), spark.read().parquet(parquet.toString()));
  }

  @Test
  void oneTokenTableIsValidAndAttendsToItself() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "one");
    Path in = dir.resolve("in.json");
    Files.writeString(in, line("\"solo\"", "0", "[1.5,-2.0,0.0,3.25,1e-3,-7.0,2.0,0.5]") + "\n");
    Path out = dir.resolve("out");
    assertEquals(1, JobRuns.attention(in.toString(), out, "--attention", "causal", "--heads", "2"));
    List<Row> rows = spark.read().json(out.toString()).collectAsList();
    assertEquals(1, rows.size());
    assertEquals("solo", rows.get(0).getAs("seq_id"));
    assertEquals(0L, (long) rows.get(0).getAs("pos"));
    // Softmax over a single key is 1: the output is the token's own value, x itself.
    assertArrayEquals(
        new double[] {1.5, -2.0, 0.0, 3.25, 1e-3, -7.0, 2.0, 0.5}, vector(rows.get(0), "out"), 0.0);
  }
}
