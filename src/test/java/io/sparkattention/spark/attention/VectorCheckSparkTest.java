package io.sparkattention.spark.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.kernel.Mask;
import io.sparkattention.plan.Strategy;
import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.InputException;
import io.sparkattention.spark.faults.FaultInjection;
import io.sparkattention.spark.io.FinishedToken;
import io.sparkattention.spark.io.TokenColumns;
import io.sparkattention.spark.validate.InputValidator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Validation in two halves ({@link InputValidator#validatePositions}, then {@code VectorCheck} as
 * the rows are routed): the first reads the vectors of no file beyond the first one read, the
 * second refuses exactly what a full {@link InputValidator#validate} refuses (the same count,
 * examples and widths), from {@link DistributedAttention#compute} itself, so before any tile task;
 * and a good table gives the bits of the fully validated one.
 */
class VectorCheckSparkTest {
  static final int D = 4;
  static final int[] LENGTHS = {9, 5, 12};
  static SparkSession spark;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.spark();
  }

  static final StructType SCHEMA =
      new StructType()
          .add("seq_id", DataTypes.StringType, false)
          .add("pos", DataTypes.IntegerType, false)
          .add("x", DataTypes.createArrayType(DataTypes.DoubleType), true);

  /** Random rows of {@link #LENGTHS}, shuffled, with {@code bad} replacing rows' vectors. */
  static Dataset<Row> table(int partitions, boolean bad) {
    return table(partitions, bad, D, LENGTHS);
  }

  /** Random rows of width {@code d} and the given lengths, as above. */
  static Dataset<Row> table(int partitions, boolean bad, int d, int... lengths) {
    Random rnd = new Random(11);
    List<Row> rows = new ArrayList<>();
    for (int s = 0; s < lengths.length; s++) {
      String id = String.valueOf((char) ('a' + s));
      for (int p = 0; p < lengths[s]; p++) {
        List<Double> x = new ArrayList<>();
        for (int i = 0; i < d; i++) {
          x.add(rnd.nextGaussian());
        }
        if (bad && id.equals("a") && p == 3) {
          x.set(1, Double.NaN);
        } else if (bad && id.equals("c") && p == 10) {
          x.set(0, Double.POSITIVE_INFINITY);
        } else if (bad && id.equals("b") && p == 2) {
          x.remove(3);
        } else if (bad && id.equals("c") && p == 0) {
          x = null;
        }
        rows.add(RowFactory.create(id, p, x));
      }
    }
    Collections.shuffle(rows, rnd);
    return spark.createDataFrame(rows, SCHEMA).repartition(partitions);
  }

  static AttentionSpec spec() {
    return spec(4);
  }

  static AttentionSpec spec(int blockSize) {
    return AttentionSpec.builder()
        .mask(Mask.causal())
        .heads(2)
        .strategy(Strategy.BLOCKS)
        .blockSize(blockSize)
        .partitions(3)
        .build();
  }

  static List<String> expectedParts() {
    return List.of(
        "invalid input: 3 bad row(s)",
        "x[1] is NaN or null at seq_id=a, pos=3",
        "x[0] is Infinity at seq_id=c, pos=10",
        "null x at seq_id=c, pos=0",
        "column x has mixed vector lengths: 3 at seq_id=b, pos=2; 4 at seq_id=");
  }

  @ParameterizedTest(name = "{0} partitions")
  @ValueSource(ints = {1, 3, 5})
  void badVectorsAreRefusedAsFullValidationRefusesThem(int partitions) {
    Dataset<Row> t = table(partitions, true);
    TokenColumns cols = TokenColumns.of(t.schema(), "x");
    InputException full =
        assertThrows(InputException.class, () -> InputValidator.validate(t, cols, "input"));
    InputValidator.ValidTable positions = InputValidator.validatePositions(t, cols, "input");
    assertFalse(positions.vectorsChecked());
    assertEquals(D, positions.width());
    // compute is lazy but for the routing stage: its throwing shows no tile task ran
    InputException split =
        assertThrows(
            InputException.class,
            () -> DistributedAttention.compute(spark, t, cols, positions, spec()));
    for (String part : expectedParts()) {
      assertTrue(full.getMessage().contains(part), part + " not in: " + full.getMessage());
      assertTrue(split.getMessage().contains(part), part + " not in: " + split.getMessage());
    }
  }

  @Test
  void aFirstRowOfAnotherWidthIsRefusedAsMixedWidthsNotAsAWidthTheHeadsDoNotFit() {
    // One partition, rows in order: the width is taken from the first row, 3 wide, which two
    // heads do not divide; the other rows are 4 wide.
    List<Row> rows = new ArrayList<>();
    for (int p = 0; p < 6; p++) {
      rows.add(
          RowFactory.create(
              "a", p, p == 0 ? List.of(1.0, 2.0, 3.0) : List.of(1.0, 0.5, (double) p, 2.0)));
    }
    Dataset<Row> t = spark.createDataFrame(rows, SCHEMA).coalesce(1);
    TokenColumns cols = TokenColumns.of(t.schema(), "x");
    InputValidator.ValidTable positions = InputValidator.validatePositions(t, cols, "input");
    assertEquals(3, positions.width());
    InputException e =
        assertThrows(
            InputException.class,
            () -> DistributedAttention.compute(spark, t, cols, positions, spec()));
    assertTrue(
        e.getMessage()
            .startsWith(
                "invalid input: column x has mixed vector lengths: 3 at seq_id=a, pos=0; 4 at"
                    + " seq_id=a, pos=1"),
        e.getMessage());
  }

  @Test
  void retriedRoutingTasksCountTheirBadRowsOnce() {
    Dataset<Row> t = table(3, true);
    TokenColumns cols = TokenColumns.of(t.schema(), "x");
    InputValidator.ValidTable positions = InputValidator.validatePositions(t, cols, "input");
    spark.conf().set(FaultInjection.FAIL_KEY, "route:*");
    InputException e;
    try {
      e =
          assertThrows(
              InputException.class,
              () -> DistributedAttention.compute(spark, t, cols, positions, spec()));
    } finally {
      spark.conf().unset(FaultInjection.FAIL_KEY);
    }
    assertTrue(e.getMessage().startsWith("invalid input: 3 bad row(s)"), e.getMessage());
  }

  @Test
  void validatingPositionsReadsTheVectorsOfTheFirstFileOnly(@TempDir Path dir) throws Exception {
    // Two files, read with one schema: the larger (read first) as it says, the smaller with
    // strings in x, which fails any task that reads its vectors.
    Path in = Files.createDirectories(dir.resolve("in.parquet"));
    Dataset<Row> good = table(1, false, D, 40);
    Dataset<Row> strings =
        table(1, false, D, 5)
            .withColumn("seq_id", functions.lit("b"))
            .withColumn("x", functions.col("x").cast("array<string>"));
    int f = 0;
    for (Dataset<Row> part : List.of(good, strings)) {
      Path written = dir.resolve("part" + f);
      part.write().parquet(written.toString());
      try (Stream<Path> files = Files.list(written)) {
        for (Path p : files.filter(p -> p.getFileName().toString().startsWith("part-")).toList()) {
          Files.move(p, in.resolve(f + "-" + p.getFileName()));
        }
      }
      f++;
    }
    Dataset<Row> t = spark.read().schema(SCHEMA).parquet(in.toString());
    TokenColumns cols = TokenColumns.of(t.schema(), "x");
    String disagree = "input files disagree on the type of column x";
    InputException full =
        assertThrows(InputException.class, () -> InputValidator.validate(t, cols, "input"));
    assertTrue(full.getMessage().startsWith(disagree), full.getMessage());
    InputValidator.ValidTable positions = InputValidator.validatePositions(t, cols, "input");
    assertEquals(List.of("a", "b"), positions.seqIds());
    assertArrayEquals(new long[] {40, 5}, positions.lengths());
    assertEquals(D, positions.width());
    InputException routed =
        assertThrows(
            InputException.class,
            () -> DistributedAttention.compute(spark, t, cols, positions, spec()));
    assertTrue(routed.getMessage().startsWith(disagree), routed.getMessage());
  }

  @Test
  void aGoodTableGivesTheBitsOfTheFullyValidatedOne() {
    Dataset<Row> t = table(3, false, 8, 70, 33, 121);
    TokenColumns cols = TokenColumns.of(t.schema(), "x");
    InputValidator.ValidTable positions = InputValidator.validatePositions(t, cols, "input");
    InputValidator.ValidTable full = InputValidator.validate(t, cols, "input");
    assertNull(full.widthRow());
    assertTrue(full.vectorsChecked());
    assertEquals(full.seqIds(), positions.seqIds());
    assertArrayEquals(full.lengths(), positions.lengths());
    assertEquals(full.width(), positions.width());
    assertEquals(full.tokens(), positions.tokens());
    assertArrayEquals(
        outputs(DistributedAttention.compute(spark, t, cols, full, spec(16))),
        outputs(DistributedAttention.compute(spark, t, cols, positions, spec(16))));
  }

  private static double[][] outputs(DistributedAttention.Result r) {
    List<FinishedToken> tokens = new ArrayList<>(r.tokens().collect());
    tokens.sort(
        Comparator.comparingInt(FinishedToken::seqIndex).thenComparingLong(FinishedToken::pos));
    return tokens.stream().map(FinishedToken::out).toArray(double[][]::new);
  }
}
