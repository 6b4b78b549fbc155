package io.sparkattention.spark.validate;

import io.sparkattention.kernel.Rope;
import io.sparkattention.kernel.ScoreOptions;
import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.InputException;

/**
 * The rules of {@link AttentionSpec}'s score options, for its builder; errors name the parameter.
 */
public final class ScoreRules {
  private ScoreRules() {}

  /**
   * The score options of a spec's values, each checked on its own; {@link #checkCombinations}
   * checks them against the rest of the spec.
   *
   * @throws InputException naming the parameter at fault
   */
  public static ScoreOptions check(
      double scale,
      double softcap,
      boolean alibi,
      Rope.Style ropeStyle,
      double ropeTheta,
      int kvHeads) {
    require(
        Double.isNaN(scale) || (scale > 0 && Double.isFinite(scale)),
        "scale",
        "must be finite and > 0, got " + scale);
    require(softcap >= 0 && Double.isFinite(softcap), "softcap", "must be > 0, got " + softcap);
    require(
        ropeTheta > 1 && Double.isFinite(ropeTheta),
        "ropeTheta",
        "must be finite and > 1, got " + ropeTheta);
    require(
        ropeStyle != null || ropeTheta == Rope.DEFAULT_THETA,
        "ropeTheta",
        "applies to rotary embeddings: set rope too");
    require(kvHeads >= 0, "kvHeads", "must be >= 1, got " + kvHeads);
    ScoreOptions o =
        ScoreOptions.standard()
            .withScale(scale)
            .withSoftcap(softcap)
            .withAlibi(alibi)
            .withKvHeads(kvHeads);
    return ropeStyle == null ? o : o.withRope(Rope.of(ropeStyle, ropeTheta));
  }

  /**
   * The score options against the rest of a spec: key/value heads dividing the heads, none of them
   * with local-p, no ALiBi with cross-attention.
   *
   * @throws InputException naming the parameter at fault
   */
  public static void checkCombinations(AttentionSpec spec) {
    ScoreOptions scores = spec.scores();
    int kvHeads = scores.kvHeadsSetting();
    int numHeads = spec.numHeads();
    require(
        kvHeads == 0 || (kvHeads <= numHeads && numHeads % kvHeads == 0),
        "kvHeads",
        "must divide heads (" + numHeads + "), got " + kvHeads);
    if (spec.isLocalP()) {
      String set =
          scores.alibi()
              ? "alibi"
              : scores.rope() != null
                  ? "rope"
                  : kvHeads != 0 ? "kvHeads" : scores.softcap() != 0 ? "softcap" : null;
      require(
          set == null && Double.isNaN(scores.scale()),
          set == null ? "scale" : set,
          "does not apply to local-p attention (its windows follow predicted centres)");
    }
    require(
        !(spec.isCross() && scores.alibi()),
        "alibi",
        "does not apply to cross attention (input and context positions are unrelated)");
  }

  private static void require(boolean ok, String parameter, String problem) {
    if (!ok) {
      throw InputException.forParameter(parameter, problem);
    }
  }
}
