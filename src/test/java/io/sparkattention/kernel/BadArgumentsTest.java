package io.sparkattention.kernel;

import static io.sparkattention.fixtures.Matrices.toMatrix;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.Matrices;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad arguments throw {@link IllegalArgumentException} whose message names what is wrong: the
 * matrices and shapes, the bad value with its matrix, row and column, the bad count or width.
 */
class BadArgumentsTest {

  private static DMatrixRMaj m(int rows, int cols) {
    Random rnd = new Random(rows * 31L + cols);
    return toMatrix(Matrices.gaussian(rnd, rows, cols, 1), cols);
  }

  private static Arguments bad(String name, Executable call, String... fragments) {
    return Arguments.of(name, call, fragments);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource({"shapeCases", "nonFiniteCases", "weightCases", "otherCases"})
  void throwsWithMessageNamingTheProblem(String name, Executable call, String[] fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call, name);
    String msg = e.getMessage();
    for (String f : fragments) {
      assertTrue(
          msg != null && msg.contains(f), name + ": message '" + msg + "' lacks '" + f + "'");
    }
  }

  static Stream<Arguments> shapeCases() {
    AttentionWorkspace ws = new AttentionWorkspace();
    return Stream.of(
        bad(
            "Q/K width",
            () -> AttentionOps.attention(m(3, 4), m(5, 3), m(5, 2)),
            "Q is 3×4",
            "K is 5×3",
            "equal width"),
        bad(
            "K/V length",
            () -> AttentionOps.attention(m(3, 4), m(5, 4), m(6, 2)),
            "K is 5×4",
            "V is 6×2",
            "equal length"),
        bad("zero width", () -> AttentionOps.attention(m(3, 0), m(5, 0), m(5, 2)), "width 0"),
        bad(
            "state rows",
            () ->
                AttentionOps.accumulate(
                    PartialAttention.empty(2, 2), m(3, 4), 0, m(5, 4), m(5, 2), 0, Mask.none(), ws),
            "state is 2×2",
            "Q is 3×4"),
        bad(
            "state value width",
            () ->
                AttentionOps.accumulate(
                    PartialAttention.empty(3, 3), m(3, 4), 0, m(5, 4), m(5, 2), 0, Mask.none(), ws),
            "state is 3×3",
            "V is 5×2"),
        bad(
            "hard state shape",
            () ->
                AttentionOps.accumulate(
                    HardAttention.argmax(4, 2), m(3, 4), 0, m(5, 4), m(5, 2), 0, Mask.none(), ws),
            "state is 4×2"),
        bad(
            "local-p state shape",
            () ->
                AttentionOps.accumulateLocalP(
                    PartialAttention.empty(3, 1),
                    m(3, 4),
                    new double[3],
                    m(5, 4),
                    m(5, 2),
                    0,
                    2,
                    ws),
            "state is 3×1"),
        bad(
            "merge shapes",
            () -> PartialAttention.empty(2, 3).mergeFrom(PartialAttention.empty(3, 3)),
            "2×3",
            "3×3"),
        bad(
            "hard merge shapes",
            () -> HardAttention.argmax(2, 3).merge(HardAttention.argmax(2, 4)),
            "2×3",
            "2×4"),
        bad(
            "hard merge modes",
            () -> HardAttention.argmax(2, 3).merge(HardAttention.sampled(2, 3, 0)),
            "modes or seeds"),
        bad(
            "hard merge seeds",
            () -> HardAttention.sampled(2, 3, 1).merge(HardAttention.sampled(2, 3, 2)),
            "modes or seeds"),
        bad(
            "state parts disagree",
            () -> PartialAttention.of(new double[2], new double[3], new DMatrixRMaj(2, 1)),
            "2 maxima",
            "3 sums",
            "2 value rows"),
        bad(
            "state max NaN",
            () ->
                PartialAttention.of(
                    new double[] {0, Double.NaN}, new double[] {1, 1}, new DMatrixRMaj(2, 1)),
            "row 1",
            "max is NaN"),
        bad(
            "state -inf max with sum",
            () ->
                PartialAttention.of(
                    new double[] {Double.NEGATIVE_INFINITY},
                    new double[] {2},
                    new DMatrixRMaj(1, 1)),
            "row 0",
            "sum is 2.0"),
        bad(
            "state negative sum",
            () -> PartialAttention.of(new double[] {0}, new double[] {-1}, new DMatrixRMaj(1, 1)),
            "row 0",
            "sum is -1.0"),
        bad(
            "state weighted value NaN",
            () -> {
              DMatrixRMaj wv = new DMatrixRMaj(2, 3);
              wv.set(1, 2, Double.NaN);
              PartialAttention.of(new double[] {0, 0}, new double[] {1, 1}, wv);
            },
            "weightedValues has NaN at row 1, column 2"),
        bad("negative rows", () -> PartialAttention.empty(-1, 2), "-1"),
        bad(
            "output too small",
            () -> PartialAttention.empty(3, 2).output(new DMatrixRMaj(4, 2), 2),
            "output is 4×2",
            "needs 5×2"));
  }

