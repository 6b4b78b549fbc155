package io.sparkattention.kernel;

import static io.sparkattention.fixtures.Matrices.toMatrix;
import static io.sparkattention.kernel.KernelAssert.REL_TOL;
import static io.sparkattention.kernel.KernelAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sparkattention.fixtures.Allowed;
import io.sparkattention.fixtures.Matrices;
import io.sparkattention.fixtures.RefMask;
import io.sparkattention.fixtures.SoftmaxReference;
import io.sparkattention.fixtures.Weights;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link MultiHeadOps} and {@link AttentionWeights} against the reference's hand-written
 * projections, head split and concatenation, for 1, 2 and 8 heads.
 */
class MultiHeadOpsTest {

  /** Which optional parts are present: bit 0..3 = wq, wk, wv, wo; bit 4 = biases. */
  static Weights randomWeights(
      Random rnd, int dIn, int dCtx, int dqk, int dv, int dOut, int parts) {
    Weights w = new Weights();
    boolean biases = (parts & 16) != 0;
    if ((parts & 1) != 0) {
      w.wq = Matrices.gaussian(rnd, dIn, dqk, 0.5);
      w.bq = biases ? Matrices.gaussian(rnd, dqk, 0.3) : null;
    }
    if ((parts & 2) != 0) {
      w.wk = Matrices.gaussian(rnd, dCtx, dqk, 0.5);
      w.bk = biases ? Matrices.gaussian(rnd, dqk, 0.3) : null;
    }
    if ((parts & 4) != 0) {
      w.wv = Matrices.gaussian(rnd, dCtx, dv, 0.5);
      w.bv = biases ? Matrices.gaussian(rnd, dv, 0.3) : null;
    }
    if ((parts & 8) != 0) {
      w.wo = Matrices.gaussian(rnd, dv, dOut, 0.5);
      w.bo = biases ? Matrices.gaussian(rnd, dOut, 0.3) : null;
    }
    return w;
  }

  static Stream<Arguments> selfCases() {
    List<Arguments> cases = new ArrayList<>();
    int[] heads = {1, 2, 8};
    int[] lengths = {1, 2, 7, 64};
    RefMask[] masks = RefMask.allMasks();
    int i = 0;
    for (int h : heads) {
      for (int len : lengths) {
        for (int parts : new int[] {0, 15, 31}) {
          cases.add(Arguments.of(h, len, parts, masks[i++ % masks.length]));
        }
      }
    }
    return cases.stream();
  }

  /** d_model 16, projected to 8·h-wide queries/keys and 16-wide values, output 5 wide. */
  @ParameterizedTest(name = "heads={0} len={1} parts={2} {3}")
  @MethodSource("selfCases")
  void selfAttentionMatchesReference(int numHeads, int len, int parts, RefMask mask) {
    Random rnd = new Random(numHeads * 100L + len * 3L + parts);
    int dModel = 16;
    boolean projected = (parts & 15) == 15;
    int dqk = projected ? 8 * numHeads : dModel;
    int dv = dModel;
    int dOut = projected ? 5 : dv;
    Weights w = randomWeights(rnd, dModel, dModel, dqk, dv, dOut, parts);
    double[][] X = Matrices.gaussian(rnd, len, dModel, 1);
    DMatrixRMaj out =
        MultiHeadOps.selfAttention(toMatrix(X, dModel), w.toKernel(), numHeads, mask.kernel);
    double[][] expected =
        SoftmaxReference.multiHead(X, dModel, X, dModel, w, numHeads, mask.allowed);
    assertClose(expected, out, REL_TOL, "self-attention heads=" + numHeads + " " + mask);
  }

  /** Queries 7 rows of width 6, context 13 rows of width 10; only some parts present. */
  @ParameterizedTest(name = "heads={0} parts={1}")
  @MethodSource("crossCases")
  void crossAttentionMatchesReference(int numHeads, int parts) {
    Random rnd = new Random(numHeads * 7L + parts);
    int dIn = 6;
    int dCtx = 10;
    // without wq/wk both sides must agree in width: then project only what is present
    int dqk = 8;
    int dv = 8;
    Weights w = randomWeights(rnd, dIn, dCtx, dqk, dv, 3, parts);
    double[][] Xq = Matrices.gaussian(rnd, 7, dIn, 1);
    double[][] Xkv = Matrices.gaussian(rnd, 13, dCtx, 1);
    DMatrixRMaj out =
        MultiHeadOps.crossAttention(toMatrix(Xq, dIn), toMatrix(Xkv, dCtx), w.toKernel(), numHeads);
    double[][] expected =
        SoftmaxReference.multiHead(Xq, dIn, Xkv, dCtx, w, numHeads, (q, k) -> true);
    assertClose(expected, out, REL_TOL, "cross-attention heads=" + numHeads);
    assertEquals(7, out.numRows);
  }

  static Stream<Arguments> crossCases() {
    List<Arguments> cases = new ArrayList<>();
    for (int h : new int[] {1, 2, 8}) {
      // wq and wk are needed (widths 6 and 10 differ); wv, wo and biases optional
      for (int parts : new int[] {1 | 2 | 4, 1 | 2 | 4 | 8, 31, 1 | 2 | 4 | 16}) {
        cases.add(Arguments.of(h, parts));
      }
    }
    return cases.stream();
  }

  @Test
  void oneHeadWithoutWeightsIsPlainAttention() {
    Random rnd = new Random(8);
    double[][] x = Matrices.gaussian(rnd, 9, 4, 1);
    DMatrixRMaj X = toMatrix(x, 4);
    DMatrixRMaj out = MultiHeadOps.selfAttention(X, AttentionWeights.none(), 1, Mask.causal());
    // Q = K = V = X, no output projection: causal softmax(X·Xᵀ/√4)·X, from the reference
    double[][] expected = SoftmaxReference.attention(x, 0, x, x, 0, 4, Allowed.causal());
    assertClose(expected, out, REL_TOL, "one head, no weights");
    // and the facade's single-head path gives the same bits
    assertArrayEquals(AttentionOps.attention(X, X, X, Mask.causal()).data, out.data);
    assertEquals(true, AttentionWeights.none().isNone());
  }

  @Test
  void headAndSetHeadSplitColumnsInOrder() {
    DMatrixRMaj M = new DMatrixRMaj(2, 6);
    for (int i = 0; i < 12; i++) {
      M.data[i] = i;
    }
    // head 1 of 3 is columns 2..3
    assertArrayEquals(new double[] {2, 3, 8, 9}, MultiHeadOps.head(M, 1, 3).data);
    DMatrixRMaj back = new DMatrixRMaj(2, 6);
    for (int h = 0; h < 3; h++) {
      MultiHeadOps.setHead(back, MultiHeadOps.head(M, h, 3), h, 3);
    }
    assertArrayEquals(M.data, back.data);
  }

  @Test
  void weightsAreCopiedIn() {
    DMatrixRMaj wq = toMatrix(new double[][] {{2}});
    double[] bq = {1};
    AttentionWeights w = AttentionWeights.builder().query(wq, bq).build();
    wq.set(0, 0, 100);
    bq[0] = 100;
    // y = 3·2 + 1
    assertEquals(7.0, w.projectQuery(toMatrix(new double[][] {{3}})).get(0, 0));
    assertEquals(1, w.queryWidth(5));
    assertEquals(5, w.valueWidth(5));
    assertEquals(5, w.outputWidth(5));
  }
}
