package io.sparkattention.spark.attention;

import static io.sparkattention.fixtures.Matrices.toArray;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.cost.CostModel;
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
import io.sparkattention.kernel.Rope;
import io.sparkattention.plan.Strategy;
import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.SparkAttention;
import io.sparkattention.spark.io.FinishedToken;
import io.sparkattention.spark.io.TokenColumns;
import io.sparkattention.spark.validate.InputValidator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Grouped-query attention with keys and values projected before the shuffle ({@link KeyShipping}):
 * d_model 16, 4 query heads of width 4, G ∈ {1, 2, 4} key/value heads. G = 1 ships 2·1·4 = 8
 * doubles per key row on every strategy; G = 2 and 4 ship the raw 16 except on the head split,
 * whose tasks take 2·4 = 8 each. Every strategy × mask × G against {@link ModernReference} (G = 2
 * with RoPE, so projected keys are rotated at their positions in the task), lengths not divisible
 * by the block size, the same bits on 1 and 5 partitions; and the shuffle bytes, modelled and
 * measured, shrink with G.
 */
class GroupedKeysShuffleSparkTest {
  static final int D = 16;
  static final int HEADS = 4;
  static final int D_HEAD = 4;
  static final int BLOCK = 8;
  static final int[] LENGTHS = {1, 5, 23, 41};
  static final double TOL = 1e-9;

