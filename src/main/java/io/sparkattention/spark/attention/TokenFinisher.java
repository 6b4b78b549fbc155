package io.sparkattention.spark.attention;

import io.sparkattention.kernel.AttentionWeights;
import io.sparkattention.kernel.HardAttention;
import io.sparkattention.kernel.MergeableState;
import io.sparkattention.kernel.PartialAttention;
import io.sparkattention.spark.io.FinishedToken;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import org.ejml.data.DMatrixRMaj;

/**
 * Turns a token's parts into its output: within each head group, merge the key groups' partial
 * states in key-group order (the canonical order: identical bits whatever the partitioning), take
 * {@code a / l} per head (hard attention: the chosen value), concatenate head groups in order,
 * apply the output projection.
 */
final class TokenFinisher {
  private TokenFinisher() {}

  static final Comparator<TokenPart> CANONICAL =
      Comparator.<TokenPart>comparingInt(p -> p.headGroup).thenComparingInt(p -> p.keyGroup);

  static FinishedToken finish(List<TokenPart> parts, AttentionWeights weights) {
    if (parts.size() == 1 && parts.get(0).parts == 1) {
      return finishWhole(parts.get(0), weights);
    }
    List<TokenPart> sorted = new ArrayList<>(parts);
    sorted.sort(CANONICAL);
    TokenPart first = sorted.get(0);
    if (sorted.size() != first.parts) {
      throw new IllegalStateException(
          "token seq "
              + first.seqIndex
              + " pos "
              + first.pos
              + " has "
              + sorted.size()
              + " parts, expected "
              + first.parts);
    }
    List<double[]> groups =
        first.isHard()
            ? mergeGroups(sorted, TokenFinisher::hardState)
            : mergeGroups(sorted, TokenFinisher::softState);
    int width = 0;
    for (double[] g : groups) {
      width += g.length;
    }
    double[] concat = new double[width];
    int off = 0;
    for (double[] g : groups) {
      System.arraycopy(g, 0, concat, off, g.length);
      off += g.length;
    }
    DMatrixRMaj out = weights.projectOutput(DMatrixRMaj.wrap(1, width, concat));
    return new FinishedToken(first.seqIndex, first.pos, out.data);
  }

  /**
   * A token with one part (a whole sequence's row, or a tile's whose queries see one key group):
   * the same output as the general path, without its lists and copies, for every row of a corpus.
   */
  static FinishedToken finishWhole(TokenPart p, AttentionWeights weights) {
    double[] heads = p.isHard() ? hardState(p).output().data : softState(p).output().data;
    DMatrixRMaj out = weights.projectOutput(DMatrixRMaj.wrap(1, heads.length, heads));
    return new FinishedToken(p.seqIndex, p.pos, out.data);
  }

  /**
   * Per head group (in order) the heads' outputs: the group's key-group parts, in the canonical
   * order, merged through the one {@link MergeableState} contract (soft attention by log-sum-exp,
   * hard by best score, ties to the lower key position). A state's rows here are the group's heads.
   */
  private static <S extends MergeableState<S>> List<double[]> mergeGroups(
      List<TokenPart> sorted, Function<TokenPart, S> stateOf) {
    List<double[]> groups = new ArrayList<>();
    S state = null;
    int group = -1;
    for (TokenPart p : sorted) {
      S part = stateOf.apply(p);
      if (p.headGroup != group) {
        if (state != null) {
          groups.add(state.output().data);
        }
        state = part;
        group = p.headGroup;
      } else {
        state.mergeFrom(part);
      }
    }
    groups.add(state.output().data);
    return groups;
  }

  /** A softmax part as the state it was cut from. */
  private static PartialAttention softState(TokenPart p) {
    int heads = p.max.length;
    return PartialAttention.of(p.max, p.sum, DMatrixRMaj.wrap(heads, p.acc.length / heads, p.acc));
  }

  /**
   * A hard part as a state. No key is folded in any more and the merge compares only scores and
   * positions (any noise was added in the tasks), so the parts are rebuilt as argmax states
   * whatever the selection.
   */
  private static HardAttention hardState(TokenPart p) {
    int heads = p.max.length;
    return HardAttention.of(
        false, 0L, p.max, p.chosenKey, DMatrixRMaj.wrap(heads, p.acc.length / heads, p.acc));
  }
}
