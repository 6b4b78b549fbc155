package io.sparkattention.spark.attention;

import static io.sparkattention.fixtures.Matrices.toArray;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.sparkattention.fixtures.Allowed;
import io.sparkattention.fixtures.HardReference;
import io.sparkattention.fixtures.Rule;
import io.sparkattention.fixtures.SoftmaxReference;
import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.fixtures.StrategyMasks;
import io.sparkattention.fixtures.TokenFixtures;
import io.sparkattention.kernel.AttentionWeights;
import io.sparkattention.kernel.Mask;
import io.sparkattention.plan.Strategy;
import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.InputException;
import io.sparkattention.spark.Selection;
import io.sparkattention.spark.io.FinishedToken;
import io.sparkattention.spark.io.TokenColumns;
import io.sparkattention.spark.validate.InputValidator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Cross and hard attention through {@link DistributedAttention} against {@link HardReference} and
 * {@link SoftmaxReference}: every strategy, mask and head count, on lengths that do not divide the
 * block size. Without weights a hard output is a copy of the chosen key's vector, so the chosen
 * keys themselves are compared, exactly.
 */
class CrossAndHardAttentionSparkTest {
  static final int D = 8;
  static final int BLOCK = 16;

  /** Targets 1, 5, 37, 150 long; contexts longer, length 1, longer, shorter. */
  static final int[] TARGET_LENGTHS = {1, 5, 37, 150};

  static final int[] CONTEXT_LENGTHS = {4, 1, 100, 29};

