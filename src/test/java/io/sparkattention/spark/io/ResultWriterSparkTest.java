package io.sparkattention.spark.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.SparkTestSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The writer's own check that a result holds exactly one row per input token: a result with the
 * right row count but a duplicated and a missing token, or rows of an unknown sequence, fails the
 * job and leaves nothing at the output path.
 */
class ResultWriterSparkTest {
  static SparkSession spark;
  @TempDir static Path tmp;

  /** The input: seq a has 4 tokens, seq b 3. */
  static final List<Object> IDS = List.of("a", "b");

  static final long[] LENGTHS = {4, 3};

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.spark();
  }

  static Dataset<Row> result(DataType seqType, Object[][] rows) {
    List<Row> list = new ArrayList<>();
    for (Object[] r : rows) {
      list.add(RowFactory.create(r[0], r[1], new Double[] {1.0, 2.0}));
    }
    StructType schema =
        new StructType()
            .add("seq_id", seqType, true)
            .add("pos", DataTypes.LongType, true)
            .add("out", DataTypes.createArrayType(DataTypes.DoubleType, false), false);
    return spark.createDataFrame(list, schema).repartition(2);
  }

  static Object[][] goodRows() {
    return new Object[][] {
      {"a", 0L}, {"a", 1L}, {"a", 2L}, {"a", 3L}, {"b", 0L}, {"b", 1L}, {"b", 2L}
    };
  }

  @Test
  void oneRowPerTokenIsWrittenAndCounted() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "good");
    Path out = dir.resolve("out");
    long n =
        ResultWriter.writeTokens(
            spark,
            result(DataTypes.StringType, goodRows()),
            out.toString(),
            TableFormat.JSON,
            false,
            IDS,
            LENGTHS);
    assertEquals(7, n);
    assertEquals(7, spark.read().json(out.toString()).count());
    assertNoStaging(dir);
  }

  @Test
  void integerSequenceIdsCompareAsNumbers() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "ints");
    Object[][] rows = {{7, 0L}, {7, 1L}, {-2, 0L}};
    long n =
        ResultWriter.writeTokens(
            spark,
            result(DataTypes.IntegerType, rows),
            dir.resolve("out").toString(),
            TableFormat.PARQUET,
            false,
            List.of(-2L, 7L),
            new long[] {1, 2});
    assertEquals(3, n);
  }

  static void assertRefused(Object[][] rows, String... expected) throws IOException {
    Path dir = Files.createTempDirectory(tmp, "bad");
    Path out = dir.resolve("out");
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                ResultWriter.writeTokens(
                    spark,
                    result(DataTypes.StringType, rows),
                    out.toString(),
                    TableFormat.JSON,
                    false,
                    IDS,
                    LENGTHS));
    assertTrue(e.getMessage().startsWith("output check failed"), e.getMessage());
    for (String part : expected) {
      assertTrue(e.getMessage().contains(part), "'" + part + "' not in: " + e.getMessage());
    }
    assertTrue(e.getMessage().endsWith("nothing written to " + out), e.getMessage());
    assertFalse(Files.exists(out), "nothing at the output path");
    assertNoStaging(dir);
  }

  @Test
  void aDuplicateAndAMissingTokenWithTheRightCountAreRefused() throws IOException {
    Object[][] rows = goodRows();
    rows[2] = new Object[] {"a", 1L}; // pos 1 twice, pos 2 missing: still 7 rows
    assertRefused(
        rows,
        "seq_id=a has 4 rows with 3 distinct positions in 0…3 for 4 tokens",
        "(1 sequence(s))");
  }

  @Test
  void positionsOutsideTheSequenceAreRefused() throws IOException {
    Object[][] rows = goodRows();
    rows[6] = new Object[] {"b", 3L}; // b: 0, 1, 3
    assertRefused(rows, "seq_id=b has 3 rows with 3 distinct positions in 0…3 for 3 tokens");
  }

  @Test
  void missingAndUnknownSequencesAreRefused() throws IOException {
    Object[][] rows = {
      {"a", 0L}, {"a", 1L}, {"a", 2L}, {"a", 3L}, {"c", 0L}, {null, 1L}, {"c", 1L}
    };
    assertRefused(
        rows,
        "(3 sequence(s))",
        "2 row(s) of seq_id=c, which is not in the input",
        "1 row(s) of seq_id=null",
        "seq_id=b has no rows for 3 tokens");
  }

  static void assertNoStaging(Path parent) throws IOException {
    try (Stream<Path> files = Files.list(parent)) {
      assertTrue(
          files.noneMatch(p -> p.getFileName().toString().contains(".staging-")),
          "staging left behind in " + parent);
    }
  }
}