  static Stream<Arguments> nonFiniteCases() {
    List<Arguments> cases = new ArrayList<>();
    double[] values = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
    for (String which : new String[] {"Q", "K", "V"}) {
      for (double bad : values) {
        String expected = which + " has " + bad + " at row 2, column 1";
        cases.add(
            bad(
                "attention " + expected,
                () -> {
                  DMatrixRMaj[] qkv = poisoned(which, bad);
                  AttentionOps.attention(qkv[0], qkv[1], qkv[2], Mask.causal());
                },
                expected));
        cases.add(
            bad(
                "hard " + expected,
                () -> {
                  DMatrixRMaj[] qkv = poisoned(which, bad);
                  AttentionOps.hardSampled(qkv[0], qkv[1], qkv[2], Mask.none(), 1);
                },
                expected));
        cases.add(
            bad(
                "local-p " + expected,
                () -> {
                  DMatrixRMaj[] qkv = poisoned(which, bad);
                  AttentionOps.localP(qkv[0], qkv[1], qkv[2], new double[] {0, 1, 2, 3}, 2);
                },
                expected));
      }
    }
    cases.add(
        bad(
            "local-p NaN centre",
            () -> AttentionOps.localP(m(2, 3), m(4, 3), m(4, 2), new double[] {1, Double.NaN}, 2),
            "centres has NaN at index 1"));
    cases.add(
        bad(
            "pooling NaN in H",
            () -> {
              DMatrixRMaj H = m(3, 2);
              H.set(1, 0, Double.POSITIVE_INFINITY);
              PoolingOps.pool(H, m(2, 2), null, new double[2]);
            },
            "H has Infinity at row 1, column 0"));
    cases.add(
        bad(
            "weights NaN in wq",
            () -> {
              DMatrixRMaj w = m(2, 2);
              w.set(0, 1, Double.NaN);
              AttentionWeights.builder().query(w, null).build();
            },
            "wq has NaN at row 0, column 1"));
    cases.add(
        bad(
            "weights NaN in bo",
            () -> AttentionWeights.builder().output(m(2, 2), new double[] {0, Double.NaN}).build(),
            "bo has NaN at index 1"));
    return cases.stream();
  }

  /** Q 4×3, K 5×3, V 5×2 with {@code bad} at row 2, column 1 of the named one. */
  private static DMatrixRMaj[] poisoned(String which, double bad) {
    DMatrixRMaj[] qkv = {m(4, 3), m(5, 3), m(5, 2)};
    qkv["QKV".indexOf(which)].set(2, 1, bad);
    return qkv;
  }

