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
import io.sparkattention.plan.Strategy;
import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.InputException;
import io.sparkattention.spark.Selection;
import io.sparkattention.spark.io.FinishedToken;
import io.sparkattention.spark.io.TokenColumns;
import io.sparkattention.spark.maps.AttentionMaps;
import io.sparkattention.spark.validate.InputValidator;
import java.util.ArrayList;
import java.util.Arrays;
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
 * Global tokens (Longformer, {@code globalTokens(n)}): every strategy and mask against the
 * plain-loop references with the fixtures' {@link Allowed#global} rule (not the library's mask),
 * soft and hard, with softcap, on lengths that do not divide the block size and N = 0, 1, 3 and N
 * beyond every length; identical bits on 1 and 5 partitions; the attention maps; the combinations
 * refused with the option named.
 */
class GlobalTokensSparkTest {
  static final int D = 8;
  static final int HEADS = 2;
  static final int BLOCK = 8;
  static final int[] LENGTHS = {1, 6, 23, 40, 61};
  static final double TOL = 1e-9;

  static SparkSession spark;
  static TokenFixtures tokens;
  static Dataset<Row> table;
  static TokenColumns cols;
  static InputValidator.ValidTable valid;
  static Weights refWeights;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.spark();
    tokens = TokenFixtures.random(15, D, LENGTHS);
    table = tokens.table(spark, 3).cache();
    cols = TokenColumns.of(table.schema(), "x");
    valid = InputValidator.validate(table, cols, "input");
    refWeights = Weights.projections(new Random(16), D, D, D, 0.5);
  }

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    Mask[] bases = {Mask.window(3), Mask.causalWindow(5), Mask.causal(), Mask.none()};
    Strategy[] strategies = {
      Strategy.SINGLE, Strategy.BLOCKS, Strategy.WINDOW, Strategy.HEADS, Strategy.AUTO
    };
    int i = 0;
    for (Strategy s : strategies) {
      for (Mask base : bases) {
        if (s != Strategy.AUTO && !StrategyMasks.fits(s, base)) {
          continue;
        }
        // N = 3 with the local window; N = 3, 0, 1 and beyond every length in turn otherwise
        int n = base.kind() == Mask.Kind.WINDOW ? 3 : new int[] {3, 0, 1, 70}[i++ % 4];
        out.add(Arguments.of(s, base.withGlobalTokens(n), 0.0, Selection.soft()));
      }
    }
    // softcap + window + global tokens (the combination), and hard attention
    for (Strategy s : strategies) {
      out.add(Arguments.of(s, Mask.window(4).withGlobalTokens(2), 1.5, Selection.soft()));
    }
    for (Strategy s : new Strategy[] {Strategy.BLOCKS, Strategy.WINDOW, Strategy.HEADS}) {
      out.add(Arguments.of(s, Mask.causalWindow(3).withGlobalTokens(3), 0.0, Selection.hard()));
      out.add(Arguments.of(s, Mask.window(2).withGlobalTokens(1), 0.0, Selection.hard()));
    }
    return out.stream();
  }

  static AttentionSpec spec(Strategy s, Mask m, double softcap, Selection sel, int partitions) {
    return AttentionSpec.builder()
        .mask(m.withoutGlobalTokens())
        .globalTokens((int) m.globalTokens())
        .softcap(softcap)
        .heads(HEADS)
        .weights(refWeights.toKernel())
        .selection(sel)
        .strategy(s)
        .blockSize(BLOCK)
        .queryTileBlocks(1)
        .keyTileBlocks(2)
        .partitions(partitions)
        .build();
  }

  @ParameterizedTest(name = "{0} {1} softcap={2} {3}")
  @MethodSource("cases")
  void equalsTheReferenceWithTheSameBitsOnOneAndFivePartitions(
      Strategy s, Mask m, double softcap, Selection sel) {
    Map<String, double[]> one = compute(spec(s, m, softcap, sel, 1));
    Map<String, double[]> five = compute(spec(s, m, softcap, sel, 5));
    Allowed allowed = Allowed.global(base(m), (int) m.globalTokens(), m.isCausal());
    ModernReference.Options ref = new ModernReference.Options().softcap(softcap);
    List<double[][]> want = new ArrayList<>();
    for (int seq = 0; seq < LENGTHS.length; seq++) {
      double[][] X = Matrices.toArray(tokens.sequences.get(seq));
      want.add(
          sel.isHard()
              ? HardReference.multiHead(X, refWeights, D, HEADS, allowed)
              : ModernReference.multiHead(X, X, refWeights, HEADS, allowed, ref));
    }
    ReferenceCheck.agreesAndSameBits(m + " " + s, tokens.seqIds, want, one, five, TOL);
  }

  /** The base mask's rule, written from the definitions (not via the mask's logic). */
  static Allowed base(Mask m) {
    switch (m.kind()) {
      case NONE:
        return Allowed.ALL;
      case CAUSAL:
        return Allowed.causal();
      case WINDOW:
        return Allowed.window(m.window());
      default:
        return Allowed.causalWindow(m.window());
    }
  }

  @Test
  void globalTokensChangeTheResultWhereTheWindowDoesNotReach() {
    Mask window = Mask.window(2);
    Map<String, double[]> plain = compute(spec(Strategy.BLOCKS, window, 0, Selection.soft(), 2));
    Map<String, double[]> global =
        compute(spec(Strategy.BLOCKS, window.withGlobalTokens(1), 0, Selection.soft(), 2));
    String last = tokens.seqIds.get(4) + "/60"; // sees token 0 only as a global key
    String first = tokens.seqIds.get(4) + "/0"; // a global query: sees every key
    String near = tokens.seqIds.get(4) + "/2"; // token 0 is in its window already
    assertTrue(!Arrays.equals(plain.get(last), global.get(last)), "the last token sees token 0");
    assertTrue(!Arrays.equals(plain.get(first), global.get(first)), "token 0 sees every token");
    assertTrue(Arrays.equals(plain.get(near), global.get(near)), "within the window: the same");
  }

  @Test
  void mapsHoldTheReferenceWeights() {
    Mask m = Mask.causalWindow(4).withGlobalTokens(3);
    List<Row> rows =
        AttentionMaps.compute(
                spark, table, cols, valid, spec(Strategy.AUTO, m, 0.0, Selection.soft(), 2), null)
            .collectAsList();
    Allowed allowed = Allowed.global(Allowed.causalWindow(4), 3, true);
    Map<String, double[][][]> want = new HashMap<>();
    for (int seq = 0; seq < LENGTHS.length; seq++) {
      double[][] X = Matrices.toArray(tokens.sequences.get(seq));
      want.put(
          tokens.seqIds.get(seq),
          ModernReference.weights(X, X, refWeights, HEADS, allowed, new ModernReference.Options()));
    }
    assertEquals(Arrays.stream(LENGTHS).sum() * HEADS, rows.size());
    for (Row r : rows) {
      double[] expected = want.get(r.getString(0))[r.getInt(1)][((Number) r.get(2)).intValue()];
      List<Double> got = r.getList(3);
      for (int k = 0; k < expected.length; k++) {
        assertEquals(expected[k], got.get(k), TOL, r.getString(0) + " head " + r.getInt(1));
      }
    }
  }

  @Test
  void combinationsWithoutAMeaningAreRefusedNamingTheOption() {
    List<AttentionSpec.Builder> bad =
        List.of(
            AttentionSpec.builder().localP(4),
            AttentionSpec.builder().cross(true),
            AttentionSpec.builder().window(3).pyramidLevels(1));
    String[] says = {"local-p", "cross attention", "pyramid"};
    for (int i = 0; i < bad.size(); i++) {
      AttentionSpec.Builder b = bad.get(i);
      InputException e = assertThrows(InputException.class, () -> b.globalTokens(2).build());
      assertEquals("globalTokens", e.parameter(), e.getMessage());
      assertTrue(e.getMessage().contains(says[i]), e.getMessage());
    }
    InputException negative =
        assertThrows(InputException.class, () -> AttentionSpec.builder().globalTokens(-1));
    assertEquals("globalTokens must be >= 0, got -1", negative.getMessage());
    // the mask's other setters keep the global tokens
    AttentionSpec s = AttentionSpec.builder().globalTokens(2).window(3).causal().build();
    assertEquals(Mask.causalWindow(3).withGlobalTokens(2), s.mask());
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
