package io.sparkattention.spark.ml;

import io.sparkattention.kernel.Mask;
import io.sparkattention.kernel.Precision;
import io.sparkattention.kernel.Rope;
import io.sparkattention.plan.Strategy;
import io.sparkattention.spark.AttentionSpec;
import java.util.Locale;

/** An {@link AttentionTransformer}'s params as the job's spec (no projection weights). */
final class TransformerSpec {
  private TransformerSpec() {}

  /**
   * The spec of {@code t}'s params.
   *
   * @throws IllegalArgumentException if the mask and window, or the strategy and mask, do not go
   *     together, or the spec's rules refuse a value
   */
  static AttentionSpec of(AttentionTransformer t) {
    Mask m = mask(t);
    Strategy s = Strategy.parse(t.getStrategy());
    if (s == Strategy.WINDOW
        && m.kind() != Mask.Kind.WINDOW
        && m.kind() != Mask.Kind.CAUSAL_WINDOW) {
      throw new IllegalArgumentException(
          t.uid() + ": strategy 'window' needs local attention or causal attention with a window");
    }
    AttentionSpec.Builder b =
        AttentionSpec.builder()
            .mask(m)
            .globalTokens(t.getGlobalTokens())
            .heads(t.getHeads())
            .strategy(s)
            .blockSize(t.getBlockSize())
            .precision(Precision.of(t.getPrecision()))
            .alibi((Boolean) t.getOrDefault(t.alibi()));
    if (t.isDefined(t.scale())) {
      b.scale((Double) t.getOrDefault(t.scale()));
    }
    if (t.isDefined(t.softcap())) {
      b.softcap((Double) t.getOrDefault(t.softcap()));
    }
    String rope = t.getOrDefault(t.rope());
    if (!rope.equals("none")) {
      b.rope(Rope.Style.parse(rope.toLowerCase(Locale.ROOT)))
          .ropeTheta((Double) t.getOrDefault(t.ropeTheta()));
    }
    b.segmentColumn(TransformerTable.segmentColumn(t));
    b.globalColumn(TransformerTable.globalColumn(t));
    return b.build();
  }

  /**
   * The mask the params describe.
   *
   * @throws IllegalArgumentException if local has no window or global has one
   */
  static Mask mask(AttentionTransformer t) {
    Integer w = t.getWindow();
    switch (t.getAttention()) {
      case "global":
        if (w != null) {
          throw new IllegalArgumentException(
              t.uid() + ": window applies to local and causal attention, not global");
        }
        return Mask.none();
      case "local":
        if (w == null) {
          throw new IllegalArgumentException(t.uid() + ": attention 'local' needs a window");
        }
        return Mask.window(w);
      default:
        return w == null ? Mask.causal() : Mask.causalWindow(w);
    }
  }
}
