package io.sparkattention.spark;

import io.sparkattention.kernel.AttentionWeights;
import io.sparkattention.kernel.PartialAttention;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.ejml.data.DMatrixRMaj;

/**
 * Turns a token's parts into its output: within each head group, merge the key groups' partial
 * states in key-group order (the canonical order: identical bits whatever the partitioning), take
 * {@code a / l} per head, concatenate head groups in order, apply the output projection.
 */
final class TokenFinisher {
  private TokenFinisher() {}

  static final Comparator<TokenPart> CANONICAL =
      Comparator.<TokenPart>comparingInt(p -> p.headGroup).thenComparingInt(p -> p.keyGroup);

  static FinishedToken finish(List<TokenPart> parts, AttentionWeights weights) {
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
    List<double[]> groups = new ArrayList<>();
    PartialAttention state = null;
    int group = -1;
    for (TokenPart p : sorted) {
      int heads = p.max.length;
      PartialAttention part =
          PartialAttention.of(p.max, p.sum, DMatrixRMaj.wrap(heads, p.acc.length / heads, p.acc));
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
}
