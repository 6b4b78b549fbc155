package io.sparkattention.spark.attention;

import static io.sparkattention.fixtures.Matrices.toArray;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.sparkattention.fixtures.Allowed;
import io.sparkattention.fixtures.ModernReference;
import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.fixtures.TokenFixtures;
import io.sparkattention.fixtures.Weights;
import io.sparkattention.kernel.Mask;
import io.sparkattention.kernel.Rope;
import io.sparkattention.plan.Strategy;
import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.InputException;
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
 * RoPE, grouped-query heads, ALiBi, softcap and a set scale through {@link DistributedAttention}
 * against {@link ModernReference}: the combinations, every strategy, lengths that do not
 * divide the block size, partition counts 1 and 5 giving the same bits; the attention maps; cross
 * attention with RoPE at each table's own positions.
 */
class ModernAttentionSparkTest {
  static final int D = 8;
  static final int HEADS = 4;
  static final int D_HEAD = 4;
  static final int BLOCK = 16;
  static final int[] LENGTHS = {1, 5, 37, 70};
  static final double TOL = 1e-9;

  static SparkSession spark;
  static TokenFixtures tokens;
  static Dataset<Row> table;
  static TokenColumns cols;
  static InputValidator.ValidTable valid;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.spark();
    tokens = TokenFixtures.random(31, D, LENGTHS);
    table = tokens.table(spark, 3).cache();
    cols = TokenColumns.of(table.schema(), "x");
    valid = InputValidator.validate(table, cols, "input");
  }

  /** A named combination: the spec's settings and the reference's. */
  record Combo(
      String name,
      Mask mask,
      Allowed allowed,
      ModernReference.Options ref,
      java.util.function.UnaryOperator<AttentionSpec.Builder> spec) {
    @Override
    public String toString() {
      return name;
    }

    int kvHeads() {
      return ref.kvHeads == 0 ? HEADS : ref.kvHeads;
    }
  }

  static List<Combo> combos() {
    return List.of(
        new Combo(
            "rope+gqa+causal+window",
            Mask.causalWindow(20),
            Allowed.causalWindow(20),
            new ModernReference.Options().rope("half", 10000).kvHeads(2),
            b -> b.rope(Rope.Style.HALF).kvHeads(2)),
        new Combo(
            "alibi+causal",
            Mask.causal(),
            Allowed.causal(),
            new ModernReference.Options().alibi(),
            b -> b.alibi(true)),
        new Combo(
            "softcap+scale+window",
            Mask.window(7),
            Allowed.window(7),
            new ModernReference.Options().softcap(1.5).scale(0.8),
            b -> b.softcap(1.5).scale(0.8)),
        new Combo(
            "rope-interleaved+mqa global",
            Mask.none(),
            Allowed.ALL,
            new ModernReference.Options().rope("interleaved", 500).kvHeads(1),
            b -> b.rope(Rope.Style.INTERLEAVED).ropeTheta(500).kvHeads(1)),
        new Combo(
            "all+causal window",
            Mask.causalWindow(30),
            Allowed.causalWindow(30),
            new ModernReference.Options()
                .rope("half", 1000)
                .alibi()
                .softcap(2)
                .scale(0.4)
                .kvHeads(2),
            b ->
                b.rope(Rope.Style.HALF)
                    .ropeTheta(1000)
                    .alibi(true)
                    .softcap(2)
                    .scale(0.4)
                    .kvHeads(2)));
  }

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (Combo c : combos()) {
      boolean windowed =
          c.mask.kind() == Mask.Kind.WINDOW || c.mask.kind() == Mask.Kind.CAUSAL_WINDOW;
      for (Strategy s : Strategy.values()) {
        if (s == Strategy.WINDOW && !windowed) {
          continue;
        }
        out.add(Arguments.of(c, s));
      }
    }
    return out.stream();
  }

  static Weights weights(Combo c) {
    return Weights.grouped(new Random(c.name.hashCode()), D, HEADS, c.kvHeads(), D_HEAD, 0.6);
  }

  static AttentionSpec spec(Combo c, Strategy s, int partitions) {
    return c.spec
        .apply(AttentionSpec.builder())
        .mask(c.mask)
        .heads(HEADS)
        .weights(weights(c).toKernel())
        .strategy(s)
        .blockSize(BLOCK)
        .queryTileBlocks(2)
        .keyTileBlocks(2)
        .partitions(partitions)
        .build();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void matchesTheReferenceWithTheSameBitsOnOneAndFivePartitions(Combo c, Strategy s) {
    Map<String, double[]> one = compute(spec(c, s, 1));
    Map<String, double[]> five = compute(spec(c, s, 5));
    Weights w = weights(c);
    for (int seq = 0; seq < LENGTHS.length; seq++) {
      double[][] X = toArray(tokens.sequences.get(seq));
      double[][] want = ModernReference.multiHead(X, X, w, HEADS, c.allowed, c.ref);
      String id = tokens.seqIds.get(seq);
      for (int p = 0; p < X.length; p++) {
        double[] got = one.get(id + "/" + p);
        for (int k = 0; k < want[p].length; k++) {
          double err = Math.abs(want[p][k] - got[k]) / Math.max(1, Math.abs(want[p][k]));
          if (!(err <= TOL)) {
            fail(c + " " + s + " " + id + "/" + p + "[" + k + "]: " + want[p][k] + " vs " + got[k]);
          }
        }
      }
    }
    for (String k : one.keySet()) {
      assertTrue(Arrays.equals(one.get(k), five.get(k)), c + " " + s + ": bits differ at " + k);
    }
  }

  @Test
  void mapsHoldTheReferenceWeights() {
    Combo c = combos().get(4);
    List<Row> rows =
        AttentionMaps.compute(spark, table, cols, valid, spec(c, Strategy.AUTO, 2), null)
            .collectAsList();
    Map<String, double[][][]> want = new HashMap<>();
    for (int seq = 0; seq < LENGTHS.length; seq++) {
      double[][] X = toArray(tokens.sequences.get(seq));
      want.put(
          tokens.seqIds.get(seq),
          ModernReference.weights(X, X, weights(c), HEADS, c.allowed, c.ref));
    }
    long expectedRows = 0;
    for (int n : LENGTHS) {
      expectedRows += (long) n * HEADS;
    }
    assertEquals(expectedRows, rows.size());
    for (Row r : rows) {
      double[] expected = want.get(r.getString(0))[r.getInt(1)][((Number) r.get(2)).intValue()];
      List<Double> got = r.getList(3);
      for (int k = 0; k < expected.length; k++) {
        assertEquals(expected[k], got.get(k), TOL, r.getString(0) + " head " + r.getInt(1));
      }
    }
  }

  @Test
  void crossAttentionRotatesEachTableAtItsOwnPositions() {
    TokenFixtures ctx = TokenFixtures.random(32, D, 40, 3, 100, 17);
    Dataset<Row> ctxTable = ctx.table(spark, 2).cache();
    TokenColumns ctxCols = TokenColumns.of(ctxTable.schema(), "x", "context");
    DistributedAttention.Context context =
        new DistributedAttention.Context(
            ctxTable, ctxCols, InputValidator.validate(ctxTable, ctxCols, "context"));
    ModernReference.Options ref = new ModernReference.Options().rope("half", 10000).kvHeads(2);
    Weights w = Weights.grouped(new Random(3), D, HEADS, 2, D_HEAD, 0.6);
    for (Strategy s : new Strategy[] {Strategy.BLOCKS, Strategy.HEADS}) {
      AttentionSpec spec =
          AttentionSpec.builder()
              .cross(true)
              .rope(Rope.Style.HALF)
              .kvHeads(2)
              .heads(HEADS)
              .weights(w.toKernel())
              .strategy(s)
              .blockSize(BLOCK)
              .queryTileBlocks(1)
              .keyTileBlocks(1)
              .partitions(3)
              .build();
      Map<String, double[]> got = new HashMap<>();
      for (FinishedToken t :
          DistributedAttention.compute(spark, table, cols, valid, context, spec)
              .tokens()
              .collect()) {
        got.put(valid.seqIds().get(t.seqIndex()) + "/" + t.pos(), t.out());
      }
      for (int seq = 0; seq < LENGTHS.length; seq++) {
        String id = tokens.seqIds.get(seq);
        double[][] X = toArray(tokens.sequences.get(seq));
        double[][] C = toArray(ctx.sequence(id));
        double[][] want = ModernReference.multiHead(X, C, w, HEADS, Allowed.ALL, ref);
        for (int p = 0; p < X.length; p++) {
          double[] row = got.get(id + "/" + p);
          for (int k = 0; k < want[p].length; k++) {
            assertEquals(want[p][k], row[k], TOL * Math.max(1, Math.abs(want[p][k])), s + " " + id);
          }
        }
      }
    }
  }

  @Test
  void ropeWithAnOddHeadWidthIsRefusedNamingTheOption() {
    AttentionSpec spec =
        AttentionSpec.builder().rope(Rope.Style.HALF).heads(8).blockSize(BLOCK).build();
    InputException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            InputException.class,
            () -> DistributedAttention.compute(spark, table, cols, valid, null, spec));
    assertEquals("rope", e.parameter());
    assertTrue(e.getMessage().contains("head width must be even, got 1"), e.getMessage());
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
