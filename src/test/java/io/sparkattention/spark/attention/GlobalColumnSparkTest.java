package io.sparkattention.spark.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.Allowed;
import io.sparkattention.fixtures.HardReference;
import io.sparkattention.fixtures.Matrices;
import io.sparkattention.fixtures.ModernReference;
import io.sparkattention.fixtures.ReferenceCheck;
import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.fixtures.StrategyMasks;
import io.sparkattention.fixtures.TokenFixtures;
import io.sparkattention.fixtures.Weights;
import io.sparkattention.kernel.Mask;
import io.sparkattention.plan.SequenceMasks;
import io.sparkattention.plan.Strategy;
import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.InputException;
import io.sparkattention.spark.Selection;
import io.sparkattention.spark.io.FinishedToken;
import io.sparkattention.spark.io.TokenColumns;
import io.sparkattention.spark.maps.AttentionMaps;
import io.sparkattention.spark.validate.GlobalValidator;
import io.sparkattention.spark.validate.InputValidator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Global tokens from a boolean column ({@code globalColumn}, the job's {@code --global-col}),
 * scattered over the sequences (not a prefix): every strategy and mask against the plain-loop
 * references with the fixtures' {@link Allowed#globalAt} rule over the column's true rows (not the
 * library's mask), soft and hard, with softcap, on lengths that do not divide the block size;
 * identical bits on 1 and 5 partitions; the attention maps; the column's refusals.
 */
class GlobalColumnSparkTest {
  static final int D = GlobalTokensSparkTest.D;
  static final int HEADS = GlobalTokensSparkTest.HEADS;
  static final int[] LENGTHS = {1, 6, 23, 40, 61};
  static final double TOL = 1e-9;

  static SparkSession spark;
  static TokenFixtures tokens;
  static Dataset<Row> table;
  static TokenColumns cols;
  static InputValidator.ValidTable valid;
  static Weights refWeights;

  /** Per sequence the positions whose column value is true. */
  static List<Set<Long>> globals = new ArrayList<>();

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.spark();
    tokens = TokenFixtures.random(151, D, LENGTHS);
    Random rnd = new Random(152);
    Column g = functions.lit(false);
    for (int s = 0; s < LENGTHS.length; s++) {
      Set<Long> set = new HashSet<>();
      List<Object> list = new ArrayList<>();
      for (long p = 0; p < LENGTHS[s]; p++) {
        // scattered, with one run of two at 17-18 in the longer sequences, none in the first
        if (s > 0 && (rnd.nextDouble() < 0.12 || p == 17 || p == 18)) {
          set.add(p);
          list.add(p);
        }
      }
      globals.add(set);
      if (!list.isEmpty()) {
        g =
            functions
                .when(
                    functions.col("seq_id").equalTo(tokens.seqIds.get(s)),
                    functions.col("pos").isin(list.toArray()))
                .otherwise(g);
      }
    }
    Dataset<Row> base = tokens.table(spark, 3);
    cols = TokenColumns.of(base.schema(), "x");
    table = base.withColumn("g", g).cache();
    valid = InputValidator.validate(table, cols, "input");
    refWeights = Weights.projections(new Random(16), D, D, D, 0.5);
  }

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    Mask[] bases = {Mask.window(3), Mask.causalWindow(5), Mask.causal(), Mask.none()};
    Strategy[] strategies = {
      Strategy.SINGLE, Strategy.BLOCKS, Strategy.WINDOW, Strategy.HEADS, Strategy.AUTO
    };
    for (Strategy s : strategies) {
      for (Mask base : bases) {
        if (s == Strategy.AUTO || StrategyMasks.fits(s, base)) {
          out.add(Arguments.of(s, base, 0.0, Selection.soft()));
        }
      }
    }
    out.add(Arguments.of(Strategy.WINDOW, Mask.window(4), 1.5, Selection.soft()));
    for (Strategy s : new Strategy[] {Strategy.BLOCKS, Strategy.WINDOW, Strategy.HEADS}) {
      out.add(Arguments.of(s, Mask.causalWindow(3), 0.0, Selection.hard()));
    }
    return out.stream();
  }

  static AttentionSpec spec(Strategy s, Mask base, double softcap, Selection sel, int partitions) {
    return AttentionSpec.builder()
        .mask(base)
        .globalColumn("g")
        .softcap(softcap)
        .heads(HEADS)
        .weights(refWeights.toKernel())
        .selection(sel)
        .strategy(s)
        .blockSize(GlobalTokensSparkTest.BLOCK)
        .queryTileBlocks(1)
        .keyTileBlocks(2)
        .partitions(partitions)
        .build();
  }

  @ParameterizedTest(name = "{0} {1} softcap={2} {3}")
  @MethodSource("cases")
  void equalsTheReferenceWithTheSameBitsOnOneAndFivePartitions(
      Strategy s, Mask base, double softcap, Selection sel) {
    Map<String, double[]> one = compute(spec(s, base, softcap, sel, 1));
    Map<String, double[]> five = compute(spec(s, base, softcap, sel, 5));
    ModernReference.Options ref = new ModernReference.Options().softcap(softcap);
    List<double[][]> want = new ArrayList<>();
    for (int seq = 0; seq < LENGTHS.length; seq++) {
      Allowed allowed =
          Allowed.globalAt(GlobalTokensSparkTest.base(base), globals.get(seq), base.isCausal());
      double[][] X = Matrices.toArray(tokens.sequences.get(seq));
      want.add(
          sel.isHard()
              ? HardReference.multiHead(X, refWeights, D, HEADS, allowed)
              : ModernReference.multiHead(X, X, refWeights, HEADS, allowed, ref));
    }
    ReferenceCheck.agreesAndSameBits(
        base + " + column " + s + " " + sel, tokens.seqIds, want, one, five, TOL);
  }

  @Test
  void mapsHoldTheReferenceWeights() {
    long[][] positions = GlobalValidator.globalPositions(table, cols, "g", valid);
    AttentionSpec spec = spec(Strategy.AUTO, Mask.causalWindow(4), 0.0, Selection.soft(), 2);
    List<Row> rows =
        AttentionMaps.compute(spark, table, cols, valid, spec, SequenceMasks.globals(positions))
            .collectAsList();
    Map<String, double[][][]> want = new HashMap<>();
    for (int seq = 0; seq < LENGTHS.length; seq++) {
      double[][] X = Matrices.toArray(tokens.sequences.get(seq));
      Allowed allowed = Allowed.globalAt(Allowed.causalWindow(4), globals.get(seq), true);
      want.put(
          tokens.seqIds.get(seq),
          ModernReference.weights(X, X, refWeights, HEADS, allowed, new ModernReference.Options()));
    }
    assertEquals(java.util.Arrays.stream(LENGTHS).sum() * HEADS, rows.size());
    for (Row r : rows) {
      double[] expected = want.get(r.getString(0))[r.getInt(1)][((Number) r.get(2)).intValue()];
      List<Double> got = r.getList(3);
      for (int k = 0; k < expected.length; k++) {
        assertEquals(expected[k], got.get(k), TOL, r.getString(0) + " head " + r.getInt(1));
      }
    }
  }

  @Test
  void badColumnsAndCombinationsAreRefusedNamingTheRowOrTheOption() {
    AttentionSpec ok = spec(Strategy.BLOCKS, Mask.window(2), 0.0, Selection.soft(), 2);
    // a null value: the sequence and the position
    Dataset<Row> withNull =
        table.withColumn(
            "g",
            functions
                .when(
                    functions
                        .col("seq_id")
                        .equalTo(tokens.seqIds.get(2))
                        .and(functions.col("pos").equalTo(7)),
                    functions.lit(null).cast("boolean"))
                .otherwise(functions.col("g")));
    InputException nul =
        assertThrows(
            InputException.class,
            () -> DistributedAttention.compute(spark, withNull, cols, valid, null, ok));
    assertTrue(
        nul.getMessage().contains("seq_id=" + tokens.seqIds.get(2) + " pos=7"), nul.getMessage());
    // not boolean: names the option's parameter
    Dataset<Row> ints = table.withColumn("g", functions.col("g").cast("int"));
    InputException type =
        assertThrows(
            InputException.class,
            () -> DistributedAttention.compute(spark, ints, cols, valid, null, ok));
    assertEquals("globalColumn", type.parameter(), type.getMessage());
    assertTrue(type.getMessage().contains("must be boolean"), type.getMessage());
    // missing: names the column
    InputException missing =
        assertThrows(
            InputException.class,
            () -> DistributedAttention.compute(spark, table.drop("g"), cols, valid, null, ok));
    assertTrue(missing.getMessage().contains("g"), missing.getMessage());
    // with --global-tokens, local-p, cross, a pyramid or as the segment column: refused naming
    // globalColumn
    List<AttentionSpec.Builder> bad =
        List.of(
            AttentionSpec.builder().window(3).globalTokens(2),
            AttentionSpec.builder().localP(4),
            AttentionSpec.builder().cross(true),
            AttentionSpec.builder().window(3).pyramidLevels(1),
            AttentionSpec.builder().window(3).segmentColumn("g"));
    String[] says = {"globalTokens", "local-p", "cross attention", "pyramid", "segment column"};
    for (int i = 0; i < bad.size(); i++) {
      AttentionSpec.Builder b = bad.get(i);
      InputException e = assertThrows(InputException.class, () -> b.globalColumn("g").build());
      assertEquals("globalColumn", e.parameter(), e.getMessage());
      assertTrue(e.getMessage().contains(says[i]), e.getMessage());
    }
  }

  static Map<String, double[]> compute(AttentionSpec spec) {
    Map<String, double[]> byKey = new HashMap<>();
    for (FinishedToken t :
        DistributedAttention.compute(spark, table, cols, valid, null, spec).tokens().collect()) {
      String k = valid.seqIds().get(t.seqIndex()) + "/" + t.pos();
      assertTrue(byKey.put(k, t.out()) == null, "repeated output row " + k);
    }
    assertEquals(tokens.rows.size(), byKey.size(), "one output row per token");
    return byKey;
  }
}