  static Stream<Arguments> weightCases() {
    DMatrixRMaj X = m(5, 6);
    return Stream.of(
        bad(
            "heads do not divide d_model",
            () -> MultiHeadOps.selfAttention(X, AttentionWeights.none(), 4, Mask.none()),
            "4 heads",
            "width 6"),
        bad(
            "heads 0",
            () -> MultiHeadOps.selfAttention(X, AttentionWeights.none(), 0, Mask.none()),
            "heads must be >= 1, got 0"),
        bad(
            "heads negative",
            () -> MultiHeadOps.selfAttention(X, AttentionWeights.none(), -2, Mask.none()),
            "heads must be >= 1, got -2"),
        bad(
            "heads do not divide value width",
            () ->
                MultiHeadOps.selfAttention(
                    X,
                    AttentionWeights.builder().query(m(6, 4), null).key(m(6, 4), null).build(),
                    4,
                    Mask.none()),
            "4 heads",
            "value width 6"),
        bad("head index", () -> MultiHeadOps.head(X, 3, 3), "head 3", "0..2"),
        bad(
            "setHead shape",
            () -> MultiHeadOps.setHead(new DMatrixRMaj(5, 6), m(5, 3), 0, 3),
            "head is 5×3",
            "5×2"),
        bad(
            "bias without matrix",
            () -> AttentionWeights.builder().query(null, new double[2]).build(),
            "bq is given without wq"),
        bad(
            "bias wrong length",
            () -> AttentionWeights.builder().key(m(4, 2), new double[3]).build(),
            "bk has 3 entries",
            "wk is 4×2",
            "need 2"),
        bad(
            "wq rows",
            () ->
                MultiHeadOps.selfAttention(
                    X,
                    AttentionWeights.builder().query(m(5, 4), null).key(m(6, 4), null).build(),
                    1,
                    Mask.none()),
            "wq is 5×4",
            "query input is 6 wide"),
        bad(
            "wv rows",
            () ->
                MultiHeadOps.selfAttention(
                    X, AttentionWeights.builder().value(m(7, 4), null).build(), 1, Mask.none()),
            "wv is 7×4",
            "value input is 6 wide"),
        bad(
            "wq and wk widths",
            () ->
                MultiHeadOps.selfAttention(
                    X,
                    AttentionWeights.builder().query(m(6, 4), null).key(m(6, 5), null).build(),
                    1,
                    Mask.none()),
            "queries are 4 wide but keys 5 wide"),
        bad(
            "cross-attention widths without projections",
            () -> MultiHeadOps.crossAttention(X, m(3, 4), AttentionWeights.none(), 1),
            "queries are 6 wide but keys 4 wide"),
        bad(
            "wo rows",
            () ->
                MultiHeadOps.selfAttention(
                    X, AttentionWeights.builder().output(m(5, 2), null).build(), 1, Mask.none()),
            "wo is 5×2",
            "concatenated heads is 6 wide"),
        bad(
            "local-p centres shapes",
            () -> LocalPOps.centres(m(3, 4), m(5, 2), new double[2], 10),
            "H is 3×4",
            "wp is 5×2"),
        bad(
            "local-p vp length",
            () -> LocalPOps.centres(m(3, 4), m(4, 2), new double[3], 10),
            "vp has 3 entries"),
        bad(
            "local-p negative source",
            () -> LocalPOps.centres(m(3, 4), m(4, 2), new double[2], -1),
            "source length must be >= 0, got -1"),
        bad(
            "pooling shapes",
            () -> PoolingOps.pool(m(3, 4), m(5, 2), null, new double[2]),
            "H is 3×4",
            "W is 5×2"),
        bad(
            "pooling bias length",
            () -> PoolingOps.pool(m(3, 4), m(4, 2), new double[3], new double[2]),
            "b has 3 entries"));
  }

  static Stream<Arguments> otherCases() {
    return Stream.of(
        bad("negative window", () -> Mask.window(-1), "window must be >= 0, got -1"),
        bad("negative causal window", () -> Mask.causalWindow(-3), "window must be >= 0, got -3"),
        bad(
            "local-p D = 0",
            () -> AttentionOps.localP(m(2, 3), m(4, 3), m(4, 2), new double[2], 0),
            "local-p window D must be >= 1, got 0"),
        bad(
            "local-p D negative",
            () -> AttentionOps.localP(m(2, 3), m(4, 3), m(4, 2), new double[2], -4),
            "got -4"),
        bad(
            "local-p too few centres",
            () -> AttentionOps.localP(m(3, 3), m(4, 3), m(4, 2), new double[2], 1),
            "2 centres for 3 query rows"),
        bad("pyramid levels", () -> PyramidOps.reduce(m(3, 2), -1), "levels must be >= 0, got -1"),
        bad("engine name", () -> MatrixEngine.named("cuda"), "unknown matrix engine 'cuda'"));
  }
}
