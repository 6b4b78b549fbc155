package io.sparkattention.spark.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.plan.SequenceIndex;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
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

/**
 * The writer's own check that a result holds exactly one row per input token ({@link OutputTally},
 * counting the rows on their way to the writer): a result with the right row count but a duplicated
 * and a missing token, a position outside its sequence, a missing sequence or one written twice
 * fails the job and leaves nothing at the output path.
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

  /** Tokens given as (sequence index, position), in two partitions; a is split over both. */
  static long write(
      List<Object> ids,
      long[] lengths,
      DataType seqType,
      long[][] tokens,
      Path out,
      TableFormat f) {
    List<FinishedToken> list = new ArrayList<>();
    for (long[] t : tokens) {
      list.add(new FinishedToken((int) t[0], t[1], new double[] {1.0, 2.0}));
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    JavaRDD<FinishedToken> rdd = jsc.parallelize(list, 2);
    StructType in =
        new StructType()
            .add("seq_id", seqType, false)
            .add("pos", DataTypes.LongType, false)
            .add("x", SQLDataTypes.VectorType(), false);
    OutputTally tally = OutputTally.register(spark);
    SequenceIndex index = SequenceIndex.of(ids);
    Dataset<Row> table =
        TokenTables.toTable(
            spark,
            tally.observe(rdd, jsc.broadcast(lengths)),
            jsc.broadcast(index),
            TokenColumns.of(in, "x"),
            VectorType.defaultFor(f),
            "out");
    return ResultWriter.writeTokens(
        spark, table, out.toString(), f, false, () -> tally.check(index, lengths, out.toString()));
  }

  static long[][] goodTokens() {
    return new long[][] {{0, 0}, {0, 1}, {0, 2}, {1, 0}, {0, 3}, {1, 1}, {1, 2}};
  }

  @Test
  void oneRowPerTokenIsWrittenAndCounted() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "good");
    Path out = dir.resolve("out");
    long n = write(IDS, LENGTHS, DataTypes.StringType, goodTokens(), out, TableFormat.JSON);
    assertEquals(7, n);
    assertEquals(7, spark.read().json(out.toString()).count());
    assertNoStaging(dir);
  }

  @Test
  void integerSequenceIdsAreWrittenInTheirType() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "ints");
    long[][] tokens = {{1, 0}, {1, 1}, {0, 0}};
    Path out = dir.resolve("out");
    long n =
        write(
            List.of(-2L, 7L),
            new long[] {1, 2},
            DataTypes.IntegerType,
            tokens,
            out,
            TableFormat.PARQUET);
    assertEquals(3, n);
    List<Row> rows = spark.read().parquet(out.toString()).orderBy("seq_id", "pos").collectAsList();
    assertEquals(
        DataTypes.IntegerType, spark.read().parquet(out.toString()).schema().apply(0).dataType());
    assertEquals(List.of(-2, 7, 7), rows.stream().map(r -> r.get(0)).toList());
  }

  @Test
  void vectorDoublesAreWrittenWithoutADictionaryAndIdsWithOne() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "dict");
    Path out = dir.resolve("out");
    write(IDS, LENGTHS, DataTypes.StringType, goodTokens(), out, TableFormat.PARQUET);
    Map<String, Set<Encoding>> encodings = new HashMap<>();
    try (Stream<Path> files = Files.list(out)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".parquet")).toList()) {
        HadoopInputFile in =
            HadoopInputFile.fromPath(
                new org.apache.hadoop.fs.Path(f.toUri()),
                spark.sparkContext().hadoopConfiguration());
        try (ParquetFileReader reader = ParquetFileReader.open(in)) {
          for (BlockMetaData block : reader.getFooter().getBlocks()) {
            for (ColumnChunkMetaData c : block.getColumns()) {
              encodings
                  .computeIfAbsent(c.getPath().toDotString(), k -> new HashSet<>())
                  .addAll(c.getEncodings());
            }
          }
        }
      }
    }
    assertFalse(
        encodings.get("out.values.list.element").stream().anyMatch(Encoding::usesDictionary),
        encodings.toString());
    assertTrue(
        encodings.get("seq_id").stream().anyMatch(Encoding::usesDictionary), encodings.toString());
  }

  static void assertRefused(long[][] tokens, String... expected) throws IOException {
    Path dir = Files.createTempDirectory(tmp, "bad");
    Path out = dir.resolve("out");
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> write(IDS, LENGTHS, DataTypes.StringType, tokens, out, TableFormat.JSON));
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
    long[][] tokens = goodTokens();
    tokens[2] = new long[] {0, 1}; // pos 1 twice, pos 2 missing: still 7 rows
    assertRefused(tokens, "seq_id=a has position 1 more than once", "(1 sequence(s))");
  }

  @Test
  void positionsOutsideTheSequenceAreRefused() throws IOException {
    long[][] tokens = goodTokens();
    tokens[6] = new long[] {1, 3}; // b: 0, 1, 3
    assertRefused(tokens, "seq_id=b has a row at position 3, outside 0…2", "(1 sequence(s))");
  }

  @Test
  void aMissingSequenceIsRefused() throws IOException {
    long[][] tokens = {{0, 0}, {0, 1}, {0, 2}, {0, 3}};
    assertRefused(tokens, "(1 sequence(s))", "seq_id=b has no rows for 3 tokens");
  }

  @Test
  void aSequenceWrittenTwiceIsRefused() throws IOException {
    long[][] tokens = {
      {1, 0}, {1, 1}, {1, 2}, {0, 0}, {0, 1}, {0, 2}, {0, 3}, {1, 0}, {1, 1}, {1, 2}
    };
    assertRefused(tokens, "(1 sequence(s))", "seq_id=b has its rows more than once");
  }

  static void assertNoStaging(Path parent) throws IOException {
    try (Stream<Path> files = Files.list(parent)) {
      assertTrue(
          files.noneMatch(p -> p.getFileName().toString().contains(".staging-")),
          "staging left behind in " + parent);
    }
  }
}