  static SparkSession spark;
  static TokenFixtures target;
  static TokenFixtures context;
  static Dataset<Row> targetTable;
  static TokenColumns targetCols;
  static InputValidator.ValidTable targetValid;
  static DistributedAttention.Context contextInput;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.spark();
    target = TokenFixtures.random(7, D, TARGET_LENGTHS);
    context = TokenFixtures.random(8, D, CONTEXT_LENGTHS);
    targetTable = target.table(spark, 3).cache();
    targetCols = TokenColumns.of(targetTable.schema(), "x");
    targetValid = InputValidator.validate(targetTable, targetCols, "input");
    Dataset<Row> contextTable = context.table(spark, 2).cache();
    TokenColumns contextCols = TokenColumns.of(contextTable.schema(), "x", "context");
    contextInput =
        new DistributedAttention.Context(
            contextTable,
            contextCols,
            InputValidator.validate(contextTable, contextCols, "context"));
  }

  // ------------------------------------------------------------------ hard self-attention

  static Stream<Arguments> hardCases() {
    List<Arguments> cases = new ArrayList<>();
    Mask[] masks = {Mask.none(), Mask.causal(), Mask.window(20), Mask.causalWindow(7)};
    int i = 0;
    for (Strategy s : StrategyMasks.STRATEGIES) {
      for (Mask m : masks) {
        if (!StrategyMasks.fits(s, m)) {
          continue;
        }
        int heads = s == Strategy.HEADS ? 2 + 2 * (i % 2) : new int[] {1, 2, 4}[i % 3];
        cases.add(Arguments.of(s, m, heads, i % 2 == 0 ? Rule.ARGMAX : Rule.SAMPLED));
        i++;
      }
    }
    cases.add(Arguments.of(Strategy.AUTO, Mask.causal(), 2, Rule.SAMPLED));
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} {1} heads={2} {3}")
  @MethodSource("hardCases")
  void hardSelfAttentionChoosesTheReferenceKeys(Strategy s, Mask m, int heads, Rule rule) {
    long seed = 1234;
    Selection selection = rule == Rule.SAMPLED ? Selection.sampled(seed) : Selection.hard();
    Map<String, double[]> got = compute(null, spec(m, heads, s, selection, 3));
    for (int seq = 0; seq < TARGET_LENGTHS.length; seq++) {
      double[][] X = toArray(target.sequences.get(seq));
      long[][] want = rule.choices(X, X, heads, Allowed.of(m), seed);
      assertChoices(got, target.seqIds.get(seq), want, X, heads);
    }
  }

  /**
   * The sampled choices do not depend on how the work is split: partitions 1 and 5, and one task
   * per sequence against one task per 8 × 8 block pair, give the same bits.
   */
  @Test
  void sampledChoicesAreTheSameWhateverTheSplit() {
    Selection sampled = Selection.sampled(-77);
    Mask m = Mask.causalWindow(40);
    Map<String, double[]> one = compute(null, spec(m, 2, Strategy.BLOCKS, sampled, 1));
    Map<String, double[]> five = compute(null, spec(m, 2, Strategy.BLOCKS, sampled, 5));
    Map<String, double[]> single =
        compute(
            null,
            AttentionSpec.builder()
                .mask(m)
                .heads(2)
                .strategy(Strategy.SINGLE)
                .blockSize(8)
                .queryTileBlocks(1)
                .keyTileBlocks(1)
                .partitions(2)
                .selection(sampled)
                .build());
    Map<String, double[]> pairs =
        compute(
            null,
            AttentionSpec.builder()
                .mask(m)
                .heads(2)
                .strategy(Strategy.BLOCKS)
                .blockSize(8)
                .queryTileBlocks(1)
                .keyTileBlocks(1)
                .partitions(5)
                .selection(sampled)
                .build());
    assertSameBits(one, five, "partitions 1 vs 5");
    assertSameBits(one, single, "blocks vs single");
    assertSameBits(one, pairs, "tiles of 2x3 blocks of 16 vs 1x1 blocks of 8");
    for (int seq = 0; seq < TARGET_LENGTHS.length; seq++) {
      double[][] X = toArray(target.sequences.get(seq));
      long[][] want = HardReference.choices(X, X, 2, Allowed.of(m), true, -77);
      assertChoices(one, target.seqIds.get(seq), want, X, 2);
    }
    // and the seed matters: another seed picks other keys somewhere
    Map<String, double[]> other =
        compute(null, spec(m, 2, Strategy.BLOCKS, Selection.sampled(-78), 1));
    boolean differs = false;
    for (String k : one.keySet()) {
      differs |= !java.util.Arrays.equals(one.get(k), other.get(k));
    }
    assertTrue(differs, "seed -78 chose exactly as seed -77");
  }

  /**
   * All keys score the same (wk keeps only the first column, which is 1 everywhere) but carry
   * different values: the lowest allowed position wins, across key groups merged in any order.
   */
  @Test
  void tiesGoToTheLowestKeyPositionAcrossKeyGroups() {
    int n = 45;
    List<Row> rows = new ArrayList<>();
    for (int p = 0; p < n; p++) {
      rows.add(
          org.apache.spark.sql.RowFactory.create(
              "tie", p, org.apache.spark.ml.linalg.Vectors.dense(1.0, p % 7 - 3.0)));
    }
    Dataset<Row> table = spark.createDataFrame(rows, TokenFixtures.SCHEMA).repartition(3);
    TokenColumns cols = TokenColumns.of(table.schema(), "x");
    InputValidator.ValidTable valid = InputValidator.validate(table, cols, "input");
    AttentionWeights firstColumnKeys =
        AttentionWeights.builder()
            .key(new DMatrixRMaj(new double[][] {{1, 0}, {0, 0}}), null)
            .build();
    for (Mask m : new Mask[] {Mask.none(), Mask.causal(), Mask.window(5)}) {
      AttentionSpec spec =
          AttentionSpec.builder()
              .mask(m)
              .heads(1)
              .weights(firstColumnKeys)
              .strategy(Strategy.BLOCKS)
              .blockSize(4)
              .queryTileBlocks(1)
              .keyTileBlocks(1)
              .partitions(4)
              .selection(Selection.hard())
              .build();
      for (FinishedToken t :
          DistributedAttention.compute(spark, table, cols, valid, spec).tokens().collect()) {
        long lowest = m.kind() == Mask.Kind.WINDOW ? Math.max(0, t.pos() - 5) : 0;
        assertArrayEquals(
            new double[] {1.0, lowest % 7 - 3.0}, t.out(), 0.0, m + " at pos " + t.pos());
      }
    }
  }

  // ------------------------------------------------------------------ cross-attention

  static Stream<Arguments> crossCases() {
    return Stream.of(
        Arguments.of(Strategy.SINGLE, 1, Rule.SOFT),
        Arguments.of(Strategy.SINGLE, 4, Rule.SOFT),
        Arguments.of(Strategy.BLOCKS, 1, Rule.SOFT),
        Arguments.of(Strategy.BLOCKS, 2, Rule.SOFT),
        Arguments.of(Strategy.HEADS, 4, Rule.SOFT),
        Arguments.of(Strategy.AUTO, 2, Rule.SOFT),
        Arguments.of(Strategy.BLOCKS, 2, Rule.ARGMAX),
        Arguments.of(Strategy.HEADS, 2, Rule.SAMPLED));
  }

  @ParameterizedTest(name = "{0} heads={1} {2}")
  @MethodSource("crossCases")
  void crossAttentionMatchesTheReference(Strategy s, int heads, Rule rule) {
    long seed = 99;
    Selection selection =
        rule == Rule.SOFT
            ? Selection.soft()
            : rule == Rule.ARGMAX ? Selection.hard() : Selection.sampled(seed);
    Map<String, double[]> got = compute(contextInput, spec(Mask.none(), heads, s, selection, 3));
    assertEquals(
        java.util.Arrays.stream(TARGET_LENGTHS).sum(), got.size(), "one row per target token");
    double worst = 0;
    for (int seq = 0; seq < TARGET_LENGTHS.length; seq++) {
      String id = target.seqIds.get(seq);
      double[][] X = toArray(target.sequences.get(seq));
      double[][] C = toArray(context.sequence(id));
      if (rule != Rule.SOFT) {
        long[][] want = rule.choices(X, C, heads, Allowed.ALL, seed);
        assertChoices(got, id, want, C, heads);
        continue;
      }
      double[][] want = rule.attend(X, C, C, heads, Allowed.ALL, seed);
      for (int p = 0; p < X.length; p++) {
        double[] row = got.get(id + "/" + p);
        for (int c = 0; c < D; c++) {
          worst =
              Math.max(worst, Math.abs(row[c] - want[p][c]) / Math.max(1.0, Math.abs(want[p][c])));
        }
      }
    }
    assertTrue(worst <= 1e-9, "worst relative error " + worst);
  }

  @Test
  void contextWithOtherSeqIdsIsRefusedListingThem() {
    TokenFixtures other = TokenFixtures.random(9, D, 3, 3, 3, 3, 3, 3, 3, 3); // seq-0 … seq-7
    Dataset<Row> t = other.table(spark, 1);
    TokenColumns c = TokenColumns.of(t.schema(), "x", "context");
    DistributedAttention.Context ctx =
        new DistributedAttention.Context(t, c, InputValidator.validate(t, c, "context"));
    InputException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            InputException.class,
            () ->
                DistributedAttention.compute(
                    spark,
                    targetTable,
                    targetCols,
                    targetValid,
                    ctx,
                    spec(Mask.none(), 1, Strategy.SINGLE, Selection.soft(), 1)));
    assertEquals(
        "cross-attention needs the same seq_ids in the input and the context: 4 seq_id(s) of the"
            + " context are not in the input: seq-4, seq-5, seq-6, seq-7",
        e.getMessage());
  }

  // ------------------------------------------------------------------ helpers

  static AttentionSpec spec(Mask m, int heads, Strategy s, Selection selection, int partitions) {
    return AttentionSpec.builder()
        .mask(m)
        .heads(heads)
        .strategy(s)
        .blockSize(BLOCK)
        .queryTileBlocks(3)
        .keyTileBlocks(2)
        .partitions(partitions)
        .selection(selection)
        .build();
  }

  /** Output rows by "seq_id/pos", one per target token. */
  static Map<String, double[]> compute(DistributedAttention.Context ctx, AttentionSpec spec) {
    List<FinishedToken> out =
        DistributedAttention.compute(spark, targetTable, targetCols, targetValid, ctx, spec)
            .tokens()
            .collect();
    Map<String, double[]> byKey = new HashMap<>();
    for (FinishedToken t : out) {
      String k = targetValid.seqIds().get(t.seqIndex()) + "/" + t.pos();
      assertTrue(byKey.put(k, t.out()) == null, "repeated output row " + k);
    }
    assertEquals(target.rows.size(), byKey.size(), "one output row per target token");
    return byKey;
  }

  /** Head h's slice of every output row is exactly head h's slice of the chosen key's vector. */
  static void assertChoices(
      Map<String, double[]> got, String id, long[][] want, double[][] keys, int heads) {
    int dh = D / heads;
    for (int p = 0; p < want.length; p++) {
      double[] row = got.get(id + "/" + p);
      for (int h = 0; h < heads; h++) {
        int k = (int) want[p][h];
        for (int c = h * dh; c < (h + 1) * dh; c++) {
          if (Double.doubleToRawLongBits(row[c]) != Double.doubleToRawLongBits(keys[k][c])) {
            fail(id + "/" + p + " head " + h + ": expected key " + k + "'s value, got another one");
          }
        }
      }
    }
  }

  static void assertSameBits(Map<String, double[]> a, Map<String, double[]> b, String what) {
    assertEquals(a.keySet(), b.keySet(), what);
    for (String k : a.keySet()) {
      assertArrayEquals(a.get(k), b.get(k), 0.0, what + " at " + k);
    }
  }
}