  static SparkSession spark;
  static TokenFixtures tokens;
  static Dataset<Row> table;
  static TokenColumns cols;
  static InputValidator.ValidTable valid;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.spark();
    tokens = TokenFixtures.random(47, D, LENGTHS);
    table = tokens.table(spark, 3).cache();
    cols = TokenColumns.of(table.schema(), "x");
    valid = InputValidator.validate(table, cols, "input");
  }

  /** A mask with its plain predicate (written here, not derived from {@link Mask}). */
  record Masked(String name, Mask mask, Allowed allowed) {
    @Override
    public String toString() {
      return name;
    }
  }

  static List<Masked> masks() {
    return List.of(
        new Masked("global", Mask.none(), Allowed.ALL),
        new Masked("causal", Mask.causal(), (q, k) -> k <= q),
        new Masked("window 5", Mask.window(5), (q, k) -> Math.abs(q - k) <= 5),
        new Masked("causal window 9", Mask.causalWindow(9), (q, k) -> k <= q && q - k <= 9),
        new Masked(
            "window 3 + 2 global tokens",
            Mask.window(3).withGlobalTokens(2),
            (q, k) -> Math.abs(q - k) <= 3 || q < 2 || k < 2));
  }

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (int g : new int[] {1, 2, HEADS}) {
      for (Masked m : masks()) {
        for (Strategy s : StrategyMasks.STRATEGIES) {
          if (StrategyMasks.fits(s, m.mask())) {
            out.add(Arguments.of(g, m, s));
          }
        }
      }
    }
    return out.stream();
  }

  static Weights weights(int g) {
    return Weights.grouped(new Random(100 + g), D, HEADS, g, D_HEAD, 0.5);
  }

  static AttentionSpec spec(int g, Mask mask, Strategy s, int partitions) {
    AttentionSpec.Builder b =
        AttentionSpec.builder()
            .mask(mask)
            .heads(HEADS)
            .kvHeads(g)
            .weights(weights(g).toKernel())
            .strategy(s)
            .blockSize(BLOCK)
            .queryTileBlocks(2)
            .keyTileBlocks(2)
            .partitions(partitions);
    return (g == 2 ? b.rope(Rope.Style.HALF) : b).build();
  }

  static Map<String, double[]> compute(AttentionSpec spec) {
    Map<String, double[]> out = new HashMap<>();
    for (FinishedToken t :
        DistributedAttention.compute(spark, table, cols, valid, spec).tokens().collect()) {
      out.put(valid.seqIds().get(t.seqIndex()) + "/" + t.pos(), t.out());
    }
    return out;
  }

  @ParameterizedTest(name = "G={0} {1} {2}")
  @MethodSource("cases")
  void matchesTheReferenceWithTheSameBitsOnOneAndFivePartitions(int g, Masked m, Strategy s) {
    ModernReference.Options ref = new ModernReference.Options().kvHeads(g);
    if (g == 2) {
      ref = ref.rope("half", 10000);
    }
    List<double[][]> want = new ArrayList<>();
    for (int seq = 0; seq < LENGTHS.length; seq++) {
      double[][] X = toArray(tokens.sequences.get(seq));
      want.add(ModernReference.multiHead(X, X, weights(g), HEADS, m.allowed(), ref));
    }
    ReferenceCheck.agreesAndSameBits(
        "G=" + g + " " + m + " " + s,
        tokens.seqIds,
        want,
        compute(spec(g, m.mask(), s, 1)),
        compute(spec(g, m.mask(), s, 5)),
        TOL);
  }

  /**
   * Hard attention (argmax) with G = 1, keys projected before the shuffle, against {@link
   * HardReference} over the key/value head repeated for each query head (what grouped-query
   * attention means), then the output projection.
   */
  @ParameterizedTest(name = "hard {0}")
  @MethodSource("hardStrategies")
  void hardAttentionWithProjectedKeysMatchesTheReference(Strategy s) {
    Weights w = weights(1);
    Map<String, double[]> one = compute(hardSpec(s, 1));
    Map<String, double[]> five = compute(hardSpec(s, 5));
    List<double[][]> want = new ArrayList<>();
    for (int seq = 0; seq < LENGTHS.length; seq++) {
      double[][] X = toArray(tokens.sequences.get(seq));
      double[][] Q = Matrices.project(X, w.wq, w.bq);
      double[][] K = Matrices.project(X, w.wk, w.bk);
      double[][] V = Matrices.project(X, w.wv, w.bv);
      double[][] Kh = new double[X.length][HEADS * D_HEAD];
      double[][] Vh = new double[X.length][HEADS * D_HEAD];
      for (int i = 0; i < X.length; i++) {
        for (int h = 0; h < HEADS; h++) {
          System.arraycopy(K[i], 0, Kh[i], h * D_HEAD, D_HEAD);
          System.arraycopy(V[i], 0, Vh[i], h * D_HEAD, D_HEAD);
        }
      }
      double[][] heads = HardReference.heads(Q, Kh, Vh, HEADS, (q, k) -> k <= q, false, 0);
      want.add(Matrices.project(heads, w.wo, w.bo));
    }
    ReferenceCheck.agreesAndSameBits("hard " + s, tokens.seqIds, want, one, five, TOL);
  }

  static Stream<Strategy> hardStrategies() {
    return Stream.of(Strategy.SINGLE, Strategy.BLOCKS, Strategy.HEADS);
  }

  static AttentionSpec hardSpec(Strategy s, int partitions) {
    return AttentionSpec.builder()
        .mask(Mask.causal())
        .selection(io.sparkattention.spark.Selection.hard())
        .heads(HEADS)
        .kvHeads(1)
        .weights(weights(1).toKernel())
        .strategy(s)
        .blockSize(BLOCK)
        .queryTileBlocks(2)
        .keyTileBlocks(2)
        .partitions(partitions)
        .build();
  }

  /** Cross-attention ships the context's rows projected too (G = 1), on both split kinds. */
  @Test
  void crossAttentionShipsTheContextsProjectedRows() {
    TokenFixtures ctx = TokenFixtures.random(48, D, 19, 3, 33, 9);
    Dataset<Row> ctxTable = ctx.table(spark, 2).cache();
    TokenColumns ctxCols = TokenColumns.of(ctxTable.schema(), "x", "context");
    DistributedAttention.Context context =
        new DistributedAttention.Context(
            ctxTable, ctxCols, InputValidator.validate(ctxTable, ctxCols, "context"));
    for (Strategy s : new Strategy[] {Strategy.BLOCKS, Strategy.HEADS}) {
      List<Map<String, double[]>> runs = new ArrayList<>();
      for (int partitions : new int[] {1, 5}) {
        AttentionSpec spec =
            AttentionSpec.builder()
                .cross(true)
                .kvHeads(1)
                .heads(HEADS)
                .weights(weights(1).toKernel())
                .strategy(s)
                .blockSize(BLOCK)
                .queryTileBlocks(1)
                .keyTileBlocks(1)
                .partitions(partitions)
                .build();
        Map<String, double[]> got = new HashMap<>();
        for (FinishedToken t :
            DistributedAttention.compute(spark, table, cols, valid, context, spec)
                .tokens()
                .collect()) {
          got.put(valid.seqIds().get(t.seqIndex()) + "/" + t.pos(), t.out());
        }
        runs.add(got);
      }
      List<double[][]> want = new ArrayList<>();
      for (int seq = 0; seq < LENGTHS.length; seq++) {
        double[][] X = toArray(tokens.sequences.get(seq));
        double[][] C = toArray(ctx.sequence(tokens.seqIds.get(seq)));
        want.add(
            ModernReference.multiHead(
                X, C, weights(1), HEADS, Allowed.ALL, new ModernReference.Options().kvHeads(1)));
      }
      ReferenceCheck.agreesAndSameBits(
          "cross " + s, tokens.seqIds, want, runs.get(0), runs.get(1), TOL);
    }
  }

  /** The widths the engine and the model use for G key/value heads. */
  static CostModel.Widths widths(int g) {
    return new CostModel.Widths(D, D, HEADS * D_HEAD, HEADS * D_HEAD, g * D_HEAD, g * D_HEAD);
  }

  @Test
  void theChoiceIsFewerDoublesAndTheLogSaysIt() {
    assertTrue(widths(1).keysProjected(1));
    assertTrue(!widths(2).keysProjected(1) && !widths(4).keysProjected(1));
    for (int g : new int[] {1, 2, 4}) {
      assertTrue(widths(g).keysProjected(g), "head split, G=" + g);
    }
    assertEquals(
        "keys and values projected before the shuffle: 2×G×d_head = 2×1×4 = 8 doubles a row"
            + " instead of d_model = 16",
        KeyShipping.describe(widths(1), 1, 1));
    assertEquals(
        "keys and values projected before the shuffle: 2×d_head = 2×4 = 8 doubles a row to each"
            + " of the 2 head groups instead of d_model = 16",
        KeyShipping.describe(widths(2), 2, 2));
    assertTrue(KeyShipping.describe(widths(4), 1, 4).startsWith("raw key rows shipped"));
  }

  /**
   * The model's routed bytes fall from G = 4 (raw rows) to G = 1 (8 projected doubles a key row),
   * by hand. (Measured bytes are compared in CostReportShuffleModelTest, in a JVM of its own: this
   * session compresses its shuffle, and a raw token shipped as query and as key compresses to
   * almost nothing the second time.)
   */
  @Test
  void modelledShuffleBytesShrinkWithTheKeyValueHeads() {
    long[] modelled = new long[HEADS + 1];
    for (int g : new int[] {1, 2, HEADS}) {
      AttentionSpec spec =
          AttentionSpec.builder()
              .heads(HEADS)
              .kvHeads(g)
              .weights(weights(g).toKernel())
              .strategy(Strategy.BLOCKS)
              .blockSize(BLOCK)
              .queryTileBlocks(2)
              .keyTileBlocks(2)
              .build();
      modelled[g] = SparkAttention.estimate(new long[] {1, 5, 23, 41}, D, spec, 2).routedBytes();
    }
    // Blocks of 8, tiles of 2×2 blocks: a 23-token sequence is 2 query tiles × 2 key tiles, a
    // 41-token one 3 × 3; 1 and 5 tokens run whole (6 query records, keys not shipped). Every query
    // goes to each key tile's task and every key to each query tile's: 2·23 + 3·41 = 169 of each.
    CostModel.Framing f = CostModel.Framing.KRYO_REGISTERED;
    long queries = (169 + 6) * (8L * D + f.routedRecordBytes());
    assertEquals(queries + 169 * (8L * D + f.routedRecordBytes()), modelled[HEADS], "G=4: raw");
    assertEquals(queries + 169 * (8L * D + f.routedRecordBytes()), modelled[2], "G=2: raw");
    assertEquals(queries + 169 * (8L * 8 + f.routedRecordBytes()), modelled[1], "G=1: projected");
  }
}
